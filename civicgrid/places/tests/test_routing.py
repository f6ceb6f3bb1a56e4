"""Routing a point to its grid, village, town and district (places.routing over lib.geo.RoutingIndex)."""

from __future__ import annotations

import math
import threading
import time

import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicgrid.core.errors import ApplicationError
from civicgrid.lib.geo import haversine_m, parse_boundary, wgs84_to_bd09, wgs84_to_gcj02
from civicgrid.places import routing
from civicgrid.places.models import Boundary, Place, RoutingRevision
from civicgrid.places.services import boundary_set, bump_routing_revision

# Inside grid A1a, grid A1b and grid B1a of the `world` fixture.
IN_A1A = (120.705, 31.605)
IN_A1B = (120.715, 31.605)
IN_B1A = (120.805, 31.605)


@pytest.fixture(autouse=True)
def fresh_index():
    """Start and end every test without a cached index: a test that raises the refresh interval must not
    keep one built from another test's (rolled back) boundaries."""
    routing.invalidate()
    yield
    routing.invalidate()


def square(lon: float, lat: float, size: float = 0.01) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [
            [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
        ],
    }


def ref(place: Place) -> routing.PlaceRef:
    return routing.PlaceRef(id=place.pk, code=place.code, name=place.name, level=place.level)


def database_snapshot() -> tuple:
    revision = RoutingRevision.objects.values_list("revision", "changed_at").first()
    return Place.objects.count(), Boundary.objects.count(), revision


def test_it_routes_a_point_inside_a_grid_to_its_grid_village_town_and_district(world):
    location = routing.locate(*IN_A1A)
    assert location == routing.Location(
        lon=IN_A1A[0],
        lat=IN_A1A[1],
        routed=True,
        grid=ref(world.grid_a1a),
        village=ref(world.village_a1),
        town=ref(world.town_a),
        district=ref(world.district),
    )
    assert routing.locate(*IN_A1B).grid == ref(world.grid_a1b)
    b1a = routing.locate(*IN_B1A)
    assert (b1a.grid, b1a.village, b1a.town) == (
        ref(world.grid_b1a),
        ref(world.village_b1),
        ref(world.town_b),
    )


@pytest.mark.parametrize(
    "point",
    [(120.71, 31.605), (120.71, 31.60), (120.71, 31.61)],
    ids=["shared edge", "shared south corner", "shared north corner"],
)
def test_it_routes_a_point_on_a_shared_edge_or_corner_to_one_grid_always_the_same(world, point):
    answers = {routing.locate(*point).grid for _ in range(5)}
    routing.invalidate()
    answers.add(routing.locate(*point).grid)
    # The smallest code among the grids covering the point wins: A1a (…001) over A1b (…002).
    assert answers == {ref(world.grid_a1a)}


def test_a_point_outside_every_grid_near_a1_gets_village_a1_unrouted(world):
    location = routing.locate(120.725, 31.605)  # about 475 m east of A1b
    assert location.routed is False
    assert location.grid is None
    assert location.village == ref(world.village_a1)
    assert location.town == ref(world.town_a)
    assert location.district == ref(world.district)


def test_a_point_a_few_km_from_every_grid_gets_only_the_nearest_town(world, settings):
    settings.ROUTING_VILLAGE_RADIUS_KM = 3
    location = routing.locate(120.705, 31.65)  # about 4.4 km north of A1a
    assert (location.routed, location.grid, location.village) == (False, None, None)
    assert location.town == ref(world.town_a)
    assert location.district == ref(world.district)


@pytest.mark.parametrize(
    ("crs", "convert"), [("gcj02", wgs84_to_gcj02), ("bd09", wgs84_to_bd09)], ids=["gcj02", "bd09"]
)
def test_it_converts_gcj02_and_bd09_input_to_wgs84_before_routing(world, crs, convert):
    wgs = (120.708, 31.605)  # in A1a, 2 m west of the shared edge
    shifted = convert(*wgs)
    location = routing.locate(*shifted, crs=crs)
    assert location.grid == ref(world.grid_a1a)
    assert haversine_m(location.lon, location.lat, *wgs) < 0.01
    # Read as WGS-84, the same numbers land hundreds of metres away, in the other grid.
    assert routing.locate(*shifted).grid == ref(world.grid_a1b)


@pytest.mark.parametrize(
    "point",
    [(2.35, 48.86), (-74.0, 40.7), (121.5, 25.0), (120.705, 3.1605)],
    ids=["Paris", "New York", "Taipei", "latitude a digit short"],
)
def test_it_refuses_a_point_far_outside_the_service_area_and_writes_nothing(world, point):
    before = database_snapshot()
    with pytest.raises(ApplicationError) as caught:
        routing.locate(*point)
    assert caught.value.code == "outside_service_area"
    assert "outside the area this CivicGrid serves" in caught.value.message
    assert "coordinate system (crs)" in caught.value.message
    assert "swapped" in caught.value.message
    assert caught.value.extra["distance_km"] > 30
    assert database_snapshot() == before


def test_the_service_margin_is_a_setting(world, settings):
    point = (120.70, 31.70)  # about 10 km north of the grids
    assert routing.locate(*point).town == ref(world.town_a)
    settings.ROUTING_SERVICE_MARGIN_KM = 5
    with pytest.raises(ApplicationError) as caught:
        routing.locate(*point)
    assert caught.value.code == "outside_service_area"


