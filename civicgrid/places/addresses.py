"""Placing a report that comes with an address and no point (an Open311 request with only an
`address_string`), until the standard address register (issue 15) places it at its building.

Until then an address is placed by the most specific village or community, else town or street,
whose name it contains, within the region the report may be filed in; failing that, at the region
itself. The report is filed unrouted at that place's centre (`routed=False`, no grid), so it waits in
that place's unrouted queue for the operator to put it in its grid (the `assign_grid` action).
"""

from __future__ import annotations

import re
import unicodedata

from django.utils.translation import gettext as _

from civicgrid.core.errors import ApplicationError
from civicgrid.places import mapindex
from civicgrid.places.models import Place
from civicgrid.places.routing import Location, PlaceRef

# What a place's name may be written without (甲一村 as 甲一, 幸福社区 as 幸福).
_SUFFIXES = ("社区居委会", "居委会", "村委会", "社区", "街道", "村", "镇", "乡")
# A name shorter than this (once its suffix is dropped) is too common to match on its own.
_MIN_CHARS = 2
_SPACE_RE = re.compile(r"\s+")


def _normal(text: str) -> str:
    return _SPACE_RE.sub("", unicodedata.normalize("NFKC", text or ""))


def _names(name: str) -> list[str]:
    names = [_normal(name)]
    for suffix in _SUFFIXES:
        if names[0].endswith(suffix) and len(names[0]) - len(suffix) >= _MIN_CHARS:
            names.append(names[0][: -len(suffix)])
            break
    return [n for n in names if len(n) >= _MIN_CHARS]


def named_place(text: str, within: Place) -> mapindex.MapPlace | None:
    """Return the village (first) or town within `within` whose name `text` contains; of several, the
    one with the longest name. None when the address names none."""
    index = mapindex.current()
    address = _normal(text)
    prefix = within.scope_prefix
    for level in ("village", "town"):
        found: list[tuple[int, str, mapindex.MapPlace]] = []
        for place in index.by_level.get(level, []):
            if not place.code.startswith(prefix):
                continue
            matched = [n for n in _names(place.name) if n in address]
            if matched:
                found.append((max(len(n) for n in matched), place.code, place))
        if found:
            return max(found, key=lambda f: (f[0], f[1]))[2]
    return None


def _ref(place: mapindex.MapPlace) -> PlaceRef:
    return PlaceRef(id=place.id, code=place.code, name=place.name, level=place.level)


def locate_address(text: str, within: Place) -> Location:
    """Return where to file a report known only by its address: unrouted, at the centre of the place
    it names within `within` (else of `within`), with the places above it."""
    index = mapindex.current()
    place = named_place(text, within) or index.places.get(within.pk)
    if place is None:
        raise ApplicationError(
            _(
                "The address names no village, community, town or street of %(region)s: send lat and "
                "long, or name one in the address."
            )
            % {"region": within.display_name},
            code="unplaceable",
            extra={
                "fields": {
                    "address_string": _("Name a village, community, town or street, or send lat and long.")
                }
            },
        )
    chain: dict[str, PlaceRef] = {}
    node: mapindex.MapPlace | None = place
    while node is not None:
        chain[node.level] = _ref(node)
        node = index.places.get(node.parent_id) if node.parent_id is not None else None
    lon, lat = place.center
    return Location(lon, lat, False, None, chain.get("village"), chain.get("town"), chain.get("district"))
