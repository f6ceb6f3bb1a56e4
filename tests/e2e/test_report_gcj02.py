"""The report page on GCJ-02 tiles (AMap, Tencent) in a browser: the grids are drawn shifted, a point
tapped on the map or taken from GPS is drawn and sent in GCJ-02, and the case is filed at its WGS-84
point, in the right grid. Also compares static/js/crs.js, the browser's port of the offset, with
`lib.geo.wgs84_to_gcj02`.

The tiles are blank squares served by the test (page.route): no network. Saves
var/screenshots/report-gcj02-*.png to be looked at.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from civicgrid.cases import seed
from civicgrid.cases.models import Case, Category
from civicgrid.lib.geo import gcj02_to_wgs84, haversine_m, wgs84_to_gcj02
from tests.e2e.phone import choose_category
from tests.e2e.test_case_flow import small_targets
from tests.e2e.test_work_pages import DESKTOP, PHONE, sign_in

pytestmark = pytest.mark.e2e

CRS_JS = Path(__file__).resolve().parents[2] / "static" / "js" / "crs.js"
GRID_A1A_CENTRE = (120.705, 31.605)
# 350 m inside grid A1a's west edge (lon 120.70). The GCJ-02 offset here is 420 m east, so a GPS fix
# drawn without the shift, and then read back from GCJ-02, would land 70 m west of the edge, outside
# every grid.
NEAR_WEST_EDGE = (120.7037, 31.605)
# Points to compare the port on: eviltransform's published pairs, town A, China's corners, and
# points outside China (where GCJ-02 equals WGS-84).
PORT_POINTS = [
    (121.5272106, 31.1774276),
    (113.912316, 22.543847),
    (116.377817, 39.911954),
    (120.705, 31.605),
    (72.1, 1.0),
    (137.8, 55.8),
    (87.6, 43.8),
    (2.35, 48.85),
    (-122.4, 37.8),
]


def tile_png() -> bytes:
    """Return a blank tile with a faint border, so a screenshot shows the tile layer is there."""
    image = Image.new("RGB", (256, 256), (242, 239, 233))
    ImageDraw.Draw(image).rectangle((0, 0, 255, 255), outline=(220, 216, 208))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def gcj02_tiles(settings, live_server):
    """Maps draw on GCJ-02 tiles, served from the live server's own origin (allowed by the CSP)."""
    settings.MAP_TILE_CRS = "gcj02"
    settings.MAP_TILE_URL = f"{live_server.url}/e2e-tiles/{{z}}/{{x}}/{{y}}.png"
    settings.MAP_TILE_ATTRIBUTION = "GCJ-02 test tiles"
    return tile_png()


@pytest.fixture
def report_world(e2e_world):
    seed.load_categories(Category)  # a transactional test before this one may have flushed the seed
    return e2e_world


def open_page(browser, live_server, user, tiles: bytes, *, viewport=PHONE, **options):
    context = browser.new_context(
        viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai", device_scale_factor=1, **options
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.route("**/e2e-tiles/**", lambda route: route.fulfill(body=tiles, content_type="image/png"))
    sign_in(page, live_server.url, user)
    return context, page


def shoot(page, screenshots: Path, name: str, *, phone: bool = True) -> None:
    page.wait_for_load_state("load")
    page.evaluate("document.fonts.ready.then(() => true)")
    page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)
    wider = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert wider <= 0, f"{name} scrolls sideways by {wider} px"
    if phone:
        small = small_targets(page)
        assert small == [], f"{name} has controls smaller than 44 px:\n" + "\n".join(small)


def fill_and_send(page) -> Case:
    choose_category(page, "C0601")  # a street light: no photo needed
    page.fill("#id_description", "路灯不亮，晚上很黑。")
    with page.expect_navigation():
        page.click("[data-submit]")
    number = page.locator("#tracking-number").inner_text().strip()
    return Case.objects.get(tracking_number=number)


def submitted(page) -> tuple[float, float, str]:
    return (
        float(page.input_value("input[name=lon]")),
        float(page.input_value("input[name=lat]")),
        page.input_value("input[name=crs]"),
    )


