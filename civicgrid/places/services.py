"""Every write to the administrative tree and its boundaries."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.core import audit
from civicgrid.core.errors import ApplicationError, NotFound
from civicgrid.lib.geo import GeometryError, geometry_area_m2, parse_boundary
from civicgrid.places.models import Boundary, Place, RoutingRevision

_DIGITS = re.compile(r"^[0-9]+$")

# The level a child of each level has.
CHILD_LEVEL = {"city": "district", "district": "town", "town": "village", "village": "grid"}
KINDS_BY_LEVEL = {
    "city": {"city"},
    "district": {"district", "county_city"},
    "town": {"town", "street"},
    "village": {"village", "community"},
    "grid": {"grid"},
}


def code_problem(code: str, level: str) -> str | None:
    """Return why `code` is not a valid code for a place of `level`, or None if it is."""
    if level not in Place.CODE_LENGTH:
        return _("Unknown level “%(level)s”.") % {"level": level}
    length = Place.CODE_LENGTH[level]
    if not isinstance(code, str) or not _DIGITS.match(code) or len(code) != length:
        return _("A %(level)s code has %(n)d digits; “%(code)s” does not.") % {
            "level": Place.Level(level).label,
            "n": length,
            "code": code,
        }
    if level == "city" and not code.endswith("00"):
        return _("A city code ends in 00; “%(code)s” does not.") % {"code": code}
    if level == "district" and code.endswith("00"):
        return _("A district code does not end in 00; “%(code)s” does.") % {"code": code}
    if level in ("town", "village", "grid") and code[-3:] == "000":
        return _("The last three digits of “%(code)s” must not be 000.") % {"code": code}
    return None


def city_prefix(code: str) -> str:
    """Return the prefix a city's districts share (a municipality like 110000 keeps only two digits)."""
    return code[:2] if code.endswith("0000") else code[:4]


def code_ancestors(code: str, level: str) -> list[str]:
    """Return the codes that the ancestors of a place with this code may have, nearest first."""
    result = []
    if level == "grid":
        result.append(code[:12])
    if level in ("grid", "village"):
        result.append(code[:9])
    if level in ("grid", "village", "town"):
        result.append(code[:6])
    if level != "city":
        result += [code[:4] + "00", code[:2] + "0000"]
    return [c for c in dict.fromkeys(result) if c != code]


def parent_problem(code: str, level: str, parent: Place | None) -> str | None:
    """Return why `parent` cannot hold a place with this code and level, or None."""
    if level == "city":
        return _("A city has no parent.") if parent is not None else None
    if parent is None:
        return _("A %(level)s needs a parent.") % {"level": Place.Level(level).label}
    if CHILD_LEVEL.get(parent.level) != level:
        return _("A %(level)s cannot be placed under a %(parent_level)s.") % {
            "level": Place.Level(level).label,
            "parent_level": Place.Level(parent.level).label,
        }
    prefix = city_prefix(parent.code) if parent.level == "city" else parent.code
    if not code.startswith(prefix):
        return _("Code “%(code)s” does not start with its parent's code “%(parent)s”.") % {
            "code": code,
            "parent": parent.code,
        }
    return None


def code_chain(code: str, level: str) -> list[str]:
    """Return `code` and the codes of the places above it, nearest first."""
    return [code, *code_ancestors(code, level)]


def bump_routing_revision() -> None:
    """Tell every process that boundaries changed; call inside the transaction that changed them."""
    updated = RoutingRevision.objects.filter(pk=1).update(
        revision=F("revision") + 1, changed_at=timezone.now()
    )
    if not updated:
        RoutingRevision.objects.get_or_create(pk=1, defaults={"revision": 1})


