"""Reads of the standard address register: a place's list (keyset pages), search, counts, merges.

Every read here is scoped by its caller through `access` (a place the user keeps, `scope_addresses`).
Lists walk the index (grid, status, id): a grid's list is one range of it, a village's the ranges of
its grids; larger regions list their villages and grids with counts rather than every address.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet, Sum

from civicgrid.addresses import access, matching
from civicgrid.addresses.models import Address, GridAddressCount
from civicgrid.lib import keyset
from civicgrid.places.models import Place

# Newest first: what was just added is on the first page.
ORDER = keyset.Order("ad", (keyset.Column("id", "int", descending=True),))
PAGE_SIZE = 30
SEARCH_LIMIT = 30
# The levels whose page lists addresses; above them a page lists its places with their counts.
LISTED_LEVELS = (Place.Level.GRID, Place.Level.VILLAGE)


def default_place(user) -> Place | None:
    """Return the place a user's register opens on: their grid, village, town or region (widest first)."""
    places = access.keeper_places(user)
    if places:
        return places[0]
    if access.can_use(user):  # a superuser: the top of the tree
        return Place.objects.filter(parent__isnull=True).order_by("code").first()
    return None


def grid_ids(place: Place) -> list[int]:
    """Return the ids of the grids within `place` (itself for a grid)."""
    if place.level == Place.Level.GRID:
        return [place.pk]
    return list(
        Place.objects.filter(access.code_range(place.scope_prefix, "code"), level=Place.Level.GRID)
        .order_by()
        .values_list("pk", flat=True)
    )


def grids_of(place: Place) -> QuerySet[Place]:
    """Return the grids within `place`, by code (the add form's choice at a village)."""
    if place.level == Place.Level.GRID:
        return Place.objects.filter(pk=place.pk)
    return Place.objects.filter(
        access.code_range(place.scope_prefix, "code"), level=Place.Level.GRID
    ).order_by("code")


def _within(place: Place, qs: QuerySet[Address] | None = None) -> QuerySet[Address]:
    qs = Address.objects.all() if qs is None else qs
    ids = grid_ids(place)
    if len(ids) == 1:
        return qs.filter(grid_id=ids[0])
    return qs.filter(grid_id__in=ids)


def address_page(
    *, place: Place, status: str = Address.Status.ACTIVE, cursor: str = "", size: int = PAGE_SIZE
) -> keyset.Page:
    """Return one page of the addresses of a grid or village with `status`, newest first (one query).

    Raises keyset.InvalidCursor for a cursor that is not one of this list.
    """
    qs = (
        _within(place, Address.objects.filter(status=status))
        .select_related("grid")
        .order_by(*ORDER.order_by())
    )
    return keyset.page_after(qs, ORDER, cursor, size)


def _kept(place: Place) -> QuerySet[GridAddressCount]:
    """The kept figures of the grids within `place` (`counts`)."""
    if place.level == Place.Level.GRID:
        return GridAddressCount.objects.filter(grid_id=place.pk)
    return GridAddressCount.objects.filter(access.code_range(place.scope_prefix))


def address_counts(place: Place) -> dict[str, int]:
    """Return how many addresses of each status `place` has, and how many in use have a point: a sum
    over its grids' kept figures (one query, whatever the size of the register)."""
    totals = _kept(place).aggregate(
        active=Sum("active"), merged=Sum("merged"), retired=Sum("retired"), with_point=Sum("with_point")
    )
    return {name: value or 0 for name, value in totals.items()}


@dataclass(frozen=True)
class PlaceCount:
    place: Place
    active: int


def children_counts(place: Place) -> list[PlaceCount]:
    """Return the places one level below `place` with their addresses in use (one query for the
    figures: the kept row of each grid within `place`)."""
    children = list(Place.objects.filter(parent=place).order_by("code"))
    if not children:
        return []
    prefixes = [child.code if child.level == Place.Level.GRID else child.scope_prefix for child in children]
    lengths = {len(prefix) for prefix in prefixes}
    by_prefix: dict[str, int] = {}
    for code, active in _kept(place).values_list("grid_code", "active").iterator(chunk_size=5000):
        for length in lengths:
            by_prefix[code[:length]] = by_prefix.get(code[:length], 0) + active
    return [
        PlaceCount(child, by_prefix.get(prefix, 0)) for child, prefix in zip(children, prefixes, strict=True)
    ]


def address_search(
    *, place: Place, text: str, limit: int = SEARCH_LIMIT, exclude: Address | None = None
) -> list[Address]:
    """Return the addresses in use within `place` that `text` may mean, best first (at most `limit`).

    The matcher's candidates first (`matching.candidates`: normalised, by parts and similarity), then
    addresses whose text contains what was typed, so a half-typed road name finds its numbers too.
    """
    text = " ".join((text or "").split())[:100]
    if not text:
        return []
    ids: list[int] = []
    for found in matching.candidates(text, within=place, limit=limit):
        if found.address_id is not None and found.address_id not in ids:
            ids.append(found.address_id)
    scoped = _within(place, Address.objects.filter(status=Address.Status.ACTIVE))
    if exclude is not None:
        scoped = scoped.exclude(pk=exclude.pk)
    by_id = {a.pk: a for a in scoped.filter(pk__in=ids).select_related("grid")} if ids else {}
    result = [by_id[i] for i in ids if i in by_id]
    if len(result) < limit:
        more = (
            scoped.filter(text__contains=text)
            .exclude(pk__in=[a.pk for a in result])
            .select_related("grid")
            .order_by("text", "id")[: limit - len(result)]
        )
        result.extend(more)
    return result[:limit]


def merged_from(address: Address) -> list[Address]:
    """Return the addresses merged into `address`, oldest merge first."""
    return list(address.merged_from.order_by("updated_at", "id"))


def aliases_of(address: Address) -> list:
    return list(address.aliases.order_by("kind", "id"))
