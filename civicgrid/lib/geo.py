"""Geometry helpers with no models: boundary parsing, areas, coordinate systems, the routing index."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import shapely
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.validation import explain_validity

from civicgrid.lib.text import shorten

# Metres per degree of latitude, and of longitude at the equator (WGS-84 mean values).
M_PER_DEG_LAT = 110_574.0
M_PER_DEG_LON = 111_320.0
# Mean Earth radius (IUGG), for great-circle distances.
EARTH_RADIUS_M = 6_371_008.8


class GeometryError(ValueError):
    """A geometry a user sent that cannot be a boundary; the message is translated."""


def parse_boundary(geometry: Any) -> Polygon | MultiPolygon:
    """Return the shapely geometry of a GeoJSON Polygon/MultiPolygon, or raise GeometryError saying why not."""
    if not isinstance(geometry, dict) or "type" not in geometry or "coordinates" not in geometry:
        raise GeometryError(_("A boundary must be a GeoJSON geometry with “type” and “coordinates”."))
    if geometry["type"] not in ("Polygon", "MultiPolygon"):
        raise GeometryError(
            _("A boundary must be a Polygon or MultiPolygon, not %(type)s.") % {"type": geometry["type"]}
        )
    try:
        geom = shape(geometry)
    except (ValueError, TypeError, IndexError, AttributeError, shapely.errors.GEOSException):
        raise GeometryError(_("The boundary's coordinates are malformed."))
    if geom.is_empty:
        raise GeometryError(_("The boundary is empty."))
    min_lon, min_lat, max_lon, max_lat = geom.bounds
    if not all(math.isfinite(v) for v in geom.bounds):
        raise GeometryError(_("The boundary's coordinates are malformed."))
    if min_lon < -180 or max_lon > 180 or min_lat < -90 or max_lat > 90:
        raise GeometryError(
            _("Coordinates are out of range: longitude must be within ±180 and latitude within ±90.")
        )
    if not geom.is_valid:
        raise GeometryError(
            _("The boundary is not a valid polygon (%(reason)s).") % {"reason": explain_validity(geom)}
        )
    if geom.area == 0:
        raise GeometryError(_("The boundary has no area."))
    return geom


def geometry_area_m2(geom: Polygon | MultiPolygon) -> float:
    """Return the area in square metres, by a local equirectangular projection (fine at grid scale)."""
    lat = geom.centroid.y
    return float(geom.area * M_PER_DEG_LAT * M_PER_DEG_LON * math.cos(math.radians(lat)))


# --- Coordinate systems ---------------------------------------------------------------------------------
#
# Chinese phone maps and mini-programs report GCJ-02 (WeChat, AMap, Tencent) or BD-09 (Baidu); GPS and the
# boundaries stored here are WGS-84. The GCJ-02 offset is the widely published reconstruction (Krasovsky 1940
# ellipsoid, the same constants as eviltransform, coordtransform and PRCoords); BD-09 adds Baidu's rotation and
# shift on top of GCJ-02. Inverses are iterated to a fixed point so a round trip loses well under a millimetre.

_GCJ_A = 6378245.0
_GCJ_EE = 0.00669342162296594323
_BD_X_PI = math.pi * 3000.0 / 180.0
# Degrees; 1e-8° is about 1 mm. Iteration stops once a step moved less than this, and since each step
# shrinks the error about a hundredfold, the result is good to about 0.01 mm.
_INVERSE_TOLERANCE = 1e-8
_INVERSE_MAX_STEPS = 30

CRS_CHOICES = ("wgs84", "gcj02", "bd09")
# How a page names each system beside coordinates a person reads or types (the report page).
CRS_LABELS = {
    "wgs84": gettext_lazy("WGS-84"),
    "gcj02": gettext_lazy("GCJ-02, as on AMap and Tencent maps"),
    "bd09": gettext_lazy("BD-09, as on Baidu Maps"),
}


def out_of_china(lon: float, lat: float) -> bool:
    """Return True outside the rectangle where the GCJ-02 offset is applied (there GCJ-02 equals WGS-84)."""
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _gcj_offset(lon: float, lat: float) -> tuple[float, float]:
    """Return the GCJ-02 offset (dlon, dlat) in degrees at a WGS-84 point, without the China check."""
    x = lon - 105.0
    y = lat - 35.0
    sqrt_abs_x = math.sqrt(abs(x))
    common = 20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)
    dlat_m = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * sqrt_abs_x
        + (
            common
            + 20.0 * math.sin(y * math.pi)
            + 40.0 * math.sin(y / 3.0 * math.pi)
            + 160.0 * math.sin(y / 12.0 * math.pi)
            + 320.0 * math.sin(y / 30.0 * math.pi)
        )
        * 2.0
        / 3.0
    )
    dlon_m = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * sqrt_abs_x
        + (
            common
            + 20.0 * math.sin(x * math.pi)
            + 40.0 * math.sin(x / 3.0 * math.pi)
            + 150.0 * math.sin(x / 12.0 * math.pi)
            + 300.0 * math.sin(x / 30.0 * math.pi)
        )
        * 2.0
        / 3.0
    )
    rad_lat = math.radians(lat)
    magic = 1.0 - _GCJ_EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    dlat = dlat_m * 180.0 / ((_GCJ_A * (1.0 - _GCJ_EE)) / (magic * sqrt_magic) * math.pi)
    dlon = dlon_m * 180.0 / (_GCJ_A / sqrt_magic * math.cos(rad_lat) * math.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """Return the GCJ-02 (lon, lat) of a WGS-84 point."""
    if out_of_china(lon, lat):
        return lon, lat
    dlon, dlat = _gcj_offset(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """Return the WGS-84 (lon, lat) of a GCJ-02 point, by fixed-point iteration of the forward offset.

    The one-step inverse (subtract the offset taken at the GCJ-02 point) is off by 1–2 m; the offset changes
    slowly, so each further step shrinks the error about a hundredfold.
    """
    if out_of_china(lon, lat):
        return lon, lat
    wlon, wlat = lon, lat
    for _step in range(_INVERSE_MAX_STEPS):
        dlon, dlat = _gcj_offset(wlon, wlat)
        err_lon = wlon + dlon - lon
        err_lat = wlat + dlat - lat
        wlon -= err_lon
        wlat -= err_lat
        if abs(err_lon) < _INVERSE_TOLERANCE and abs(err_lat) < _INVERSE_TOLERANCE:
            break
    return wlon, wlat


def _bd_forward(lon: float, lat: float) -> tuple[float, float]:
    z = math.hypot(lon, lat) + 0.00002 * math.sin(lat * _BD_X_PI)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * _BD_X_PI)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006


def gcj02_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    """Return the BD-09 (lon, lat) of a GCJ-02 point."""
    if out_of_china(lon, lat):
        return lon, lat
    return _bd_forward(lon, lat)


def bd09_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """Return the GCJ-02 (lon, lat) of a BD-09 point.

    Starts from the published closed-form inverse (good to about 0.2 m) and refines it against the forward
    formula, so a GCJ-02 → BD-09 → GCJ-02 round trip is exact to well under a millimetre.
    """
    if out_of_china(lon, lat):
        return lon, lat
    x = lon - 0.0065
    y = lat - 0.006
    z = math.hypot(x, y) - 0.00002 * math.sin(y * _BD_X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _BD_X_PI)
    glon, glat = z * math.cos(theta), z * math.sin(theta)
    for _step in range(_INVERSE_MAX_STEPS):
        blon, blat = _bd_forward(glon, glat)
        err_lon = blon - lon
        err_lat = blat - lat
        glon -= err_lon
        glat -= err_lat
        if abs(err_lon) < _INVERSE_TOLERANCE and abs(err_lat) < _INVERSE_TOLERANCE:
            break
    return glon, glat


def wgs84_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    """Return the BD-09 (lon, lat) of a WGS-84 point."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """Return the WGS-84 (lon, lat) of a BD-09 point."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def to_wgs84(lon: float, lat: float, crs: str = "wgs84") -> tuple[float, float]:
    """Return the WGS-84 (lon, lat) of a point given in `crs` (wgs84, gcj02 or bd09); raise GeometryError else."""
    if crs == "wgs84":
        return lon, lat
    if crs == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if crs == "bd09":
        return bd09_to_wgs84(lon, lat)
    raise GeometryError(
        _(
            "Unknown coordinate system “%(crs)s”: use wgs84 (GPS), gcj02 (WeChat, AMap, Tencent) or bd09 (Baidu)."
        )
        % {"crs": shorten(crs)}
    )


