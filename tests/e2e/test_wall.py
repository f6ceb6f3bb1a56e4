"""The wall screen in a browser: one screen without scrolling at 1920×1080 and 1366×768, the overview's
figures, a refresh that swaps them in place and, when it fails, keeps them with a notice.

Saves var/screenshots/wall-*.png to be looked at.
"""

from __future__ import annotations

import re

import pytest

from civicgrid.cases import overview as ov
from tests.e2e import test_work_pages
from tests.e2e.test_work_pages import sign_in

pytestmark = pytest.mark.e2e
# Town A with cases at every step, some overdue, some due soon (the work pages' fixture).
busy_world = test_work_pages.busy_world

SCREENS = {"1920": {"width": 1920, "height": 1080}, "1366": {"width": 1366, "height": 768}}
REFRESH = re.compile(r"/cases/work/wall/\?")
WATCH = """
document.addEventListener("securitypolicyviolation", function (e) {
  (window.__cspViolations = window.__cspViolations || []).push(e.violatedDirective + " " + e.blockedURI);
});
"""


def shown_tiles(page) -> dict[str, str]:
    return page.eval_on_selector_all(
        "[data-tile]",
        "els => Object.fromEntries(els.map(e => [e.dataset.tile, "
        "e.querySelector('.wall-tile__value').textContent.trim()]))",
    )


def overflow(page) -> tuple[int, int]:
    """How far the page reaches past the window, down and across (0, 0 when it fits)."""
    return tuple(
        page.evaluate(
            "[document.documentElement.scrollHeight - innerHeight, document.documentElement.scrollWidth - innerWidth]"
        )
    )


def test_the_town_wall_fits_one_screen_and_survives_a_lost_connection(
    browser,
    live_server,
    busy_world,
    screenshots,
):
    world = busy_world
    expected = {t.key: t.shown for t in ov.overview(user=world.town_operator).tiles if t.key != "new"}
    context = browser.new_context(viewport=SCREENS["1920"], locale="zh-CN", device_scale_factor=1)
    context.set_default_timeout(10_000)
    context.add_init_script(WATCH)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        sign_in(page, live_server.url, world.town_operator)
        page.goto(f"{live_server.url}/cases/work/overview/")
        page.click("[data-wall-link]")
        page.wait_for_url("**/cases/work/wall/**")
        page.locator("#wall-trend-chart svg").wait_for()
        page.locator("#wall-category-chart svg").wait_for()
        page.evaluate("document.fonts.ready.then(() => true)")
        assert page.locator(".site-header").count() == 0
        assert shown_tiles(page) == expected
        assert expected["open"] != "0" and expected["overdue"] != "0"
        assert page.locator(".wall-gauge").count() == 5
        assert page.locator(".wall-rank tbody tr").count() == 1  # town A's one village
        assert re.fullmatch(r"\d\d:\d\d:\d\d", page.locator("#wall-clock").inner_text())
        page.screenshot(path=str(screenshots / "wall-1920.png"))
        assert overflow(page) == (0, 0), "the wall scrolls at 1920×1080"

        page.set_viewport_size(SCREENS["1366"])
        page.wait_for_timeout(300)  # the charts redraw after a resize
        page.screenshot(path=str(screenshots / "wall-1366.png"))
        assert overflow(page) == (0, 0), "the wall scrolls at 1366×768"

        # The network goes down: the refresh fails, the figures stay, a notice says so.
        page.route(REFRESH, lambda route: route.abort("internetdisconnected"))
        page.evaluate("htmx.trigger('#wall-board', 'wall-retry')")
        status = page.locator("#wall-status")
        status.wait_for(state="visible")
        assert status.inner_text() == "连接中断，正在重试"
        assert shown_tiles(page) == expected
        page.screenshot(path=str(screenshots / "wall-offline-1366.png"))

        # It comes back: the next refresh swaps the board in place and the notice goes.
        page.unroute(REFRESH)
        before = page.locator("#wall-updated").get_attribute("data-server-ms")
        with page.expect_response(REFRESH) as answer:
            page.evaluate("htmx.trigger('#wall-board', 'wall-retry')")
        assert answer.value.status == 200
        status.wait_for(state="hidden")
        page.locator(f"#wall-updated:not([data-server-ms='{before}'])").wait_for()
        page.locator("#wall-trend-chart svg").wait_for()
        assert shown_tiles(page) == expected
        assert overflow(page) == (0, 0)
        assert errors == [], f"JavaScript errors: {errors}"
        assert page.evaluate("window.__cspViolations || []") == []
    finally:
        context.close()
