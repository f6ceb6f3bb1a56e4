"""The maps on GCJ-02 tiles (settings.MAP_TILE_CRS = "gcj02"): what they draw is shifted on the server.

Town A's grids lie around (120.70–120.72, 31.60–31.61); there the GCJ-02 offset is about 420 m east
and 190 m south (`wgs84_to_gcj02`).
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from civicgrid.cases import selectors_map
from civicgrid.cases.models import Case, Category
from civicgrid.cases.tests.conftest import report
from civicgrid.cases.tests.test_map import GRID_A1A_BOX, WORLD_BOX, config
from civicgrid.cases.tests.test_pages_report import done_number, form_data
from civicgrid.lib.geo import gcj02_to_wgs84, haversine_m, wgs84_to_gcj02
from civicgrid.places.models import Boundary
from civicgrid.places.services import boundary_set
from conftest import square

MAP = reverse("cases:map")
MAP_DATA = reverse("cases:map_data")
REPORT = reverse("cases:report")


@pytest.fixture
def quick(db) -> Category:
    return Category.objects.get(code="C0601")


def positions(geometry: dict) -> list[tuple[float, float]]:
    """Return every (lon, lat) of a Polygon or MultiPolygon."""
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    rings = [ring for polygon in polygons for ring in polygon]
    return [(x, y) for ring in rings for x, y, *_rest in ring]


def has(corners: list[tuple[float, float]], point: tuple[float, float]) -> bool:
    return any(abs(x - point[0]) < 1e-6 and abs(y - point[1]) < 1e-6 for x, y in corners)


def shifted_box(box: str) -> str:
    west, south, east, north = (float(v) for v in box.split(","))
    w, s = wgs84_to_gcj02(west, south)
    e, n = wgs84_to_gcj02(east, north)
    return ",".join(f"{v:.5f}" for v in (w, s, e, n))


def test_on_wgs84_tiles_the_map_draws_the_stored_points(login, cw, quick, settings):
    settings.MAP_TILE_CRS = "wgs84"
    case = report(cw, quick, lon=120.705, lat=31.605, photos=[])
    data = login(cw.town_operator).get(MAP_DATA, {"bbox": WORLD_BOX, "zoom": 15}).json()
    (marker,) = data["cases"]
    assert (marker["n"], marker["x"], marker["y"]) == (case.tracking_number, 120.705, 31.605)


def test_on_gcj02_tiles_markers_and_outlines_are_shifted_to_their_gcj02_positions(login, cw, quick, settings):
    settings.MAP_TILE_CRS = "gcj02"
    case = report(cw, quick, lon=120.705, lat=31.605, photos=[])
    client = login(cw.town_operator)
    # The map asks for its viewport as drawn on the tiles: grid A1a's box, shifted.
    data = client.get(MAP_DATA, {"bbox": shifted_box(GRID_A1A_BOX), "zoom": 15}).json()
    (marker,) = data["cases"]
    expected = wgs84_to_gcj02(120.705, 31.605)
    assert marker["n"] == case.tracking_number
    assert (marker["x"], marker["y"]) == pytest.approx(expected, abs=1e-6)
    # The case is stored where it was reported; only the drawing moved (by about 460 m).
    case.refresh_from_db()
    assert (case.lon, case.lat) == (120.705, 31.605)
    assert gcj02_to_wgs84(marker["x"], marker["y"]) == pytest.approx((120.705, 31.605), abs=1e-5)
    # Grid A1a's outline (the square 120.70–120.71 × 31.60–31.61) is drawn shifted, corner by corner.
    outline = next(o for o in data["outlines"] if o["name"] == cw.grid_a1a.display_name)
    corners = positions(outline["g"])
    assert corners
    assert has(corners, wgs84_to_gcj02(120.70, 31.60))
    assert not has(corners, (120.70, 31.60))


def test_on_gcj02_tiles_the_counts_sit_at_the_shifted_centres_and_the_map_opens_on_the_shifted_box(
    login, cw, quick, settings, monkeypatch
):
    settings.MAP_TILE_CRS = "gcj02"
    monkeypatch.setattr(selectors_map, "MARKER_LIMIT", 2)
    for _n in range(3):
        report(cw, quick, lon=120.705, lat=31.605, photos=[])
    client = login(cw.town_operator)
    # Zoomed out: town A counted whole, at its centre.
    data = client.get(MAP_DATA, {"bbox": shifted_box("119.9,31.0,121.6,32.2"), "zoom": 9}).json()
    assert data["mode"] == "clusters"
    (cluster,) = data["clusters"]
    assert cluster["n"] == 3
    centre = wgs84_to_gcj02(120.71, 31.605)
    assert (cluster["x"], cluster["y"]) == pytest.approx(centre, abs=1e-4)
    assert cluster["b"][0] == pytest.approx(wgs84_to_gcj02(120.70, 31.60)[0], abs=1e-5)
    # The page opens the map on town A's grids as drawn.
    bounds = config(client.get(MAP))["bounds"]
    assert bounds[:2] == pytest.approx(list(wgs84_to_gcj02(120.70, 31.60)), abs=1e-6)
    assert bounds[2:] == pytest.approx(list(wgs84_to_gcj02(120.72, 31.61)), abs=1e-6)


def test_on_gcj02_tiles_a_viewport_is_read_back_in_wgs84(login, cw, quick, settings):
    """A viewport just around the drawn marker finds the case, though the stored point is 400 m away."""
    settings.MAP_TILE_CRS = "gcj02"
    case = report(cw, quick, lon=120.705, lat=31.605, photos=[])
    x, y = wgs84_to_gcj02(120.705, 31.605)
    tight = f"{x - 0.001:.5f},{y - 0.001:.5f},{x + 0.001:.5f},{y + 0.001:.5f}"
    data = login(cw.town_operator).get(MAP_DATA, {"bbox": tight, "zoom": 18}).json()
    assert [m["n"] for m in data["cases"]] == [case.tracking_number]
    settings.MAP_TILE_CRS = "wgs84"
    data = login(cw.town_operator).get(MAP_DATA, {"bbox": tight, "zoom": 18}).json()
    assert data["cases"] == []


def test_on_gcj02_tiles_the_case_page_and_the_place_page_draw_shifted(login, cw, quick, settings):
    settings.MAP_TILE_CRS = "gcj02"
    case = report(cw, quick, lon=120.705, lat=31.605, photos=[])
    client = login(cw.town_operator)
    geo = client.get(case.get_absolute_url()).context["geo"]
    lat, lon = geo["point"]
    assert (lon, lat) == pytest.approx(wgs84_to_gcj02(120.705, 31.605), abs=1e-6)
    assert geo["outline"]["geometry"]["coordinates"][0][0] != [120.70, 31.60]
    page = client.get(reverse("places:detail", args=[cw.village_a1.code]))
    grid = next(f for f in page.context["geo"]["children"] if f["properties"]["code"] == cw.grid_a1a.code)
    corners = positions(grid["geometry"])
    assert has(corners, wgs84_to_gcj02(120.70, 31.60))
    assert not has(corners, (120.70, 31.60))


# --- The report page ---------------------------------------------------------------------------------
#
# A point 190 m inside grid A1a's east edge (lon 120.71): its GCJ-02 position lies 420 m further east,
# in grid A1b, so a GCJ-02 point read as WGS-84 would file the case in the wrong grid.
NEAR_EAST_EDGE = (120.708, 31.605)


def report_outline(response, grid) -> list[tuple[float, float]]:
    outlines = response.context["report_map"]["outlines"]
    feature = next(f for f in outlines if f["properties"]["code"] == grid.code)
    return positions(feature["geometry"])


def test_on_gcj02_tiles_the_report_page_draws_the_grids_shifted_and_asks_for_gcj02(login, world, settings):
    settings.MAP_TILE_CRS = "gcj02"
    for client in (Client(headers={"Accept-Language": "en"}), login(world.resident)):
        response = client.get(REPORT)
        corners = report_outline(response, world.grid_a1a)
        assert has(corners, wgs84_to_gcj02(120.70, 31.60))
        assert has(corners, wgs84_to_gcj02(120.71, 31.61))
        assert not has(corners, (120.70, 31.60))
        text = response.text
        assert 'data-tile-crs="gcj02"' in text
        assert '<input type="hidden" name="crs" value="gcj02"' in text
        assert "Coordinates (GCJ-02, as on AMap and Tencent maps)" in text


def test_on_gcj02_tiles_the_report_map_opens_on_the_shifted_extent(client, world, settings):
    """With no grid or town outline to draw, the map opens on the box of every boundary, shifted."""
    settings.MAP_TILE_CRS = "gcj02"
    boundary_set(place=world.village_a1, geometry=square(120.70, 31.60, size=0.02))
    Boundary.objects.filter(place__level="grid").update(valid_to=timezone.now())
    report_map = client.get(REPORT).context["report_map"]
    assert report_map["outlines"] == []
    (south, west), (north, east) = report_map["extent"]
    assert (west, south) == pytest.approx(wgs84_to_gcj02(120.70, 31.60), abs=1e-9)
    assert (east, north) == pytest.approx(wgs84_to_gcj02(120.72, 31.62), abs=1e-9)


def test_on_gcj02_tiles_a_point_picked_on_the_map_is_filed_at_its_wgs84_position(client, world, settings):
    settings.MAP_TILE_CRS = "gcj02"
    lon, lat = wgs84_to_gcj02(*NEAR_EAST_EDGE)
    picked = {"lon": f"{lon:.6f}", "lat": f"{lat:.6f}", "crs": "gcj02"}
    number = done_number(client.post(REPORT, form_data(**picked)))
    case = Case.objects.get(tracking_number=number)
    expected = gcj02_to_wgs84(float(picked["lon"]), float(picked["lat"]))
    assert haversine_m(case.lon, case.lat, *expected) < 1
    assert haversine_m(case.lon, case.lat, *NEAR_EAST_EDGE) < 1
    assert case.grid_id == world.grid_a1a.pk
    assert case.input_crs == "gcj02"
    assert case.events.get().data["crs"] == "gcj02"


def test_on_wgs84_tiles_the_report_page_is_unchanged(client, world, settings):
    settings.MAP_TILE_CRS = "wgs84"
    response = client.get(REPORT)
    corners = report_outline(response, world.grid_a1a)
    assert has(corners, (120.70, 31.60))
    assert '<input type="hidden" name="crs" value="wgs84"' in response.text
    assert "Coordinates (WGS-84)" in response.text
    # The numbers are taken as given: the same numbers as above land 420 m east, in grid A1b.
    lon, lat = wgs84_to_gcj02(*NEAR_EAST_EDGE)
    picked = {"lon": f"{lon:.6f}", "lat": f"{lat:.6f}"}
    for crs in ("wgs84", None):
        key = f"{crs}-0123456789abcdef"
        number = done_number(client.post(REPORT, form_data(**picked, crs=crs, idempotency_key=key)))
        case = Case.objects.get(tracking_number=number)
        assert (case.lon, case.lat) == (float(picked["lon"]), float(picked["lat"]))
        assert case.grid_id == world.grid_a1b.pk
        assert case.input_crs == "wgs84"


def test_the_report_page_refuses_an_unknown_coordinate_system_next_to_the_coordinates(client, world):
    response = client.post(REPORT, form_data(crs="epsg:3857"))
    assert response.status_code == 400
    assert Case.objects.count() == 0
    assert re.search(r'id="id_lon_error">.*epsg:3857', response.text)


def test_on_gcj02_tiles_the_public_status_page_draws_the_point_shifted(client, cw, quick, settings):
    settings.MAP_TILE_CRS = "gcj02"
    case = report(cw, quick, lon=120.705, lat=31.605, photos=[])
    geo = client.get(reverse("cases:public_status_number", args=[case.tracking_number])).context["status_geo"]
    lat, lon = geo["point"]
    assert (lon, lat) == pytest.approx(wgs84_to_gcj02(120.705, 31.605), abs=1e-6)