def transform_geometry(
    geometry: dict[str, Any], fn: Callable[[float, float], tuple[float, float]]
) -> dict[str, Any]:
    """Return a copy of a GeoJSON geometry with `fn(lon, lat)` applied to every position.

    Used to draw stored WGS-84 outlines on GCJ-02 tiles (`places.display`).
    """

    def positions(coords: Any) -> Any:
        if coords and isinstance(coords[0], (int, float)):
            lon, lat = fn(coords[0], coords[1])
            return [lon, lat, *coords[2:]]
        return [positions(c) for c in coords]

    if geometry.get("type") == "GeometryCollection":
        return {
            **geometry,
            "geometries": [transform_geometry(g, fn) for g in geometry.get("geometries", [])],
        }
    return {**geometry, "coordinates": positions(geometry.get("coordinates", []))}


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Return the great-circle distance in metres between two WGS-84 points."""
    phi1 = math.radians(lat1)
    phi2 = math.radians(lat2)
    h = (
        math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


# --- Routing index --------------------------------------------------------------------------------------

# The bare ufunc behind shapely.intersects_xy: the public wrapper adds about 0.8 µs of Python per call, close to
# half the cost of a test against a prepared polygon, and lookups make one such call per candidate.
_intersects_xy = getattr(shapely.lib, "intersects_xy", shapely.intersects_xy)

# Cells are classified as if grown by this much (degrees; about 0.1 mm), so a point that floating-point rounding
# puts into the neighbouring cell is still answered correctly.
_CELL_EPSILON = 1e-9
# Cells classified per vectorised batch: bounds the memory the temporary cell boxes take.
_CELL_BATCH = 1 << 16

Key = str
_Cell = Key | tuple[tuple[Any, Key], ...] | None


class RoutingIndex:
    """Answer which grid covers a WGS-84 point, fast enough to route every request in-process.

    A point covered by several grids (on a shared edge or vertex, or in a sliver where two grids overlap)
    goes to the smallest key among them, so it lands in one grid and the same one every time.

    How: a uniform raster over the extent of all grids. Each cell holds None (no grid touches it), the key of
    the one grid that covers the whole cell and touches nothing else (answered with no geometry test), or the
    grids touching it, sorted by key, each tested with a prepared polygon until one covers the point.
    `nearest` uses a second STRtree of the grids in a local metric projection.
    """

    def __init__(
        self,
        entries: Iterable[tuple[Key, Polygon | MultiPolygon]],
        payload: Mapping[Key, Any] | None = None,
        *,
        cells_per_grid: int = 64,
        max_cells: int = 2_000_000,
    ) -> None:
        """Build the index; `payload` maps keys to whatever callers want back with a key (see `payload`).

        `cells_per_grid` sets the raster's resolution: more cells answer more points with no geometry test
        but take longer to build and more memory.
        """
        items = sorted(entries, key=lambda item: item[0])
        keys = [key for key, _geom in items]
        if len(set(keys)) != len(keys):
            raise ValueError("RoutingIndex keys must be unique")
        self.keys: tuple[Key, ...] = tuple(keys)
        self._payload: dict[Key, Any] = dict(payload or {})
        self._geoms = np.array([geom for _key, geom in items], dtype=object)
        self._x0 = self._y0 = 0.0
        self._inv = 1.0
        self._nx = self._ny = 0
        self._cells: list[_Cell] = []
        self.extent: tuple[float, float, float, float] | None = None
        if not keys:
            return
        shapely.prepare(self._geoms)
        # GEOS builds a prepared polygon's point locator on its first test, without a lock, and shapely
        # releases the GIL during tests: build every locator here, before threads share the index. (The test
        # point must lie inside the envelope, else GEOS answers from the envelope alone.)
        bounds = shapely.bounds(self._geoms)
        shapely.intersects_xy(
            self._geoms, (bounds[:, 0] + bounds[:, 2]) / 2, (bounds[:, 1] + bounds[:, 3]) / 2
        )
        self._tree = shapely.STRtree(self._geoms)
        xmin, ymin, xmax, ymax = (float(v) for v in shapely.total_bounds(self._geoms))
        self.extent = (xmin, ymin, xmax, ymax)
        self._build_raster(cells_per_grid, max_cells)
        self._build_metric_tree()

    def __len__(self) -> int:
        return len(self.keys)

    def _build_raster(self, cells_per_grid: int, max_cells: int) -> None:
        assert self.extent is not None
        xmin, ymin, xmax, ymax = self.extent
        width = max(xmax - xmin, 1e-12)
        height = max(ymax - ymin, 1e-12)
        target = max(1, min(max_cells, len(self.keys) * cells_per_grid))
        size = math.sqrt(width * height / target)
        # A long thin extent must not ask for more cells than allowed along one axis.
        size = max(size, width / max_cells, height / max_cells)
        # One spare column and row: a point on the extent's east or north edge still falls inside the raster.
        nx = int(width / size) + 2
        ny = int(height / size) + 2
        self._x0, self._y0, self._inv, self._nx, self._ny = xmin, ymin, 1.0 / size, nx, ny
        cells: list[_Cell] = [None] * (nx * ny)
        interned: dict[tuple[int, ...], tuple[tuple[Any, Key], ...]] = {}
        keys = self.keys
        geoms = self._geoms
        rows_per_batch = max(1, _CELL_BATCH // nx)
        columns = np.arange(nx, dtype=np.float64)
        for row0 in range(0, ny, rows_per_batch):
            row1 = min(ny, row0 + rows_per_batch)
            gx, gy = np.meshgrid(columns, np.arange(row0, row1, dtype=np.float64))
            gx = gx.ravel()
            gy = gy.ravel()
            boxes = shapely.box(
                xmin + gx * size - _CELL_EPSILON,
                ymin + gy * size - _CELL_EPSILON,
                xmin + (gx + 1) * size + _CELL_EPSILON,
                ymin + (gy + 1) * size + _CELL_EPSILON,
            )
            cell_idx, grid_idx = self._tree.query(boxes, predicate="intersects")
            if not len(cell_idx):
                continue
            order = np.lexsort((grid_idx, cell_idx))
            cell_idx = cell_idx[order]
            grid_idx = grid_idx[order]
            counts = np.bincount(cell_idx, minlength=len(boxes))
            starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
            resolved = np.zeros(len(boxes), dtype=bool)
            single = np.flatnonzero(counts == 1)
            if len(single):
                single_grid = grid_idx[starts[single]]
                covered = shapely.covers(geoms[single_grid], boxes[single])
                base = row0 * nx
                for cell, grid in zip(single[covered].tolist(), single_grid[covered].tolist(), strict=True):
                    cells[base + cell] = keys[grid]
                resolved[single[covered]] = True
            grid_list = grid_idx.tolist()
            for cell in np.flatnonzero((counts > 0) & ~resolved).tolist():
                start = int(starts[cell])
                candidates = tuple(grid_list[start : start + int(counts[cell])])
                entry = interned.get(candidates)
                if entry is None:
                    entry = tuple((geoms[g], keys[g]) for g in candidates)
                    interned[candidates] = entry
                cells[row0 * nx + cell] = entry
        self._cells = cells

    def _build_metric_tree(self) -> None:
        assert self.extent is not None
        xmin, ymin, xmax, ymax = self.extent
        self._lon0 = (xmin + xmax) / 2
        self._lat0 = (ymin + ymax) / 2
        self._mx = M_PER_DEG_LON * math.cos(math.radians(self._lat0))
        self._my = M_PER_DEG_LAT
        lon0, lat0, mx, my = self._lon0, self._lat0, self._mx, self._my

        def project(coords: np.ndarray) -> np.ndarray:
            return np.column_stack(((coords[:, 0] - lon0) * mx, (coords[:, 1] - lat0) * my))

        self._metric_geoms = shapely.transform(self._geoms, project)
        self._metric_tree = shapely.STRtree(self._metric_geoms)

    def lookup(self, lon: float, lat: float) -> Key | None:
        """Return the key of the grid covering the point (smallest key if several do), or None."""
        fx = (lon - self._x0) * self._inv
        fy = (lat - self._y0) * self._inv
        if not (0.0 <= fx < self._nx and 0.0 <= fy < self._ny):
            return None
        cell = self._cells[int(fy) * self._nx + int(fx)]
        if cell is None or cell.__class__ is str:
            return cell  # type: ignore[return-value]
        for geom, key in cell:  # type: ignore[union-attr]
            if _intersects_xy(geom, lon, lat):
                return key
        return None

    def nearest(self, lon: float, lat: float) -> tuple[Key, float] | None:
        """Return the grid nearest to the point and its great-circle distance in metres (0 inside a grid).

        Ties go to the smallest key. None when the index has no grids.
        """
        if not self.keys:
            return None
        point = shapely.Point((lon - self._lon0) * self._mx, (lat - self._lat0) * self._my)
        indices, _distances = self._metric_tree.query_nearest(point, return_distance=True, all_matches=True)
        best = int(indices.min())
        line = shapely.shortest_line(self._metric_geoms[best], point)
        (x, y), _point = shapely.get_coordinates(line)
        near_lon = x / self._mx + self._lon0
        near_lat = y / self._my + self._lat0
        return self.keys[best], haversine_m(lon, lat, near_lon, near_lat)

    def distance_to_extent_m(self, lon: float, lat: float) -> float:
        """Return how far the point lies outside the bounding box of all grids, in metres (0 inside it)."""
        if self.extent is None:
            return math.inf
        xmin, ymin, xmax, ymax = self.extent
        return haversine_m(lon, lat, min(max(lon, xmin), xmax), min(max(lat, ymin), ymax))

    def payload(self, key: Key) -> Any:
        """Return what the builder stored for `key` (None if nothing)."""
        return self._payload.get(key)
