"""Coordinate systems and the routing index (no database)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, Polygon, box

from civicgrid.lib.geo import (
    GeometryError,
    RoutingIndex,
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    haversine_m,
    out_of_china,
    to_wgs84,
    transform_geometry,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

# Published pairs from googollee/eviltransform's test suites (python/test.py, go/transform_test.go,
# javascript/test.js): (wgs_lat, wgs_lng, gcj_lat, gcj_lng). Their BD-09 pairs (TESTS_bd) are left out: they
# disagree with every published formula, their own included, by 10–40 m, so they look like sampled Baidu
# API output rather than a reference for the formula.
EVILTRANSFORM_PAIRS = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
]

# Published results from wandergis/coordtransform's test/app.js, all for the input (116.404, 39.915), as
# (lon, lat). Its gcj02towgs84 is the one-step inverse (1–2 m off) and its bd09togcj02 the closed-form
# inverse (about 0.2 m off at most), so those two are compared with a tolerance rather than exactly.
COORDTRANSFORM_INPUT = (116.404, 39.915)
COORDTRANSFORM_WGS84_TO_GCJ02 = (116.41024449916938, 39.91640428150164)
COORDTRANSFORM_GCJ02_TO_BD09 = (116.41036949371029, 39.92133699351021)
COORDTRANSFORM_BD09_TO_GCJ02 = (116.39762729119315, 39.90865673957631)
COORDTRANSFORM_GCJ02_TO_WGS84 = (116.39775550083061, 39.91359571849836)

# Inside the rectangle where the offset applies, with room for the offset itself (under 0.01°), so a round
# trip never crosses the rectangle's edge.
china_lon = st.floats(min_value=72.1, max_value=137.7)
china_lat = st.floats(min_value=0.95, max_value=55.7)


@pytest.mark.parametrize(("wgs_lat", "wgs_lon", "gcj_lat", "gcj_lon"), EVILTRANSFORM_PAIRS)
def test_it_converts_wgs84_to_gcj02_as_eviltransform_publishes(wgs_lat, wgs_lon, gcj_lat, gcj_lon):
    lon, lat = wgs84_to_gcj02(wgs_lon, wgs_lat)
    assert lon == pytest.approx(gcj_lon, abs=1e-9)
    assert lat == pytest.approx(gcj_lat, abs=1e-9)


@pytest.mark.parametrize(("wgs_lat", "wgs_lon", "gcj_lat", "gcj_lon"), EVILTRANSFORM_PAIRS)
def test_it_converts_gcj02_back_to_the_published_wgs84_point(wgs_lat, wgs_lon, gcj_lat, gcj_lon):
    lon, lat = gcj02_to_wgs84(gcj_lon, gcj_lat)
    # eviltransform's own exact inverse promises 0.5 m; this one is held to a centimetre.
    assert haversine_m(lon, lat, wgs_lon, wgs_lat) < 0.01


def test_it_matches_coordtransform_published_results():
    assert wgs84_to_gcj02(*COORDTRANSFORM_INPUT) == pytest.approx(COORDTRANSFORM_WGS84_TO_GCJ02, abs=1e-9)
    assert gcj02_to_bd09(*COORDTRANSFORM_INPUT) == pytest.approx(COORDTRANSFORM_GCJ02_TO_BD09, abs=1e-9)
    assert haversine_m(*bd09_to_gcj02(*COORDTRANSFORM_INPUT), *COORDTRANSFORM_BD09_TO_GCJ02) < 0.3
    assert haversine_m(*gcj02_to_wgs84(*COORDTRANSFORM_INPUT), *COORDTRANSFORM_GCJ02_TO_WGS84) < 2.0


def test_it_converts_every_supported_crs_to_wgs84():
    wgs = (120.705, 31.605)
    assert to_wgs84(*wgs, "wgs84") == wgs
    assert haversine_m(*to_wgs84(*wgs84_to_gcj02(*wgs), "gcj02"), *wgs) < 0.01
    assert haversine_m(*to_wgs84(*wgs84_to_bd09(*wgs), "bd09"), *wgs) < 0.01
    # The offsets are hundreds of metres: converting is not a no-op.
    assert haversine_m(*wgs84_to_gcj02(*wgs), *wgs) > 100
    assert haversine_m(*wgs84_to_bd09(*wgs), *wgs) > 100


@pytest.mark.parametrize("crs", ["", "WGS-84", "epsg:4326", "gcj-02", "baidu"])
def test_it_refuses_an_unknown_coordinate_system(crs):
    with pytest.raises(GeometryError, match="Unknown coordinate system"):
        to_wgs84(120.7, 31.6, crs)


def test_it_knows_which_points_are_outside_china():
    assert not out_of_china(120.7, 31.6)  # Suzhou
    assert not out_of_china(116.4, 39.9)  # Beijing
    assert out_of_china(2.35, 48.86)  # Paris
    assert out_of_china(-74.0, 40.7)  # New York
    assert out_of_china(151.2, -33.9)  # Sydney


@given(lon=china_lon, lat=china_lat)
@settings(max_examples=500)
def test_a_wgs84_gcj02_round_trip_stays_within_a_metre_everywhere_in_china(lon, lat):
    back = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert haversine_m(*back, lon, lat) < 1.0
    assert haversine_m(*back, lon, lat) < 0.001  # in fact well under a millimetre


@given(lon=china_lon, lat=china_lat)
@settings(max_examples=500)
def test_a_bd09_round_trip_stays_within_a_metre_everywhere_in_china(lon, lat):
    assert haversine_m(*bd09_to_gcj02(*gcj02_to_bd09(lon, lat)), lon, lat) < 0.001
    assert haversine_m(*bd09_to_wgs84(*wgs84_to_bd09(lon, lat)), lon, lat) < 1.0


outside_china = st.one_of(
    st.tuples(st.floats(-180, 72.0), st.floats(-90, 90)),
    st.tuples(st.floats(137.9, 180), st.floats(-90, 90)),
    st.tuples(st.floats(-180, 180), st.floats(-90, 0.8)),
    st.tuples(st.floats(-180, 180), st.floats(55.9, 90)),
)


@given(point=outside_china)
def test_outside_china_gcj02_and_bd09_equal_wgs84(point):
    lon, lat = point
    assert out_of_china(lon, lat)
    assert wgs84_to_gcj02(lon, lat) == (lon, lat)
    assert gcj02_to_wgs84(lon, lat) == (lon, lat)
    assert to_wgs84(lon, lat, "gcj02") == (lon, lat)
    assert to_wgs84(lon, lat, "bd09") == (lon, lat)


# --- Routing index -------------------------------------------------------------------------------------


def square(lon: float, lat: float, size: float = 0.01) -> Polygon:
    return box(lon, lat, lon + size, lat + size)


def brute_force(entries: list[tuple[str, Polygon | MultiPolygon]], lon: float, lat: float) -> str | None:
    """Return the smallest key among the grids covering the point: the rule the index must follow."""
    point = shapely.Point(lon, lat)
    covering = [key for key, geom in entries if geom.intersects(point)]
    return min(covering) if covering else None


@pytest.fixture
def two_squares() -> list[tuple[str, Polygon]]:
    # Listed out of order on purpose: the tie-break must not depend on the order entries arrive in.
    return [("b", square(120.71, 31.60)), ("a", square(120.70, 31.60))]


def test_it_routes_points_inside_a_grid(two_squares):
    index = RoutingIndex(two_squares)
    assert index.lookup(120.705, 31.605) == "a"
    assert index.lookup(120.715, 31.605) == "b"
    assert index.lookup(120.69, 31.605) is None
    assert index.lookup(120.705, 31.62) is None


@pytest.mark.parametrize("cells_per_grid", [1, 4, 64])
def test_it_does_not_route_a_point_just_outside_a_grid(cells_per_grid):
    index = RoutingIndex(
        [("t", Polygon([(120.70, 31.60), (120.71, 31.60), (120.70, 31.61)]))], cells_per_grid=cells_per_grid
    )
    assert index.lookup(120.7049, 31.6049) == "t"
    assert index.lookup(120.705, 31.605) == "t"  # on the hypotenuse
    assert index.lookup(120.7051, 31.6051) is None
    assert index.lookup(120.7099, 31.6099) is None
    assert index.lookup(120.71, 31.60) == "t"
    assert index.lookup(120.7100001, 31.60) is None


@pytest.mark.parametrize("cells_per_grid", [1, 64, 4096])
def test_it_routes_a_point_on_a_shared_edge_or_corner_to_the_smallest_key(two_squares, cells_per_grid):
    index = RoutingIndex(two_squares, cells_per_grid=cells_per_grid)
    reversed_index = RoutingIndex(list(reversed(two_squares)), cells_per_grid=cells_per_grid)
    for lon, lat in [(120.71, 31.605), (120.71, 31.60), (120.71, 31.61)]:
        assert index.lookup(lon, lat) == "a"
        assert reversed_index.lookup(lon, lat) == "a"
    # An outer edge or corner is covered by its only grid.
    assert index.lookup(120.72, 31.61) == "b"
    assert index.lookup(120.70, 31.60) == "a"


def test_it_routes_a_point_in_an_overlap_to_the_smallest_key():
    index = RoutingIndex([("z", square(120.700, 31.60)), ("m", square(120.705, 31.60))])
    assert index.lookup(120.707, 31.605) == "m"
    assert index.lookup(120.702, 31.605) == "z"


def test_it_respects_holes_and_multipolygons():
    ring = Polygon(
        [(120.70, 31.60), (120.73, 31.60), (120.73, 31.63), (120.70, 31.63)],
        [[(120.71, 31.61), (120.72, 31.61), (120.72, 31.62), (120.71, 31.62)]],
    )
    islands = MultiPolygon([square(120.80, 31.60), square(120.82, 31.60)])
    index = RoutingIndex([("ring", ring), ("islands", islands), ("core", square(120.713, 31.613, 0.004))])
    assert index.lookup(120.705, 31.605) == "ring"
    assert index.lookup(120.715, 31.615) == "core"
    assert index.lookup(120.711, 31.611) is None  # in the hole, outside the core
    assert index.lookup(120.805, 31.605) == "islands"
    assert index.lookup(120.825, 31.605) == "islands"
    assert index.lookup(120.815, 31.605) is None


def test_an_empty_index_routes_nothing():
    index = RoutingIndex([])
    assert len(index) == 0
    assert index.extent is None
    assert index.lookup(120.7, 31.6) is None
    assert index.nearest(120.7, 31.6) is None
    assert index.distance_to_extent_m(120.7, 31.6) == math.inf


def test_it_finds_the_nearest_grid_in_metres(two_squares):
    index = RoutingIndex(two_squares)
    key, distance = index.nearest(120.73, 31.605)
    assert key == "b"
    expected = haversine_m(120.73, 31.605, 120.72, 31.605)
    assert distance == pytest.approx(expected, rel=1e-3)
    assert 900 < distance < 1000
    assert index.nearest(120.705, 31.605) == ("a", 0.0)


def test_the_nearest_grid_ties_go_to_the_smallest_key(two_squares):
    index = RoutingIndex(two_squares)
    # Straight north of the shared edge: as near to both grids.
    key, _distance = index.nearest(120.71, 31.62)
    assert key == "a"


def test_it_measures_how_far_a_point_is_outside_the_extent(two_squares):
    index = RoutingIndex(two_squares)
    assert index.extent == pytest.approx((120.70, 31.60, 120.72, 31.61))
    assert index.distance_to_extent_m(120.71, 31.605) == 0
    assert index.distance_to_extent_m(120.71, 31.71) == pytest.approx(haversine_m(0, 31.61, 0, 31.71))


def test_it_returns_the_payload_stored_for_a_key(two_squares):
    index = RoutingIndex(two_squares, {"a": {"village": "A1"}})
    assert index.payload("a") == {"village": "A1"}
    assert index.payload("b") is None


def test_it_refuses_duplicate_keys():
    with pytest.raises(ValueError, match="unique"):
        RoutingIndex([("a", square(0, 0)), ("a", square(1, 1))])


def tessellation(seed: int, count: int, *, gaps: bool = False) -> list[tuple[str, Polygon]]:
    """Return `count` grids tiling a 0.1° square with shared edges, like a real village's grids.

    With `gaps`, every fourth grid is left out, so some raster cells are only partly covered by one grid.
    """
    rng = np.random.default_rng(seed)
    area = box(120.70, 31.60, 120.80, 31.70)
    sites = shapely.multipoints(rng.uniform((120.70, 31.60), (120.80, 31.70), size=(count, 2)))
    cells = shapely.intersection(shapely.get_parts(shapely.voronoi_polygons(sites, extend_to=area)), area)
    return [
        (f"{329981001001000 + i + 1:015d}", cell) for i, cell in enumerate(cells) if not (gaps and i % 4 == 0)
    ]


@st.composite
def probe_points(draw, entries: list[tuple[str, Polygon]]) -> tuple[float, float]:
    """Draw a point anywhere near the grids, or exactly on one of their vertices, or on one of their edges."""
    kind = draw(st.sampled_from(["anywhere", "vertex", "edge"]))
    if kind == "anywhere":
        return draw(st.floats(120.69, 120.81)), draw(st.floats(31.59, 31.71))
    _key, geom = draw(st.sampled_from(entries))
    coords = shapely.get_coordinates(geom)
    i = draw(st.integers(0, len(coords) - 2))
    if kind == "vertex":
        return float(coords[i][0]), float(coords[i][1])
    t = draw(st.floats(0, 1))
    (x0, y0), (x1, y1) = coords[i], coords[i + 1]
    return float(x0 + t * (x1 - x0)), float(y0 + t * (y1 - y0))


TESSELLATIONS = {seed: tessellation(seed, 60, gaps=seed % 2 == 1) for seed in range(4)}
INDEXES = {
    (seed, cells): RoutingIndex(entries, cells_per_grid=cells)
    for seed, entries in TESSELLATIONS.items()
    for cells in (1, 16, 256)
}


@given(data=st.data(), seed=st.sampled_from(sorted(TESSELLATIONS)), cells=st.sampled_from([1, 16, 256]))
@settings(max_examples=400, deadline=None)
def test_the_index_agrees_with_a_brute_force_check_over_all_grids(data, seed, cells):
    entries = TESSELLATIONS[seed]
    lon, lat = data.draw(probe_points(entries))
    assert INDEXES[(seed, cells)].lookup(lon, lat) == brute_force(entries, lon, lat)


def test_every_point_of_a_tessellation_goes_to_exactly_one_grid():
    entries = TESSELLATIONS[0]
    index = INDEXES[(0, 16)]
    rng = np.random.default_rng(7)
    for lon, lat in rng.uniform((120.70, 31.60), (120.80, 31.70), size=(2000, 2)).tolist():
        key = index.lookup(lon, lat)
        assert key is not None
        assert key == brute_force(entries, lon, lat)


def test_it_shifts_tiananmen_to_its_gcj02_position_and_back():
    # Worked with the published algorithm (eviltransform's wgs2gcj): the WGS-84 point lands about
    # 530 m east and 160 m north on AMap's tiles.
    lon, lat = wgs84_to_gcj02(116.397, 39.908)
    assert lon == pytest.approx(116.4032434, abs=1e-6)
    assert lat == pytest.approx(39.9094034, abs=1e-6)
    assert gcj02_to_wgs84(lon, lat) == pytest.approx((116.397, 39.908), abs=1e-5)


def test_it_transforms_every_position_of_a_geojson_geometry():
    square = {
        "type": "Polygon",
        "coordinates": [[[116.39, 39.90], [116.40, 39.90], [116.40, 39.91], [116.39, 39.90]]],
    }
    multi = {"type": "MultiPolygon", "coordinates": [square["coordinates"]]}
    moved = transform_geometry(multi, wgs84_to_gcj02)
    assert moved["type"] == "MultiPolygon"
    assert moved["coordinates"][0][0][1] == pytest.approx(list(wgs84_to_gcj02(116.40, 39.90)), abs=1e-12)
    assert len(moved["coordinates"][0][0]) == 4
    # The stored geometry is left as it was.
    assert multi["coordinates"][0][0][1] == [116.40, 39.90]
    point = transform_geometry({"type": "Point", "coordinates": [116.397, 39.908]}, wgs84_to_gcj02)
    assert point["coordinates"] == pytest.approx([116.4032434, 39.9094034], abs=1e-6)