@pytest.mark.parametrize(
    ("lon", "lat"),
    [
        (180.5, 31.6),
        (-181, 31.6),
        (120.7, 90.01),
        (120.7, -95),
        (math.nan, 31.6),
        (120.7, math.inf),
        (-math.inf, 31.6),
        ("east", 31.6),
        (None, 31.6),
        (True, 31.6),
        (IN_A1A[1], IN_A1A[0]),
    ],
)
def test_it_refuses_out_of_range_coordinates(world, lon, lat):
    with pytest.raises(ApplicationError) as caught:
        routing.locate(lon, lat)
    assert caught.value.code == "out_of_range"
    assert "longitude must be within ±180" in caught.value.message


def test_it_refuses_an_unknown_coordinate_system(world):
    with pytest.raises(ApplicationError) as caught:
        routing.locate(*IN_A1A, crs="epsg:3857")
    assert caught.value.code == "invalid_crs"
    assert "wgs84" in caught.value.message


@pytest.mark.django_db
def test_with_no_grids_a_point_is_unrouted_with_no_places():
    assert routing.locate(*IN_A1A) == routing.Location(IN_A1A[0], IN_A1A[1], False, None, None, None, None)
    assert routing.locate(2.35, 48.86).routed is False


def test_a_redrawn_boundary_is_picked_up_by_the_next_locate(world):
    assert routing.locate(*IN_A1A).grid == ref(world.grid_a1a)
    boundary_set(place=world.grid_a1a, geometry=square(120.70, 31.62))
    moved = routing.locate(120.705, 31.625)
    assert moved.routed is True
    # A redrawn grid is the same place: cases filed under it keep their grid.
    assert moved.grid == ref(world.grid_a1a)
    left_behind = routing.locate(*IN_A1A)
    assert (left_behind.routed, left_behind.grid, left_behind.village) == (False, None, ref(world.village_a1))


def test_a_redraw_in_another_process_is_picked_up_once_the_refresh_interval_passes(
    world, settings, monkeypatch
):
    settings.ROUTING_REFRESH_SECONDS = 60
    assert routing.locate(*IN_A1A).grid == ref(world.grid_a1a)
    # Another process redraws A1a; this one has checked the revision too recently to notice yet.
    boundary_set(place=world.grid_a1a, geometry=square(120.70, 31.62))
    assert routing.locate(*IN_A1A).grid == ref(world.grid_a1a)
    later = time.monotonic() + 61
    monkeypatch.setattr(routing, "_clock", lambda: later)
    assert routing.locate(*IN_A1A).grid is None
    assert routing.locate(120.705, 31.625).grid == ref(world.grid_a1a)


def test_it_rebuilds_only_when_the_routing_revision_moves(world):
    assert routing.locate(*IN_A1A).grid == ref(world.grid_a1a)
    # A boundary written without bumping the revision is not seen: the revision is the signal...
    Boundary.objects.filter(place=world.grid_a1a, valid_to__isnull=True).update(
        geometry=square(120.70, 31.62), min_lat=31.62, max_lat=31.63
    )
    assert routing.locate(*IN_A1A).grid == ref(world.grid_a1a)
    # ...and once another process bumps it, the next locate here rebuilds.
    bump_routing_revision()
    assert routing.locate(*IN_A1A).grid is None
    assert routing.locate(120.705, 31.625).grid == ref(world.grid_a1a)


def test_locate_reads_no_places_per_lookup(world, settings, django_assert_num_queries):
    routing.locate(*IN_A1A)
    # With the refresh interval at 0 (tests) each call checks the revision: one query, never a place.
    with django_assert_num_queries(1):
        routing.locate(*IN_A1B)
    settings.ROUTING_REFRESH_SECONDS = 60
    routing.locate(*IN_A1B)
    with django_assert_num_queries(0):
        for _ in range(10):
            routing.locate(*IN_B1A)


def test_concurrent_callers_build_the_index_once(settings, monkeypatch):
    settings.ROUTING_REFRESH_SECONDS = 60
    builds = []

    def slow_build() -> routing.RoutingIndex:
        builds.append(1)
        time.sleep(0.05)
        return routing.RoutingIndex([("329981001001001", shapely.box(120.70, 31.60, 120.71, 31.61))])

    monkeypatch.setattr(routing, "build_index", slow_build)
    monkeypatch.setattr(routing, "read_revision", lambda: (42, None))
    indexes = []
    threads = [
        threading.Thread(target=lambda: indexes.append(routing.current_state().index)) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(builds) == 1
    assert len(indexes) == 8
    assert all(index is indexes[0] for index in indexes)


def brute_force_grid(lon: float, lat: float) -> str | None:
    """Return the smallest code among the grids whose current boundary covers the point."""
    point = shapely.Point(lon, lat)
    covering = [
        boundary.place.code
        for boundary in Boundary.objects.filter(valid_to__isnull=True, place__level="grid").select_related(
            "place"
        )
        if parse_boundary(boundary.geometry).intersects(point)
    ]
    return min(covering) if covering else None


# Anywhere around the three grids, or on the lines and corners where grids meet.
near_world = st.one_of(
    st.tuples(st.floats(120.69, 120.83), st.floats(31.59, 31.62)),
    st.tuples(st.sampled_from([120.70, 120.71, 120.72, 120.80, 120.81]), st.floats(31.595, 31.615)),
    st.tuples(st.floats(120.695, 120.815), st.sampled_from([31.60, 31.61])),
)


@given(point=near_world)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_locate_agrees_with_a_brute_force_check_over_all_grids(world, point):
    location = routing.locate(*point)
    expected = brute_force_grid(*point)
    assert (location.grid.code if location.grid else None) == expected
    assert location.routed is (expected is not None)
