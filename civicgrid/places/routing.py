"""Route a point to its grid, village, town and district (the index itself lives in lib/geo).

Each process keeps one routing index in memory, built from the current boundaries of all grids. Every
`ROUTING_REFRESH_SECONDS` a call compares `RoutingRevision` with the revision the index was built from and
rebuilds when it moved, so a grid redrawn in one process routes correctly in all of them within seconds.
Used by the locate endpoint and by case intake.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from civicgrid.core.errors import ApplicationError
from civicgrid.lib.geo import GeometryError, RoutingIndex, parse_boundary, to_wgs84
from civicgrid.places.models import Boundary, Place, RoutingRevision

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlaceRef:
    id: int
    code: str
    name: str
    level: str


@dataclass(frozen=True)
class Location:
    lon: float
    lat: float
    routed: bool
    grid: PlaceRef | None
    village: PlaceRef | None
    town: PlaceRef | None
    district: PlaceRef | None


@dataclass(frozen=True)
class GridPlaces:
    """A grid and the places above it, resolved once when the index is built."""

    grid: PlaceRef
    village: PlaceRef | None
    town: PlaceRef | None
    district: PlaceRef | None


@dataclass(frozen=True)
class RoutingState:
    """One built index and the revision it reflects; replaced whole, never changed, so readers need no lock."""

    index: RoutingIndex
    revision: tuple[int, datetime | None]
    checked_at: float


# A point outside every grid but within this many kilometres of the nearest one is given that grid's village;
# farther out only its town, since the nearest village is then a guess.
DEFAULT_VILLAGE_RADIUS_KM = 3.0
DEFAULT_SERVICE_MARGIN_KM = 30.0

_state: RoutingState | None = None
_lock = threading.Lock()
# Indirection so tests can move this process's clock past the refresh interval.
_clock = time.monotonic


def _place_ref(place: Place) -> PlaceRef:
    return PlaceRef(id=place.pk, code=place.code, name=place.name, level=place.level)


def read_revision() -> tuple[int, datetime | None]:
    """Return the routing revision: it moves whenever a boundary does (the map index follows it too)."""
    # changed_at is part of the identity: a rolled-back transaction (every test) or a restored database can
    # reuse a revision number for different boundaries, but not the moment it was bumped.
    row = RoutingRevision.objects.filter(pk=1).values_list("revision", "changed_at").first()
    return (row[0], row[1]) if row else (0, None)


def build_index() -> RoutingIndex:
    """Build a routing index from the current boundaries of all grids, with their places as payload."""
    boundaries = (
        Boundary.objects.filter(valid_to__isnull=True, place__level=Place.Level.GRID)
        .select_related("place__parent__parent__parent")
        .order_by("place__code")
    )
    entries = []
    payload: dict[str, GridPlaces] = {}
    for boundary in boundaries.iterator(chunk_size=2000):
        grid = boundary.place
        try:
            geometry = parse_boundary(boundary.geometry)
        except GeometryError as exc:
            # Stored boundaries were checked on the way in; one that no longer parses must not stop routing.
            logger.warning("Skipping the boundary of grid %s in the routing index: %s", grid.code, exc)
            continue
        above: dict[str, PlaceRef] = {}
        node = grid.parent
        while node is not None:
            above.setdefault(node.level, _place_ref(node))
            node = node.parent if node.level != Place.Level.DISTRICT else None
        entries.append((grid.code, geometry))
        payload[grid.code] = GridPlaces(
            grid=_place_ref(grid),
            village=above.get(Place.Level.VILLAGE),
            town=above.get(Place.Level.TOWN),
            district=above.get(Place.Level.DISTRICT),
        )
    return RoutingIndex(entries, payload)


def current_state() -> RoutingState:
    """Return this process's routing state, rebuilding it if boundaries changed since it was built.

    1. Within ROUTING_REFRESH_SECONDS of the last check, return the state as it is (no query).
    2. Else read the revision; if it moved, rebuild. One thread rebuilds; the others keep routing with the
       previous index meanwhile rather than wait for it.
    """
    global _state
    state = _state
    refresh = getattr(settings, "ROUTING_REFRESH_SECONDS", 2)
    if state is not None and _clock() - state.checked_at < refresh:
        return state
    if not _lock.acquire(blocking=state is None):
        return state  # type: ignore[return-value]
    try:
        state = _state
        now = _clock()
        if state is not None and now - state.checked_at < refresh:
            return state
        # The revision is read before the boundaries: boundaries newer than the revision only cause one more
        # rebuild later, while the reverse order could label old boundaries with a new revision for good.
        revision = read_revision()
        if state is None or state.revision != revision:
            started = time.perf_counter()
            index = build_index()
            logger.info(
                "Routing index built: %d grids, revision %s, %.2f s",
                len(index),
                revision[0],
                time.perf_counter() - started,
            )
            state = RoutingState(index=index, revision=revision, checked_at=_clock())
        else:
            state = RoutingState(index=state.index, revision=revision, checked_at=now)
        _state = state
        return state
    finally:
        _lock.release()


def invalidate() -> None:
    """Forget this process's index, so the next call rebuilds it (for commands that just imported boundaries)."""
    global _state
    with _lock:
        _state = None


