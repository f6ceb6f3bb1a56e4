"""A town operator signs in, switches language, and finds their grid drawn on the map, on a phone and a desktop."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation import gettext

from conftest import PASSWORD
from tests.e2e.conftest import shown

pytestmark = pytest.mark.e2e

VIEWPORTS = {"phone": {"width": 360, "height": 640}, "desktop": {"width": 1280, "height": 800}}
# Controls a thumb must hit on a phone; Leaflet's own zoom buttons are left as Leaflet draws them.
TOUCH_TARGETS = (
    "main button:not(.leaflet-control *), main .btn, main input:not([type=hidden]), main select, "
    ".site-header button, .site-header .nav-list a, .site-header .header-button, .breadcrumb a, "
    "main .link-row, main .place-row__drill"
)


def small_targets(page) -> list[str]:
    """Return the visible controls shorter or narrower than 44 CSS pixels."""
    return page.eval_on_selector_all(
        TOUCH_TARGETS,
        """els => els.filter(e => {
              const r = e.getBoundingClientRect();
              return r.width > 0 && r.height > 0 && (r.height < 43.5 || r.width < 43.5);
           }).map(e => e.outerHTML.slice(0, 120) + ' ' + Math.round(e.getBoundingClientRect().width)
                     + 'x' + Math.round(e.getBoundingClientRect().height))""",
    )


def overflow(page) -> int:
    """Return by how many pixels the page is wider than the viewport (0: no sideways scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def open_menu(page) -> None:
    toggle = page.locator("[data-menu-toggle]")
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.click()


def check_layout(page, name: str, size: str, screenshots: Path) -> None:
    # A capture taken while styles or fonts still load comes out scaled; wait for a settled page.
    page.wait_for_load_state("load")
    page.evaluate("document.fonts.ready.then(() => true)")
    page.screenshot(path=str(screenshots / f"{name}-{VIEWPORTS[size]['width']}.png"), full_page=True)
    assert overflow(page) <= 0, f"{name} scrolls sideways at {size} size"
    if size == "phone":
        small = small_targets(page)
        assert small == [], f"{name} has controls smaller than 44 px:\n" + "\n".join(small)


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_the_operator_signs_in_switches_language_and_sees_the_grid(
    browser, live_server, e2e_world, screenshots, size
):
    world = e2e_world
    with translation.override("zh-hans"):
        home_zh, places_zh = gettext("Home"), gettext("Places and grids")
    with translation.override("en"):
        home_en, places_en = gettext("Home"), gettext("Places and grids")

    context = browser.new_context(viewport=VIEWPORTS[size], locale="zh-CN", device_scale_factor=1)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    try:
        # Sign in through the real form.
        page.goto(f"{live_server.url}/accounts/login/")
        assert page.locator("html").get_attribute("lang") == "zh-hans"
        check_layout(page, "login", size, screenshots)
        page.fill("input[name=login]", world.town_operator.username)
        page.fill("input[name=password]", "not the password")
        page.click("main form button[type=submit]")
        shown(page.locator("main .alert-error"))
        check_layout(page, "login-error", size, screenshots)
        page.fill("input[name=password]", PASSWORD)
        page.click("main form button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        # On narrower desktops the avatar stands for the name; its title carries it.
        chip = page.locator(".user-chip")
        assert world.town_operator.display_name in (chip.inner_text() + (chip.get_attribute("title") or ""))
        open_menu(page)
        check_layout(page, "home", size, screenshots)

        # Switch to English and back; the navigation follows.
        home_link = page.locator(".nav-list a[data-nav=home]")
        assert home_link.inner_text().strip() == home_zh
        page.click(".lang-switch button[data-language=en]")
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == "en"
        assert page.locator(".nav-list a[data-nav=places]").inner_text().strip() == places_en
        assert page.locator(".nav-list a[data-nav=home]").inner_text().strip() == home_en
        check_layout(page, "home-en", size, screenshots)
        open_menu(page)
        page.click(".lang-switch button[data-language=zh-hans]")
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == "zh-hans"
        assert page.locator(".nav-list a[data-nav=home]").inner_text().strip() == home_zh
        assert page.locator(".nav-list a[data-nav=places]").inner_text().strip() == places_zh
        assert home_zh != home_en, "the zh-hans catalogue does not translate the navigation"

        # The phone menu opens and closes.
        toggle = page.locator("[data-menu-toggle]")
        if size == "phone":
            assert not page.locator("#site-nav").is_visible()
            toggle.click()
            shown(page.locator("#site-nav"))
            toggle.click()
            assert not page.locator("#site-nav").is_visible()
        else:
            assert not toggle.is_visible()
            shown(page.locator("#site-nav"))

        # The grid page draws the grid's polygon as an SVG path.
        page.goto(f"{live_server.url}{world.grid_a1a.get_absolute_url()}")
        path = page.locator(".leaflet-overlay-pane svg path").first
        path.wait_for(state="visible")
        assert path.get_attribute("d").startswith("M")
        box = path.bounding_box()
        assert box["width"] > 50 and box["height"] > 50, box
        assert page.locator(".leaflet-tile-pane img").count() == 0  # no tile server configured
        assert "13800000002" in page.content()  # the operator sees the grid worker's number
        check_layout(page, "grid", size, screenshots)

        # The village page draws its two grids, each linking to its page.
        page.goto(f"{live_server.url}{world.village_a1.get_absolute_url()}")
        page.locator(".leaflet-overlay-pane svg path").nth(1).wait_for(state="visible")
        assert page.locator(".leaflet-overlay-pane svg path").count() == 2
        check_layout(page, "village", size, screenshots)
        page.locator(".leaflet-overlay-pane svg path").first.click(force=True)
        page.wait_for_url("**/places/3299810010010*/")

        # Browse, search as you type (htmx), and the tokens page.
        page.goto(f"{live_server.url}/places/?parent={world.district.code}")
        check_layout(page, "browse", size, screenshots)
        page.fill("#place-q", "网格")
        page.locator("#place-results .link-row__title", has_text="甲一村第2网格").wait_for()
        assert "q=" in page.url
        check_layout(page, "search", size, screenshots)

        page.goto(f"{live_server.url}/accounts/tokens/")
        page.fill("input[name=name]", "district dashboard")
        page.click("form.inline-form button[type=submit]")
        page.locator("#new-token").wait_for()
        check_layout(page, "tokens", size, screenshots)
        page.click("form button.btn-danger")
        page.locator("main .alert-success").wait_for()
        shown(page.locator("main .badge-red"))
        check_layout(page, "tokens-revoked", size, screenshots)

        page.goto(f"{live_server.url}/places/999999999/")
        check_layout(page, "not-found", size, screenshots)
    finally:
        context.close()
    assert errors == [], f"JavaScript errors: {errors}"
    assert failed == [], f"requests failed: {failed}"


def test_an_anonymous_visitor_sees_what_civicgrid_is(browser, live_server, e2e_world, screenshots):
    for size, viewport in VIEWPORTS.items():
        context = browser.new_context(viewport=viewport, locale="zh-CN")
        page = context.new_page()
        try:
            page.goto(live_server.url + "/")
            shown(page.locator(".hero a[href='/accounts/login/']"))
            check_layout(page, "welcome", size, screenshots)
        finally:
            context.close()
