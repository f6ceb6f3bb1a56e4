"""The overview and rankings in a browser: the town's overview, a drill-down to a village, a figure clicked
through to its case list with the same count, the rankings; desktop and phone.

Saves var/screenshots/overview-*.png to be looked at.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e import test_work_pages as work
from tests.e2e.test_work_pages import DESKTOP, PHONE, shoot, sign_in

# The busy town of the work pages' tests: cases at every step, some overdue, some due soon.
busy_world = work.busy_world

pytestmark = pytest.mark.e2e


def _count(page) -> int:
    """The count the centre's list shows ("12 件" / "12 cases")."""
    text = page.locator("#centre-results .count").first.inner_text()
    return int(re.sub(r"[^0-9]", "", text))


def test_the_town_overview_drills_down_and_its_figures_open_their_lists(
    browser, live_server, busy_world, screenshots
):
    world = busy_world
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        sign_in(page, live_server.url, world.town_operator)
        page.click("header nav a[href='/cases/work/overview/']")
        page.wait_for_selector(".ov-tiles")
        # The charts drew (ECharts renders SVG into its boxes).
        page.wait_for_selector("#ov-trend-chart svg")
        page.wait_for_selector("#ov-category-chart svg")
        shoot_overview(page, screenshots, "town")
        tiles = {
            key: int(page.locator(f"[data-tile='{key}'] .ov-tile__value").inner_text().replace(",", ""))
            for key in ("new", "open", "overdue", "due_soon")
        }
        assert tiles["new"] == 12  # town A's reports, the unrouted one filed under village A1 included
        # Overdue: a report and a case at the town; due soon: three at the town (4 h to dispatch), an
        # urgent report (2 h to verify) and one moved to 2 h.
        assert tiles["overdue"] == 2 and tiles["due_soon"] == 5
        # Each figure clicked through shows a list of as many cases.
        for key in ("open", "overdue", "due_soon", "new"):
            page.click(f"[data-tile='{key}']")
            page.wait_for_selector("#centre-results")
            assert _count(page) == tiles[key], key
            page.go_back()
            page.wait_for_selector(".ov-tiles")
        # Drill down to the village, then to its grids.
        page.click(f"tr[data-place='{world.village_a1.code}'] th a")
        page.wait_for_selector(f"tr[data-place='{world.grid_a1a.code}']")
        assert world.village_a1.name in page.locator("h1 + p").inner_text()
        shoot_overview(page, screenshots, "village")
        open_in_grid = int(
            page.locator(f"tr[data-place='{world.grid_a1a.code}'] td[data-label] a").nth(1).inner_text()
        )
        page.locator(f"tr[data-place='{world.grid_a1a.code}'] td[data-label] a").nth(1).click()
        page.wait_for_selector("#centre-results")
        assert _count(page) == open_in_grid
        # The rankings of the town's villages.
        page.goto(f"{live_server.url}/cases/work/rankings/")
        page.wait_for_selector("h1")
        assert page.locator(".ov-periods [aria-current='page']").first.inner_text() == "村/社区"
        page.screenshot(path=str(screenshots / "overview-rankings.png"), full_page=True)
    finally:
        context.close()
    assert errors == []


def test_the_overview_on_a_phone(browser, live_server, busy_world, screenshots):
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        sign_in(page, live_server.url, busy_world.town_operator)
        page.goto(f"{live_server.url}/cases/work/overview/")
        page.wait_for_selector("#ov-trend-chart svg")
        shoot(page, screenshots, "overview-phone")
    finally:
        context.close()


def shoot_overview(page, screenshots, name: str) -> None:
    page.evaluate("document.fonts.ready.then(() => true)")
    page.screenshot(path=str(screenshots / f"overview-{name}.png"), full_page=True)
    wider = page.evaluate(
        "document.querySelector('main').scrollWidth - document.querySelector('main').clientWidth"
    )
    assert wider <= 0, f"{name} scrolls sideways by {wider} px"