@transaction.atomic
def place_create(
    *,
    code: str,
    name: str,
    level: str,
    kind: str | None = None,
    parent: Place | None = None,
    name_en: str = "",
    actor=None,
    audited: bool = True,
) -> Place:
    """Create a place after checking its code, level, kind and parent, and record it in the audit log.

    A caller writing many places in one transaction (the importer) passes audited=False and records
    one entry for the whole run.
    """
    problem = code_problem(code, level) or parent_problem(code, level, parent)
    if problem:
        raise ApplicationError(problem, code="invalid_code", extra={"code": code})
    kind = kind or level
    if kind not in KINDS_BY_LEVEL[level]:
        raise ApplicationError(
            _("“%(kind)s” is not a kind of %(level)s.") % {"kind": kind, "level": Place.Level(level).label},
            code="invalid_kind",
        )
    name = (name or "").strip()
    if not name:
        raise ApplicationError(_("A place needs a name."), code="invalid_name")
    if Place.objects.filter(code=code).exists():
        raise ApplicationError(_("Code “%(code)s” is already used.") % {"code": code}, code="duplicate_code")
    place = Place.objects.create(code=code, name=name, name_en=name_en, level=level, kind=kind, parent=parent)
    if audited:
        audit.record(
            actor=actor,
            action="place.create",
            target=place,
            place_code=place.code,
            changes=audit.as_created(
                audit.snapshot(place, ["code", "name", "name_en", "level", "kind", "parent"])
            ),
        )
    return place


@transaction.atomic
def place_update(
    *, place: Place, name: str | None = None, name_en: str | None = None, actor=None, audited: bool = True
) -> Place:
    """Rename a place (codes and parents do not change: they are part of every case filed there).

    The names before are read from the database, locked, so the audit entry holds what really changed
    even when `place` was already edited in memory (the admin's form does that).
    """
    fields = {}
    if name is not None:
        if not name.strip():
            raise ApplicationError(_("A place needs a name."), code="invalid_name")
        fields["name"] = name.strip()
    if name_en is not None:
        fields["name_en"] = name_en.strip()
    if not fields:
        return place
    before = Place.objects.select_for_update().filter(pk=place.pk).values(*fields).first()
    if before is None:
        raise NotFound(_("The place no longer exists."))
    changes = audit.diff(before, fields)
    if changes:
        Place.objects.filter(pk=place.pk).update(**fields)
    for key, value in fields.items():
        setattr(place, key, value)
    if changes and audited:
        audit.record(actor=actor, action="place.update", target=place, place_code=place.code, changes=changes)
    return place


@transaction.atomic
def boundary_set(
    *,
    place: Place,
    geometry: dict[str, Any],
    valid_from: datetime | None = None,
    source: str = "",
    bump: bool = True,
    actor=None,
    audited: bool = True,
) -> Boundary:
    """Give `place` a new current boundary, closing the one it had.

    1. Validate the GeoJSON geometry (Polygon or MultiPolygon, WGS-84, valid rings).
    2. Close the current version at `valid_from` (now by default).
    3. Add the new version and bump the routing revision, all in one transaction. A caller writing many
       boundaries in one transaction (the importer) passes bump=False and bumps once at the end, and
       audited=False to record one entry for the whole run.
    4. Record the area before and after in the audit log (the geometry itself stays in `Boundary`).
    """
    try:
        shape = parse_boundary(geometry)
    except GeometryError as exc:
        raise ApplicationError(str(exc), code="invalid_geometry", extra={"place": place.code})
    now = valid_from or timezone.now()
    # Lock the place row so two redraws of one place cannot both close the same version.
    Place.objects.select_for_update().filter(pk=place.pk).first()
    old = None
    if audited:
        old = Boundary.objects.filter(place=place, valid_to__isnull=True).values("pk", "area_m2").first()
    Boundary.objects.filter(place=place, valid_to__isnull=True).update(valid_to=now)
    min_lon, min_lat, max_lon, max_lat = shape.bounds
    boundary = Boundary.objects.create(
        place=place,
        geometry=geometry,
        valid_from=now,
        min_lon=min_lon,
        min_lat=min_lat,
        max_lon=max_lon,
        max_lat=max_lat,
        area_m2=geometry_area_m2(shape),
        source=source[:200],
    )
    if bump:
        bump_routing_revision()
    if audited:
        before = {"boundary": old["pk"], "area_m2": round(old["area_m2"])} if old else {}
        after = {"boundary": boundary.pk, "area_m2": round(boundary.area_m2), "source": boundary.source}
        audit.record(
            actor=actor,
            action="boundary.set",
            target=place,
            place_code=place.code,
            changes=audit.diff(before, after),
        )
    return boundary