def _coordinate(value: Any, name: str, limit: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if isinstance(value, bool) or not math.isfinite(number) or abs(number) > limit:
        raise ApplicationError(
            _("Coordinates are out of range: longitude must be within ±180 and latitude within ±90."),
            code="out_of_range",
            extra={"field": name, "value": str(value)[:40]},
        )
    return number


def resolve(state: RoutingState, lon: Any, lat: Any, crs: str = "wgs84") -> Location:
    """Route a point with a given routing state; `locate` is this with the process's current state.

    1. Refuse values that are not finite numbers within ±180 / ±90, and unknown coordinate systems.
    2. Convert to WGS-84 and look the point up; a covered point is routed to its grid.
    3. Outside every grid: refuse a point far outside the service area, else return the nearest grid's
       village (when close) or town, unrouted.
    """
    lon = _coordinate(lon, "lon", 180.0)
    lat = _coordinate(lat, "lat", 90.0)
    try:
        lon, lat = to_wgs84(lon, lat, crs)
    except GeometryError as exc:
        raise ApplicationError(str(exc), code="invalid_crs", extra={"crs": str(crs)[:20]})
    index = state.index
    key = index.lookup(lon, lat)
    if key is not None:
        places: GridPlaces = index.payload(key)
        return Location(lon, lat, True, places.grid, places.village, places.town, places.district)
    if not len(index):
        return Location(lon, lat, False, None, None, None, None)
    margin_km = float(getattr(settings, "ROUTING_SERVICE_MARGIN_KM", DEFAULT_SERVICE_MARGIN_KM))
    outside_m = index.distance_to_extent_m(lon, lat)
    if outside_m > margin_km * 1000:
        raise ApplicationError(
            _(
                "This point is %(distance)s km outside the area this CivicGrid serves. Check that the "
                "coordinate system (crs) is right and that longitude and latitude are not swapped."
            )
            % {"distance": f"{outside_m / 1000:,.0f}"},
            code="outside_service_area",
            extra={"lon": lon, "lat": lat, "crs": crs, "distance_km": round(outside_m / 1000, 1)},
        )
    nearest = index.nearest(lon, lat)
    assert nearest is not None
    key, distance_m = nearest
    places = index.payload(key)
    radius_km = float(getattr(settings, "ROUTING_VILLAGE_RADIUS_KM", DEFAULT_VILLAGE_RADIUS_KM))
    village = places.village if distance_m <= radius_km * 1000 else None
    return Location(lon, lat, False, None, village, places.town, places.district)


def locate(lon: float, lat: float, crs: str = "wgs84") -> Location:
    """Return the grid, village, town and district of a point given in `crs` (wgs84, gcj02 or bd09).

    A point outside every grid but inside the service area is never an error: it comes back unrouted
    (`routed=False`, no grid) with the nearest village or town, so intake can still file it. The returned
    lon/lat are WGS-84.
    """
    return resolve(current_state(), lon, lat, crs)
