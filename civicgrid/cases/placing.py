"""Placing an unrouted case in its grid: an address picked from the standard register, or a point
tapped on the map.

A 12345 order whose address the register could not place confidently is filed unrouted (no grid) in
its region's queue (`selectors_map.unrouted`, beside the work map); so is a report outside every
grid. A village cadre or town operator of that region (`access.can_place`) places it here:

- by address: one of the register's guesses for the order's address text
  (`addresses.matching.candidates`, within the case's town), whose grid and point the case takes;
- on the map: the grid the places routing finds at the point (`places.routing.locate`).

Both run the workflow's `assign_grid` (which moves the point and records how it was placed), mark
the order routed by "placed" (and its address, when picked), and keep the choice with
`addresses.services.placement_remember`, so the next order written the same way routes by itself.
All in one transaction: a refused step keeps no alias, a refused alias no step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from civicgrid.accounts.models import User
from civicgrid.addresses import matching
from civicgrid.addresses import services as address_services
from civicgrid.addresses.models import Address
from civicgrid.cases import access, services
from civicgrid.cases.models import Case, HotlineOrder
from civicgrid.cases.workflow import transition
from civicgrid.core.errors import ApplicationError
from civicgrid.places import display, mapindex, routing
from civicgrid.places.models import Place

# The register's guesses shown for one search.
GUESS_LIMIT = 8
# How a case was placed, as its assign_grid step records it (`placed_by` in the event's data).
BY_ADDRESS = "address"
BY_MAP = "map"
# `HotlineOrder.routed_by` of an order an operator placed.
ROUTED_PLACED = "placed"


@dataclass(frozen=True)
class Guess:
    """One of the register's addresses offered for the order's text, with the grid it is in."""

    address_id: int
    text: str
    grid_code: str
    grid_name: str
    confidence: float
    method: str


@dataclass
class Placing:
    """What the placing page shows of one unrouted case."""

    case: Case
    order: HotlineOrder | None
    # The address text being placed: the order's as the call-taker wrote it, else the case's.
    text: str
    # The register's confidence when the order was imported, and how it was routed then.
    confidence: float | None
    routed_by: str
    # Where guesses and grids are looked for: the case's town (else its district).
    region: Place | None
    # The text searched for (the address text unless the operator typed another) and what it found.
    query: str
    guesses: list[Guess] = field(default_factory=list)
    # Whether assign_grid is a step of the case's state now (a case being verified).
    step_open: bool = True


def order_of(case: Case) -> HotlineOrder | None:
    """Return the 12345 order filed as `case`, or None for another source."""
    if case.source != Case.Source.HOTLINE:
        return None
    return HotlineOrder.objects.filter(case_id=case.pk).select_related("address").first()


def placing_text(case: Case, order: HotlineOrder | None) -> str:
    """Return the address text an operator places: the order's, else the case's own address."""
    return ((order.address_text if order is not None else "") or case.address or "").strip()


def placing_region(case: Case) -> Place | None:
    """Return the region a case is placed within: its town (where `selectors.assignable_grids` offers
    grids), else its district."""
    return case.town or case.district


def guesses(text: str, *, region: Place | None, limit: int = GUESS_LIMIT) -> list[Guess]:
    """Return the register's best addresses for `text` within `region` (best first), each with its
    grid's name (one query for the grids)."""
    text = (text or "").strip()[:200]
    if not text:
        return []
    found = matching.candidates(text, within=region, limit=limit)[:limit]
    if not found:
        return []
    grids = {p.pk: p for p in Place.objects.filter(pk__in={m.grid_id for m in found})}
    result = []
    for m in found:
        grid = grids.get(m.grid_id)
        if m.address_id is None or grid is None:
            continue
        result.append(
            Guess(
                address_id=m.address_id,
                text=m.text,
                grid_code=grid.code,
                grid_name=grid.display_name,
                confidence=m.confidence,
                method=m.method,
            )
        )
    return result


def placing_get(*, case: Case, user: User, query: str | None = None) -> Placing:
    """Return what the placing page shows of `case` for `user`: the order, its confidence and the
    register's guesses for `query` (by default the address text). Refuses who may not place it."""
    access.check_place(user, case)
    order = order_of(case)
    text = placing_text(case, order)
    region = placing_region(case)
    query = text if query is None else query.strip()[:200]
    return Placing(
        case=case,
        order=order,
        text=text,
        confidence=order.confidence if order is not None else None,
        routed_by=order.routed_by if order is not None else "",
        region=region,
        query=query,
        guesses=guesses(query, region=region),
        step_open=transition(case.state, "assign_grid") is not None,
    )


def _invalid(name: str, message: str) -> ApplicationError:
    return ApplicationError(
        _("Please correct the marked fields."), code="invalid", extra={"fields": {name: message}}
    )


