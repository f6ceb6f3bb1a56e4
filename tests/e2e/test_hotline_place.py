"""Placing an unrouted 12345 order on the map from a phone (360 × 640, in Chinese), and the reply list.

A town operator opens the work map, taps "Place it" on the order waiting outside every grid, taps the
map inside a grid and places it; the case lands in that grid and the placement is kept. Saves
var/screenshots/hotline-place-*.png (and copies under /tmp/shots-replies/) to be looked at.
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from civicgrid.addresses import services as address_services
from civicgrid.cases import services
from civicgrid.cases.models import Case, Category, HotlineOrder
from civicgrid.cases.seed import load_categories
from tests.e2e.conftest import shown
from tests.e2e.test_phone_report import phone, wait_until
from tests.e2e.test_work_pages import DESKTOP, sign_in, small_targets

pytestmark = pytest.mark.e2e

# A copy for the reviewer to look at, beside var/screenshots.
SHOTS = Path("/tmp/shots-replies")  # noqa: S108 - screenshots only, nothing is read back


def shoot(page, screenshots: Path, name: str) -> None:
    page.wait_for_load_state("load")
    page.evaluate("document.fonts.ready.then(() => true)")
    path = screenshots / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SHOTS / path.name)
    wider = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert wider <= 0, f"{name} scrolls sideways by {wider} px"
    small = small_targets(page)
    assert small == [], f"{name} has controls smaller than 44 px:\n" + "\n".join(small)


def unrouted_order(world) -> Case:
    if not Category.objects.exists():
        load_categories(Category)
    case = services.case_create(
        reporter=None,
        actor=world.town_operator,
        source=Case.Source.HOTLINE,
        category="C0201",
        description="幸福路8号门口路面塌陷，电动车容易摔倒",
        lon=120.725,
        lat=31.605,
        address="甲镇幸福路八号",
        reporter_name="张来电",
        reporter_phone="13900000001",
        is_public=False,
        external_ref="GD20261202001",
        photos=[],
    ).case
    HotlineOrder.objects.create(
        case=case,
        order_number="GD20261202001",
        address_text="甲镇幸福路八号",
        received_at=timezone.now() - timedelta(hours=2),
        due_at=timezone.now() + timedelta(days=3),
        confidence=0.58,
        kind=HotlineOrder.Kind.COMPLAINT,
    )
    return case


def test_an_operator_places_an_unrouted_order_on_the_map_from_a_phone(
    browser, live_server, e2e_world, screenshots, monkeypatch
):
    world = e2e_world
    remembered = []
    monkeypatch.setattr(address_services, "placement_remember", lambda **kw: remembered.append(kw))
    case = unrouted_order(world)
    context = phone(browser)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        sign_in(page, live_server.url, world.town_operator)
        page.goto(f"{live_server.url}/cases/work/map/")
        place = page.locator(f"[data-place='{case.tracking_number}']")
        place.scroll_into_view_if_needed()
        shoot(page, screenshots, "hotline-place-queue-360")
        with page.expect_navigation():
            place.tap()
        page.locator("[data-placing-map][data-ready='1']").wait_for()
        assert "甲镇幸福路八号" in page.locator("[data-field='address-text']").inner_text()
        assert "58%" in page.locator("[data-field='confidence']").inner_text()
        # The register found nothing yet (its matcher is being built): the empty state says what to do.
        shown(page.locator(".empty-state"))
        shoot(page, screenshots, "hotline-place-page-360")
        # Grid A1b's outline is the second drawn (by code); tap its middle.
        outline = page.locator("#placing-map path").nth(1)
        assert wait_until(lambda: outline.bounding_box() is not None)
        box = outline.bounding_box()
        page.locator("#placing-map").scroll_into_view_if_needed()
        box = outline.bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        assert wait_until(lambda: page.locator("[data-placing-map]").get_attribute("data-chosen") == "1")
        submit = page.locator("[data-placing-submit]")
        assert submit.is_enabled()
        assert "甲一村第2网格" in page.locator("[data-placing-status]").inner_text()
        shoot(page, screenshots, "hotline-place-chosen-360")
        with page.expect_navigation():
            submit.tap()
        assert page.url.endswith("/cases/work/map/")
        assert case.tracking_number in page.locator(".alert-success, .alert").first.inner_text()
        shoot(page, screenshots, "hotline-place-done-360")
        case.refresh_from_db()
        assert (case.grid_id, case.routed) == (world.grid_a1b.pk, True)
        assert 120.71 < case.lon < 120.72
        assert HotlineOrder.objects.get(case=case).routed_by == "placed"
        assert (
            remembered
            and remembered[0]["text"] == "甲镇幸福路八号"
            and remembered[0]["grid"] == world.grid_a1b
        )
        assert errors == []
    finally:
        context.close()


def test_the_reply_list_on_a_desktop_and_a_phone(browser, live_server, e2e_world, screenshots):
    world = e2e_world
    unrouted_order(world)
    for size, name in ((DESKTOP, "desktop"), ({"width": 360, "height": 640}, "360")):
        context = browser.new_context(viewport=size, locale="zh-CN", timezone_id="Asia/Shanghai")
        page = context.new_page()
        try:
            sign_in(page, live_server.url, world.town_operator)
            page.goto(f"{live_server.url}/cases/work/hotline-replies/")
            assert "GD20261202001" in page.locator("[data-reply]").first.inner_text()
            assert "办理中" in page.content()
            shoot(page, screenshots, f"hotline-replies-{name}")
            with page.expect_download() as info:
                page.locator("[data-reply-download]").click()
            assert info.value.suggested_filename.endswith(".xlsx")
        finally:
            context.close()