def test_the_browsers_gcj02_offset_matches_the_python_one(browser):
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_content("<!doctype html><title>crs</title>")
        page.add_script_tag(path=str(CRS_JS))
        got = page.evaluate(
            "points => points.map(p => window.CivicGrid.crs.wgs84ToGcj02(p[0], p[1]))",
            [list(p) for p in PORT_POINTS],
        )
        on_wgs84 = page.evaluate("() => window.CivicGrid.crs.toTiles('wgs84', 120.705, 31.605)")
    finally:
        context.close()
    for point, (lon, lat) in zip(PORT_POINTS, got, strict=True):
        assert (lon, lat) == pytest.approx(wgs84_to_gcj02(*point), abs=1e-9), point
    assert got[0] == pytest.approx([121.531541859215, 31.17530398364597], abs=1e-9)  # published
    assert on_wgs84 == [120.705, 31.605]


def test_on_gcj02_tiles_a_tap_at_a_grids_drawn_centre_files_the_case_there(
    browser, live_server, report_world, gcj02_tiles, screenshots
):
    world = report_world
    context, page = open_page(browser, live_server, world.resident, gcj02_tiles)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(f"{live_server.url}/cases/report/")
        page.locator("[data-report-map][data-ready='1']").wait_for()
        page.locator(".leaflet-tile-loaded").first.wait_for()
        assert "GCJ-02" in page.locator("[data-coords-crs]").inner_text()
        # The outlines come shifted: grid A1a's south-west corner is drawn at its GCJ-02 position.
        geo = json.loads(page.locator("#report-geo").inner_text())
        a1a = next(f for f in geo["outlines"] if f["properties"]["code"] == world.grid_a1a.code)
        ring = a1a["geometry"]["coordinates"][0]
        assert any((x, y) == pytest.approx(wgs84_to_gcj02(120.70, 31.60), abs=1e-6) for x, y, *_r in ring)

        # Tap the middle of grid A1a's outline as drawn (the village's grids, in code order), brought
        # to the middle of the screen: the phone's tab bar covers its bottom edge.
        page.locator("[data-report-map]").evaluate("el => el.scrollIntoView({block: 'center'})")
        box = page.locator(".leaflet-overlay-pane path").first.bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.locator("[data-report-map][data-pinned='1']").wait_for()
        assert world.grid_a1a.display_name in page.locator("[data-locate-status]").inner_text()
        lon, lat, crs = submitted(page)
        assert crs == "gcj02"
        # What the page sends is the drawn centre, in GCJ-02 (a pixel is about 6 m here).
        assert haversine_m(lon, lat, *wgs84_to_gcj02(*GRID_A1A_CENTRE)) < 15
        page.wait_for_timeout(300)
        shoot(page, screenshots, "report-gcj02-tap-360")
        page.set_viewport_size(DESKTOP)
        page.wait_for_timeout(300)
        shoot(page, screenshots, "report-gcj02-tap-1280", phone=False)
        page.set_viewport_size(PHONE)

        case = fill_and_send(page)
    finally:
        context.close()
    assert errors == [], f"JavaScript errors: {errors}"
    # Filed once converted: at the WGS-84 point of what was sent, the grid's real centre, in grid A1a.
    assert haversine_m(case.lon, case.lat, *gcj02_to_wgs84(lon, lat)) < 1
    assert haversine_m(case.lon, case.lat, *GRID_A1A_CENTRE) < 15
    assert case.grid_id == world.grid_a1a.pk
    assert case.input_crs == "gcj02"


def test_on_gcj02_tiles_the_gps_fix_is_drawn_shifted_and_filed_where_it_was_taken(
    browser, live_server, report_world, gcj02_tiles, screenshots
):
    world = report_world
    lon0, lat0 = NEAR_WEST_EDGE
    context, page = open_page(
        browser,
        live_server,
        world.resident,
        gcj02_tiles,
        geolocation={"longitude": lon0, "latitude": lat0, "accuracy": 10},
        permissions=["geolocation"],
    )
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(f"{live_server.url}/cases/report/")
        page.locator("[data-report-map][data-pinned='1']").wait_for()
        lon, lat, crs = submitted(page)
        assert crs == "gcj02"
        # Drawn and sent at the fix's GCJ-02 position (to the 6 decimals the inputs keep).
        assert (lon, lat) == pytest.approx(wgs84_to_gcj02(lon0, lat0), abs=1e-6)
        assert world.grid_a1a.display_name in page.locator("[data-locate-status]").inner_text()
        page.wait_for_timeout(300)
        shoot(page, screenshots, "report-gcj02-gps-360")
        case = fill_and_send(page)
    finally:
        context.close()
    assert errors == [], f"JavaScript errors: {errors}"
    assert haversine_m(case.lon, case.lat, lon0, lat0) < 1
    assert case.grid_id == world.grid_a1a.pk