def _number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return math.nan
    return number


def _placed_address(address_id: Any, region: Place | None) -> Address:
    """Return the active register address `address_id` within `region`; refuse anything else."""
    try:
        pk = int(address_id)
    except (TypeError, ValueError):
        raise _invalid("address", _("Choose an address from the register's list.")) from None
    address = Address.objects.filter(pk=pk, status=Address.Status.ACTIVE).select_related("grid").first()
    if address is None or (region is not None and not address.grid_code.startswith(region.scope_prefix)):
        raise _invalid("address", _("That address is not in the register of this case's town."))
    return address


def _placed_point(lon: Any, lat: Any, crs: str) -> tuple[Place, tuple[float, float]]:
    """Return the grid at the point tapped on the map (given in the map's `crs`) and the point in
    WGS-84; refuse a point that is not a number or lies in no grid."""
    x, y = _number(lon), _number(lat)
    if x is None or y is None or not (math.isfinite(x) and math.isfinite(y)):
        raise _invalid("point", _("Tap the map where the problem is."))
    location = routing.locate(x, y, crs=crs)
    if not location.routed or location.grid is None:
        raise _invalid("point", _("That point lies in no grid. Tap inside a grid outline."))
    grid = Place.objects.get(pk=location.grid.id)
    return grid, (location.lon, location.lat)


def case_place(
    *,
    case: Case,
    user: User,
    address_id: Any = None,
    lon: Any = None,
    lat: Any = None,
    crs: str = "wgs84",
    note: str = "",
) -> Case:
    """Put the unrouted `case` in a grid, from a register address or a point on the map, and keep it.

    1. Refuse who may not place it (`access.check_place`) and input that is neither one address of
       the town's register nor a point inside a grid (nothing is written then).
    2. In one transaction: the workflow's assign_grid with the grid and the point (the address's,
       when the register knows it, else the case keeps its own), recording how it was placed; the
       order routed by "placed" (with the address picked, or the one the placement made); the
       placement kept by `placement_remember` when there is an address text (none: no alias).
    """
    access.check_place(user, case)
    picked = address_id not in (None, "")
    tapped = lon not in (None, "") or lat not in (None, "")
    if picked == tapped:
        raise _invalid("point", _("Pick an address from the register or tap the map, one of the two."))
    order = order_of(case)
    text = placing_text(case, order)
    address: Address | None = None
    if picked:
        address = _placed_address(address_id, placing_region(case))
        grid = address.grid
        point = (address.lon, address.lat) if address.lon is not None and address.lat is not None else None
        placed_by = BY_ADDRESS
    else:
        grid, point = _placed_point(lon, lat, crs)
        placed_by = BY_MAP
    with transaction.atomic():
        case = services.case_act(
            case=case,
            action="assign_grid",
            actor=user,
            grid=grid,
            point=point,
            placed_by=placed_by,
            note=(note or "").strip()[:1000],
        )
        kept = None
        if text:
            if address is not None:
                kept = address_services.placement_remember(text=text, user=user, address=address)
            else:
                assert point is not None
                kept = address_services.placement_remember(
                    text=text, user=user, grid=grid, lon=point[0], lat=point[1]
                )
        if order is not None:
            found = address if address is not None else getattr(kept, "address", None)
            changes: dict[str, Any] = {"routed_by": ROUTED_PLACED}
            if found is not None:
                changes["address"] = found
            HotlineOrder.objects.filter(pk=order.pk).update(**changes)
    return case


# Grid outlines drawn on the placing map, at most (a town has tens to a few hundred grids).
MAP_OUTLINE_LIMIT = 400
# The zoom outlines are simplified for: a town fills a phone's screen around it.
MAP_OUTLINE_ZOOM = 16


def placing_map(case: Case) -> dict[str, Any]:
    """Return what the placing map draws, in the map's coordinates (`places.display`): the case's
    point, the box of its region, and the outlines of the region's grids with their names."""
    index = mapindex.current()
    region = placing_region(case)
    area = index.by_code.get(region.code) if region is not None else None
    grids = index.in_bbox("grid", area.bbox, [area]) if area is not None else []
    outlines = []
    for grid in grids[:MAP_OUTLINE_LIMIT]:
        outline = index.outline(grid, MAP_OUTLINE_ZOOM)
        if outline is not None:
            outlines.append({"name": grid.display_name, "g": display.geometry(outline)})
    x, y = (
        display.point(case.lon, case.lat) if case.lon is not None and case.lat is not None else (None, None)
    )
    return {
        "point": [y, x] if x is not None else None,
        "bounds": [round(v, 6) for v in display.bbox(area.bbox)] if area is not None else None,
        "outlines": outlines,
        "crs": display.crs(),
    }
