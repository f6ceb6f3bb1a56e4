"""The case map's clustered markers in a browser: cases at one spot show as one count, and spread out
when it is tapped so each can be opened; an overdue one rings its cluster red; the heat layer switch.

Saves var/screenshots/work-map-cluster-*.png to be looked at.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from civicgrid.cases import seed, services
from civicgrid.cases.models import Case, Category
from tests.e2e.test_work_pages import DESKTOP, shoot, sign_in

pytestmark = pytest.mark.e2e

SPOT = (120.705, 31.605)  # grid A1a
AT_SPOT = 5


@pytest.fixture
def spot_world(e2e_world):
    """Town A with five cases at one spot (one overdue), two 20 m apart and one alone in grid A1b."""
    world = e2e_world
    seed.load_categories(Category)  # a transactional test before this one may have flushed the seed
    light = Category.objects.get(code="C0601")  # needs no photo

    def report(n: int, lon: float, lat: float) -> Case:
        return services.case_create(
            reporter=world.resident,
            source=Case.Source.RESIDENT,
            category=light,
            description=f"路灯不亮 {n}",
            lon=lon,
            lat=lat,
            address="幸福路 12 号",
            photos=[],
        ).case

    world.at_spot = [report(n, *SPOT) for n in range(AT_SPOT)]
    # The sweep's mark, as test_work_pages.busy_world sets it.
    Case.objects.filter(pk=world.at_spot[0].pk).update(
        step_due_at=timezone.now() - timedelta(hours=3), is_overdue=True
    )
    world.alone = report(AT_SPOT, 120.715, 31.605)
    world.pair = [report(AT_SPOT + 1, 120.7120, 31.6080), report(AT_SPOT + 2, 120.7122, 31.6080)]
    return world


def test_cases_at_one_spot_show_as_one_count_and_spread_out_when_tapped(
    browser, live_server, spot_world, screenshots
):
    world = spot_world
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN", device_scale_factor=1)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        sign_in(page, live_server.url, world.town_operator)
        page.goto(f"{live_server.url}/cases/work/map/")
        page.locator("[data-work-map][data-ready='1']").wait_for()
        assert page.locator("[data-work-map]").get_attribute("data-markers") == str(AT_SPOT + 3)

        # One count for the five at the spot, red-ringed (one is overdue), one for the pair; the lone
        # case is a marker.
        assert sorted(page.locator(".work-ccluster").all_inner_texts()) == sorted([str(AT_SPOT), "2"])
        cluster = page.locator(".work-ccluster", has_text=str(AT_SPOT))
        assert "work-ccluster--late" not in page.locator(".work-ccluster", has_text="2").get_attribute(
            "class"
        )
        assert "work-ccluster--late" in cluster.get_attribute("class")
        assert page.locator(".work-marker").count() == 1
        assert page.locator(".work-marker").get_attribute("title") == world.alone.tracking_number
        page.wait_for_timeout(300)
        shoot(page, screenshots, "map-cluster-1280")

        # Tapped: they cannot be told apart at any zoom, so they spread out around the spot.
        cluster.click()
        page.locator(".work-marker").nth(AT_SPOT).wait_for()
        spread = page.locator(".work-marker")
        assert spread.count() == AT_SPOT + 1
        titles = {spread.nth(i).get_attribute("title") for i in range(AT_SPOT + 1)}
        assert titles == {c.tracking_number for c in [*world.at_spot, world.alone]}
        assert page.locator(".work-marker--late").count() == 1
        page.wait_for_timeout(400)  # the spread's animation
        shoot(page, screenshots, "map-cluster-spread-1280")

        # Each one opens: its popup links to its case.
        late = page.locator(".work-marker--late")
        late.click()
        link = page.locator(".work-popup__number")
        assert link.inner_text() == world.at_spot[0].tracking_number

        # The heat layer in place of the markers, and back.
        page.get_by_role("radio", name="热力图").check()
        page.locator(".leaflet-heatmap-layer").wait_for()
        assert page.locator("[data-work-map]").get_attribute("data-layer") == "heat"
        assert page.locator(".work-marker, .work-ccluster").count() == 0
        shoot(page, screenshots, "map-heat-1280")
        page.get_by_role("radio", name="案件", exact=True).check()
        page.locator(".work-ccluster, .work-marker").first.wait_for()

        # The pair, 20 m apart, splits when zoomed in: tapping its count zooms in on it.
        page.keyboard.press("Escape")
        with page.expect_response(lambda r: "/cases/work/map/data/" in r.url):
            page.locator(".work-ccluster", has_text="2").click()
        page.locator("[data-work-map]:not([data-loading])").wait_for()
        page.locator(f".work-marker[title='{world.pair[0].tracking_number}']").wait_for()
        page.locator(f".work-marker[title='{world.pair[1].tracking_number}']").wait_for()
        # The cluster goes as the zoom's animation ends (slower on a busy machine): wait for it.
        page.wait_for_function(
            "() => ![...document.querySelectorAll('.work-ccluster')].some(e => e.textContent.trim() === '2')"
        )
    finally:
        context.close()
    assert errors == [], f"JavaScript errors: {errors}"
