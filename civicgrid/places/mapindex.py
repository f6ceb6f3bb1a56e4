"""Where the places are on a map: each district, town, village and grid's box, centre and outline.

Maps ask it which places a viewport shows, where to put a place's count, and for outlines simplified
to the zoom they are drawn at, without reading a boundary per request. Each process keeps one index,
built from the current boundaries, and rebuilds it when the routing revision moves (checked at most
every ROUTING_REFRESH_SECONDS), as `routing` does for its own index. A place without a boundary of
its own is placed by its grids (its box theirs, its centre the mean of theirs) and has no outline.
"""

from __future__ import annotations

import logging
import math
import statistics
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import shapely
from django.conf import settings
from django.utils.translation import get_language

from civicgrid.lib.geo import M_PER_DEG_LAT, M_PER_DEG_LON, GeometryError, parse_boundary
from civicgrid.places import routing
from civicgrid.places.models import Boundary, Place

logger = logging.getLogger(__name__)

# The levels cases are filed under, widest first.
LEVELS = ("district", "town", "village", "grid")
DEPTH = {level: Place.LEVEL_ORDER.index(level) for level in LEVELS}
# Web Mercator: metres per pixel at zoom 0 on the equator (256-pixel tiles).
M_PER_PX_ZOOM_0 = 156_543.03
# Outline coordinates are rounded to this many decimals (about 1 m).
DECIMALS = 5
# Simplified outlines kept per process before the cache starts over.
OUTLINE_CACHE_SIZE = 50_000

BBox = tuple[float, float, float, float]  # west, south, east, north


@dataclass(frozen=True)
class MapPlace:
    id: int
    code: str
    level: str
    name: str
    name_en: str
    parent_id: int | None
    bbox: BBox
    center: tuple[float, float]  # lon, lat
    # The side of a square of the box's area, in metres: how big it shows at a zoom.
    size_m: float
    has_outline: bool

    @property
    def display_name(self) -> str:
        if self.name_en and (get_language() or "").startswith("en"):
            return self.name_en
        return self.name

    @property
    def prefix(self) -> str:
        return self.code[: Place.PREFIX_LENGTH[self.level]]

    @property
    def depth(self) -> int:
        return DEPTH[self.level]

    def intersects(self, bbox: BBox) -> bool:
        west, south, east, north = self.bbox
        return west <= bbox[2] and east >= bbox[0] and south <= bbox[3] and north >= bbox[1]


def metres_per_pixel(zoom: float, lat: float) -> float:
    return M_PER_PX_ZOOM_0 * math.cos(math.radians(lat)) / 2**zoom


def _size_m(bbox: BBox) -> float:
    west, south, east, north = bbox
    lat = (south + north) / 2
    width = (east - west) * M_PER_DEG_LON * math.cos(math.radians(lat))
    return math.sqrt(max(width, 0.0) * max((north - south) * M_PER_DEG_LAT, 0.0))


