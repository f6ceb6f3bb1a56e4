"""The phone's bottom tab bar in a browser, at 360 × 640 in Chinese: a grid worker's day on one hand.

Saves var/screenshots/tabbar-*.png to be looked at.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from civicgrid.cases import seed, services
from civicgrid.cases.models import Case, Category
from conftest import PASSWORD
from tests.e2e.conftest import shown

pytestmark = pytest.mark.e2e

PHONE = {"width": 360, "height": 640}
DESKTOP = {"width": 1280, "height": 800}


def _jpeg() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 80, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def day_world(e2e_world):
    """Grid A1a with work in each of the grid worker's queues: two to verify, one to handle, one to check."""
    world = e2e_world
    seed.load_categories(Category)  # a transactional test before this one may have flushed the seed
    pothole = Category.objects.get(code="C0201")

    def report(n: int) -> Case:
        return services.case_create(
            reporter=world.resident,
            source=Case.Source.RESIDENT,
            category=pothole,
            description=f"第 {n} 号路面坑洼",
            lon=120.702 + n * 0.001,
            lat=31.603 + n * 0.001,
            address=f"甲一村 {n} 组",
            photos=[_jpeg()],
        ).case

    def act(case: Case, action: str, who, **kw) -> Case:
        return services.case_act(case=case, action=action, actor=who, **kw)

    report(1)
    report(2)
    act(report(3), "accept", world.grid_worker)
    case = act(report(4), "accept", world.grid_worker)
    case = act(case, "escalate_to_village", world.grid_worker, note="需村里协调")
    case = act(case, "handle_in_village", world.village_cadre)
    act(case, "resolve", world.village_cadre, note="已填平", photos=[_jpeg()])
    return world


def sign_in(page, base: str, user) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/")


def shoot(page, screenshots: Path, name: str) -> None:
    """Save what the phone shows on load (the screen, not the whole page: the bar is fixed to it)."""
    page.wait_for_load_state("load")
    page.evaluate("document.fonts.ready.then(() => true)")
    page.screenshot(path=str(screenshots / f"tabbar-{name}.png"))


def box(page, selector: str) -> dict:
    found = page.locator(selector).first.bounding_box()
    assert found is not None, f"{selector} is not drawn"
    return found


