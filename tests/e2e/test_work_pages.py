"""The staff work lists in a browser: the grid worker's queue on a phone, the town's centre and map on a desktop.

Saves var/screenshots/work-*.png to be looked at.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from civicgrid.accounts.services import agency_create
from civicgrid.cases import seed, selectors_map, services
from civicgrid.cases.models import Case, Category
from conftest import PASSWORD

pytestmark = pytest.mark.e2e

PHONE = {"width": 360, "height": 640}
DESKTOP = {"width": 1280, "height": 800}
# A checkbox counts by its label: the whole label is the tap target (so does a map layer's radio).
TOUCH_TARGETS = (
    "main button:not(.leaflet-control *), main .btn, main select, main label:has(> input[type=checkbox]), "
    "main input:not([type=hidden]):not([type=checkbox]):not(.leaflet-control *), main .leaflet-control-layers label, "
    "main .work-tab, main .work-card, main .work-chip, main .work-switch__link, main .link-row"
)
ADDRESSES = ["幸福路 12 号", "学府路 3 号门口", "虞山北路与海虞路交叉口", "甲一村 5 组", "菜市场东侧"]


def small_targets(page) -> list[str]:
    return page.eval_on_selector_all(
        TOUCH_TARGETS,
        """els => els.filter(e => {
              const r = e.getBoundingClientRect();
              return r.width > 0 && r.height > 0 && (r.height < 43.5 || r.width < 43.5);
           }).map(e => e.outerHTML.slice(0, 120) + ' ' + Math.round(e.getBoundingClientRect().width)
                     + 'x' + Math.round(e.getBoundingClientRect().height))""",
    )


def shoot(page, screenshots: Path, name: str, phone: bool = False) -> None:
    page.wait_for_load_state("load")
    page.evaluate("document.fonts.ready.then(() => true)")
    page.screenshot(path=str(screenshots / f"work-{name}.png"), full_page=True)
    # The page's own content must fit; the site header is checked by test_browser.py.
    wider = page.evaluate(
        "document.querySelector('main').scrollWidth - document.querySelector('main').clientWidth"
    )
    assert wider <= 0, f"{name} scrolls sideways by {wider} px"
    if phone:
        small = small_targets(page)
        assert small == [], f"{name} has controls smaller than 44 px:\n" + "\n".join(small)


def sign_in(page, base: str, user) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/")


@pytest.fixture
def busy_world(e2e_world):
    """Town A with cases at every step; some overdue, some due soon, one urgent, one outside every grid."""
    world = e2e_world
    seed.load_categories(Category)  # a transactional test before this one may have flushed the seed
    world.agency_b = agency_create(code="power", name="供电公司", name_en="Power", region=world.district)
    pothole = Category.objects.get(code="C0201")
    light = Category.objects.get(code="C0601")
    collapse = Category.objects.get(code="E0501")
    now = timezone.now()

    def report(category, n: int, lon: float = 120.705, lat: float = 31.605) -> Case:
        return services.case_create(
            reporter=world.resident,
            source=Case.Source.RESIDENT,
            category=category,
            description=f"第 {n} 号问题",
            lon=lon,
            lat=lat,
            address=ADDRESSES[n % len(ADDRESSES)],
            photos=[_jpeg()] if category.photo_required else [],
        ).case

    def act(case: Case, action: str, who, **kw) -> Case:
        return services.case_act(case=case, action=action, actor=who, **kw)

    def to_town(case: Case) -> Case:
        case = act(case, "accept", world.grid_worker)
        case = act(case, "escalate_to_village", world.grid_worker, note="需村里协调")
        return act(case, "escalate_to_town", world.village_cadre, note="需职能部门")

    reported = [report(pothole, n, lon=120.701 + n * 0.0015, lat=31.602 + (n % 3) * 0.003) for n in range(5)]
    Case.objects.filter(pk=reported[0].pk).update(step_due_at=now - timedelta(hours=5), is_overdue=True)
    Case.objects.filter(pk=reported[1].pk).update(step_due_at=now + timedelta(hours=2))
    report(collapse, 5, lon=120.703, lat=31.607)
    town = [
        to_town(report(light, n, lon=120.7025 + (n - 6) * 0.002, lat=31.6035 + (n - 6) * 0.0015))
        for n in range(6, 10)
    ]
    Case.objects.filter(pk=town[0].pk).update(step_due_at=now - timedelta(hours=1))
    dispatched = act(
        to_town(report(pothole, 10, lon=120.708, lat=31.6085)),
        "dispatch",
        world.town_operator,
        agency=world.agency,
    )
    act(dispatched, "sign", world.agency_staff)
    report(pothole, 11, lon=120.73, lat=31.605)  # between the towns: unrouted
    report(pothole, 12, lon=120.805, lat=31.605)  # town B: never shown to town A
    return world


def _jpeg() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 80, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_the_grid_worker_works_the_queue_on_a_phone(browser, live_server, busy_world, screenshots):
    world = busy_world
    context = browser.new_context(viewport=PHONE, locale="zh-CN", device_scale_factor=1)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        sign_in(page, live_server.url, world.grid_worker)
        page.goto(f"{live_server.url}/cases/work/")
        cards = page.locator(".work-card")
        assert cards.count() == 6
        # The overdue case leads, in red.
        assert "work-card--overdue" in cards.first.get_attribute("class")
        shoot(page, screenshots, "queue-360", phone=True)
        page.locator(".work-tab").nth(1).click()
        page.wait_for_load_state()
        shoot(page, screenshots, "queue-empty-360", phone=True)
        page.goto(f"{live_server.url}/cases/work/map/")
        page.locator(".leaflet-overlay-pane canvas, .leaflet-overlay-pane svg").first.wait_for()
        shoot(page, screenshots, "map-360", phone=True)
    finally:
        context.close()
    assert errors == [], f"JavaScript errors: {errors}"


def test_the_town_operator_uses_the_centre_and_the_map(
    browser, live_server, busy_world, screenshots, monkeypatch
):
    world = busy_world
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN", device_scale_factor=1)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        sign_in(page, live_server.url, world.town_operator)
        page.goto(f"{live_server.url}/cases/work/centre/")
        assert page.locator(".work-step--late").count() >= 1
        shoot(page, screenshots, "centre-1280")

        # The filters ask htmx for the results only; the URL follows.
        page.select_option("#id_state", "town")
        page.wait_for_url("**state=town**")
        page.locator("#centre-results .work-table tbody tr").first.wait_for()
        assert page.locator("#centre-results .work-table tbody tr").count() == 4

        # The dispatch list: tick two, choose the agencies, dispatch.
        page.goto(f"{live_server.url}/cases/work/centre/?queue=dispatch")
        submit = page.locator("[data-dispatch-submit]")
        assert submit.is_disabled()
        checks = page.locator("[data-case-check]")
        assert checks.count() == 4
        checks.nth(0).check()
        checks.nth(1).check()
        assert submit.is_enabled()
        page.select_option("#id_agency", str(world.agency.pk))
        page.locator(f".work-option input[value='{world.agency_b.pk}']").check()
        shoot(page, screenshots, "centre-dispatch-1280")
        submit.click()
        page.locator("main .alert-success").wait_for()
        shoot(page, screenshots, "batch-result-1280")
        assert Case.objects.filter(state=Case.State.DISPATCHED, lead_agency=world.agency).count() == 2

        page.goto(f"{live_server.url}/cases/work/map/")
        page.locator(".leaflet-overlay-pane canvas, .leaflet-overlay-pane svg").first.wait_for()
        # A locator, not wait_for_function: polling a string needs eval, which the CSP refuses.
        page.locator("[data-work-map][data-ready='1']").wait_for()
        markers = int(page.locator("[data-work-map]").get_attribute("data-markers"))
        assert markers == 11  # every open routed case of town A; not town B's, not the unrouted one
        assert page.locator(".work-unrouted .link-row").count() == 1
        assert "11" in page.locator("[data-map-status]").inner_text()
        page.wait_for_timeout(300)
        shoot(page, screenshots, "map-1280")

        # More cases in view than the map draws one by one: a count per grid, which zooms in when tapped.
        monkeypatch.setattr(selectors_map, "MARKER_LIMIT", 4)
        page.goto(f"{live_server.url}/cases/work/map/")
        page.locator("[data-work-map][data-mode='clusters']").wait_for()
        cluster = page.locator(".work-cluster").first
        assert cluster.inner_text() == "11"
        assert page.locator("[data-map-status][data-state='many']").count() == 1
        page.wait_for_timeout(300)
        shoot(page, screenshots, "map-clusters-1280")
        with page.expect_response(lambda r: "/cases/work/map/data/" in r.url):
            cluster.click()
        page.locator("[data-work-map]:not([data-loading])").wait_for()
        monkeypatch.undo()

        page.set_viewport_size(PHONE)
        page.goto(f"{live_server.url}/cases/work/centre/?queue=dispatch")
        shoot(page, screenshots, "centre-360", phone=True)
    finally:
        context.close()
    assert errors == [], f"JavaScript errors: {errors}"


def test_the_agency_reads_its_inbox_on_a_phone(browser, live_server, busy_world, screenshots):
    world = busy_world
    context = browser.new_context(viewport=PHONE, locale="zh-CN", device_scale_factor=1)
    page = context.new_page()
    try:
        sign_in(page, live_server.url, world.agency_staff)
        page.goto(f"{live_server.url}/cases/work/agency/")
        assert page.locator(".work-card").count() == 1
        shoot(page, screenshots, "agency-360", phone=True)
    finally:
        context.close()


def test_the_centre_pages_its_list_by_cursor_on_a_phone_and_a_desktop(
    browser, live_server, e2e_world, screenshots
):
    """More than a page of cases: the pager's "Next" swaps the results in place (htmx) and the URL
    carries the cursor; the second page offers the first again."""
    world = e2e_world
    seed.load_categories(Category)
    light = Category.objects.get(code="C0601")
    for n in range(30):
        services.case_create(
            reporter=world.resident,
            source=Case.Source.RESIDENT,
            category=light,
            description=f"第 {n} 号路灯不亮",
            lon=120.701 + (n % 10) * 0.0008,
            lat=31.602 + (n // 10) * 0.002,
            address=ADDRESSES[n % len(ADDRESSES)],
        )
    for viewport, name, phone in ((PHONE, "360", True), (DESKTOP, "1280", False)):
        context = browser.new_context(viewport=viewport, locale="zh-CN", device_scale_factor=1)
        context.set_default_timeout(10_000)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
        try:
            sign_in(page, live_server.url, world.town_operator)
            page.goto(f"{live_server.url}/cases/work/centre/")
            rows = page.locator("#centre-results .work-table tbody tr")
            assert rows.count() == 25
            assert "30" in page.locator("#results-title .count").inner_text()
            next_link = page.locator("#centre-results .pagination a[rel=next]")
            shoot(page, screenshots, f"centre-pager-{name}", phone=phone)
            next_link.click()
            page.wait_for_url("**cursor=**")
            page.locator("#centre-results .pagination a[rel=first]").wait_for()
            assert rows.count() == 5
            assert page.locator("#centre-results .pagination a[rel=next]").count() == 0
            shoot(page, screenshots, f"centre-pager-last-{name}", phone=phone)
        finally:
            context.close()
        assert errors == [], f"JavaScript errors: {errors}"