class PlaceMap:
    """The places of levels district to grid with where they are; see the module's docstring."""

    def __init__(self, rows: Iterable[dict[str, Any]], boundaries: Iterable[tuple[int, Any]]) -> None:
        geometries: dict[int, Any] = {}
        for place_id, geometry in boundaries:
            try:
                geometries[place_id] = parse_boundary(geometry)
            except GeometryError as exc:
                logger.warning("Skipping the boundary of place %s on maps: %s", place_id, exc)
        self._geometries = geometries
        self._outlines: dict[tuple[int, int], dict] = {}
        rows = sorted(rows, key=lambda r: DEPTH[r["level"]], reverse=True)  # grids first
        located: dict[int, tuple[BBox, tuple[float, float]]] = {}
        children: dict[int, list[int]] = {}
        for row in rows:
            children.setdefault(row["parent_id"], []).append(row["id"])
        self.places: dict[int, MapPlace] = {}
        self.by_code: dict[str, MapPlace] = {}
        for row in rows:
            geom = geometries.get(row["id"])
            if geom is not None:
                point = geom.centroid if geom.contains(geom.centroid) else geom.representative_point()
                located[row["id"]] = (tuple(geom.bounds), (point.x, point.y))
            else:
                # Children come first (grids before villages...), so theirs are known by now.
                known = [located[c] for c in children.get(row["id"], []) if c in located]
                if known:
                    boxes = [box for box, _center in known]
                    box = (
                        min(b[0] for b in boxes),
                        min(b[1] for b in boxes),
                        max(b[2] for b in boxes),
                        max(b[3] for b in boxes),
                    )
                    center = (
                        statistics.fmean(c[0] for _box, c in known),
                        statistics.fmean(c[1] for _box, c in known),
                    )
                    located[row["id"]] = (box, center)
            if row["id"] not in located:
                continue  # nowhere to draw it
            box, center = located[row["id"]]
            place = MapPlace(
                id=row["id"],
                code=row["code"],
                level=row["level"],
                name=row["name"],
                name_en=row["name_en"],
                parent_id=row["parent_id"],
                bbox=box,
                center=center,
                size_m=_size_m(box),
                has_outline=geom is not None,
            )
            self.places[place.id] = place
            self.by_code[place.code] = place
        self.by_level: dict[str, list[MapPlace]] = {level: [] for level in LEVELS}
        self.children: dict[int, list[MapPlace]] = {}
        for place in sorted(self.places.values(), key=lambda p: p.code):
            self.by_level[place.level].append(place)
            if place.parent_id in self.places:
                self.children.setdefault(place.parent_id, []).append(place)
        self.median_size_m = {
            level: statistics.median(p.size_m for p in places) if places else 0.0
            for level, places in self.by_level.items()
        }

    def __len__(self) -> int:
        return len(self.places)

    def shown_size_px(self, level: str, zoom: float, lat: float) -> float:
        """Return how many pixels across a typical place of `level` shows at `zoom`."""
        return self.median_size_m[level] / metres_per_pixel(zoom, lat)

    def split(self, places: list[MapPlace], bbox: BBox, zoom: float, min_px: float) -> list[MapPlace]:
        """Return `places` (those meeting `bbox`), each replaced by its children meeting the box, and
        theirs in turn, as long as those show at least `min_px` across at `zoom` (their median).

        Where places are small (a county seat's communities) the answer stays coarse; where they are
        large (rural villages) it goes down to them: the places never cover each other on screen.
        """
        found: list[MapPlace] = []
        pending = [p for p in places if p.intersects(bbox)]
        while pending:
            place = pending.pop(0)
            every = self.children.get(place.id, [])
            if every:
                size = statistics.median(c.size_m for c in every)
                if size / metres_per_pixel(zoom, place.center[1]) >= min_px:
                    # Only the children in view: none when the box meets the place's box but no child's.
                    pending.extend(c for c in every if c.intersects(bbox))
                    continue
            found.append(place)
        return sorted(found, key=lambda p: p.code)

    def in_bbox(self, level: str, bbox: BBox, within: list[MapPlace] | None = None) -> list[MapPlace]:
        """Return the places of `level` whose box meets `bbox`, within the places `within` (None: any)."""
        found = []
        for place in self.by_level[level]:
            if not place.intersects(bbox):
                continue
            if within is None or any(place.code.startswith(area.prefix) for area in within):
                found.append(place)
        return found

    def outline(self, place: MapPlace, zoom: float) -> dict | None:
        """Return the place's outline as a GeoJSON geometry simplified to a pixel at `zoom`."""
        geom = self._geometries.get(place.id)
        if geom is None:
            return None
        bucket = max(0, min(22, math.floor(zoom)))
        key = (place.id, bucket)
        cached = self._outlines.get(key)
        if cached is None:
            lat = place.center[1]
            degrees = metres_per_pixel(bucket, lat) / (M_PER_DEG_LON * math.cos(math.radians(lat)))
            simple = shapely.set_precision(geom.simplify(degrees, preserve_topology=True), 10**-DECIMALS)
            if simple.is_empty:
                simple = geom
            cached = shapely.geometry.mapping(simple)
            cached = {"type": cached["type"], "coordinates": _lists(cached["coordinates"])}
            if len(self._outlines) >= OUTLINE_CACHE_SIZE:
                self._outlines.clear()
            self._outlines[key] = cached
        return cached


def _lists(value: Any) -> Any:
    # shapely's mapping gives tuples; JSON needs no more than lists, rounded.
    if isinstance(value, (tuple, list)) and value and isinstance(value[0], (int, float)):
        return [round(v, DECIMALS) for v in value]
    return [_lists(v) for v in value]


def build() -> PlaceMap:
    """Build the index from the places of levels district to grid and their current boundaries."""
    rows = Place.objects.filter(level__in=LEVELS).values(
        "id", "code", "level", "name", "name_en", "parent_id"
    )
    boundaries = Boundary.objects.filter(valid_to__isnull=True, place__level__in=LEVELS).values_list(
        "place_id", "geometry"
    )
    return PlaceMap(list(rows), boundaries.iterator(chunk_size=500))


@dataclass(frozen=True)
class _State:
    index: PlaceMap
    revision: tuple
    checked_at: float


_state: _State | None = None
_lock = threading.Lock()


def current() -> PlaceMap:
    """Return this process's index, rebuilt when the routing revision moved since it was built."""
    global _state
    state = _state
    refresh = getattr(settings, "ROUTING_REFRESH_SECONDS", 2)
    if state is not None and time.monotonic() - state.checked_at < refresh:
        return state.index
    with _lock:
        revision = routing.read_revision()
        if _state is None or _state.revision != revision:
            started = time.perf_counter()
            index = build()
            logger.info("Map index built: %d places, %.2f s", len(index), time.perf_counter() - started)
            _state = _State(index, revision, time.monotonic())
        else:
            _state = _State(_state.index, revision, time.monotonic())
        return _state.index


def invalidate() -> None:
    """Forget this process's index (tests, after a rollback)."""
    global _state
    with _lock:
        _state = None