def test_a_grid_worker_works_from_the_tab_bar(browser, live_server, day_world, screenshots):
    from playwright.sync_api import expect

    world = day_world
    context = browser.new_context(viewport=PHONE, locale="zh-CN", device_scale_factor=1)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        sign_in(page, live_server.url, world.grid_worker)
        bar = page.locator("nav.tabbar")
        assert bar.is_visible()
        tabs = bar.locator(".tabbar__link")
        assert [tabs.nth(i).get_attribute("data-tab") for i in range(tabs.count())] == [
            "todo",
            "report",
            "map",
            "notifications",
            "me",
        ]
        # The bar sits on the bottom edge, every tab a thumb-sized target.
        bar_box = box(page, "nav.tabbar")
        assert abs(bar_box["y"] + bar_box["height"] - PHONE["height"]) <= 1
        for i in range(tabs.count()):
            tab = tabs.nth(i).bounding_box()
            assert tab["height"] >= 48 and tab["width"] >= 48, tab
        # The to-do badge is the home page's to-do figure.
        tiles = page.locator(".home-todo__n").all_inner_texts()
        assert sum(int(n) for n in tiles) == 4
        assert page.locator('[data-badge="todo"]').inner_text() == "4"
        shoot(page, screenshots, "home")

        page.locator('[data-tab="todo"]').click()
        page.wait_for_url(f"{live_server.url}/cases/work/")
        assert page.locator('[data-tab="todo"]').get_attribute("aria-current") == "page"
        assert page.locator(".work-card").count() == 2
        shoot(page, screenshots, "queue")

        # Every tab of the queue is in sight, or a fade says more wait and it scrolls into sight.
        row = page.locator("[data-work-tabs]")
        work_tabs = page.locator(".work-tab")
        assert work_tabs.count() == 3
        overflows = row.evaluate("el => el.scrollWidth > el.clientWidth")
        if overflows:
            assert "is-clipped-end" in row.get_attribute("class")
        for i in range(3):
            tab = work_tabs.nth(i)
            tab.scroll_into_view_if_needed()
            found = tab.bounding_box()
            assert found["x"] >= 0 and found["x"] + found["width"] <= PHONE["width"] + 0.5, (i, found)
        if overflows:
            # The fade follows the row as it scrolls (on its next frame).
            expect(row).not_to_have_class(re.compile(r"is-clipped-end"))
            expect(row).to_have_class(re.compile(r"is-clipped-start"))
        work_tabs.nth(2).click()
        page.wait_for_url("**/cases/work/?queue=check")
        assert page.locator(".work-card").count() == 1
        # The current tab is brought into view on load.
        current = page.locator('.work-tab[aria-current="page"]').bounding_box()
        assert current["x"] + current["width"] <= PHONE["width"] + 0.5
        shoot(page, screenshots, "queue-check")

        # The case map: the map, not the filters, is what shows on load.
        page.locator('[data-tab="map"]').click()
        page.wait_for_url(f"{live_server.url}/cases/work/map/")
        page.wait_for_selector(".work-map .leaflet-marker-icon, .work-map .work-ccluster", state="attached")
        assert box(page, "#work-map")["y"] < PHONE["height"] - 58 - 120, "the map starts below the fold"
        form = page.locator(".work-map-filters form")
        assert not form.is_visible()
        shoot(page, screenshots, "map")
        page.locator(".work-map-filters > summary").click()
        assert form.is_visible()
        shoot(page, screenshots, "map-filters")

        # Me: who I am, and nothing at the end of the page hides under the bar.
        page.locator('[data-tab="me"]').click()
        page.wait_for_url(f"{live_server.url}/accounts/me/")
        assert "138****0002" in page.locator(".me-card").inner_text()
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        signout = box(page, ".me-signout button")
        assert signout["y"] + signout["height"] <= box(page, "nav.tabbar")["y"]
        shoot(page, screenshots, "me")
        assert errors == []
    finally:
        context.close()


def test_a_resident_and_a_visitor_get_their_own_tabs(browser, live_server, day_world, screenshots):
    world = day_world
    context = browser.new_context(viewport=PHONE, locale="zh-CN", device_scale_factor=1)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/")
        assert page.locator(".tabbar__link").evaluate_all("els => els.map(e => e.dataset.tab)") == [
            "report",
            "status",
            "signin",
        ]
        shoot(page, screenshots, "visitor")
        sign_in(page, live_server.url, world.resident)
        assert page.locator(".tabbar__link").evaluate_all("els => els.map(e => e.dataset.tab)") == [
            "report",
            "mine",
            "my_place",
            "notifications",
            "me",
        ]
        page.locator('[data-tab="mine"]').click()
        page.wait_for_url(f"{live_server.url}/cases/mine/")
        assert page.locator('[data-tab="mine"]').get_attribute("aria-current") == "page"
        shoot(page, screenshots, "resident-mine")
        page.locator('[data-tab="me"]').click()
        page.wait_for_url(f"{live_server.url}/accounts/me/")
        assert page.locator("[data-me-tools]").count() == 0
        shoot(page, screenshots, "resident-me")
    finally:
        context.close()


def test_a_wide_screen_keeps_the_header_and_the_map_filters_open(
    browser, live_server, day_world, screenshots
):
    world = day_world
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN", device_scale_factor=1)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        sign_in(page, live_server.url, world.grid_worker)
        assert not page.locator("nav.tabbar").is_visible()
        page.goto(f"{live_server.url}/cases/work/map/")
        page.wait_for_load_state("load")
        shown(page.locator(".work-map-filters form"))
        assert not page.locator(".work-map-filters > summary").is_visible()
        page.screenshot(path=str(screenshots / "tabbar-desktop-map.png"))
    finally:
        context.close()
