"""Reporting from a phone (issue 13), at 360 × 640 in Chinese: a common problem in three taps after
the photo, with the place found by itself; and a report made with no signal (Playwright's offline
mode), kept on the phone, still there after a reload, and sent once when the signal returns.
Saves var/screenshots/phone-report-*.png to be looked at.
"""

from __future__ import annotations

import time

import pytest

from civicgrid.cases.models import Case, CasePhoto
from civicgrid.cases.tests.conftest import jpeg
from tests.e2e.conftest import shown
from tests.e2e.test_case_page_phone import BROKEN_LABELS
from tests.e2e.test_report_questions import shoot
from tests.e2e.test_work_pages import PHONE, sign_in

pytestmark = pytest.mark.e2e

GRID_A1A_CENTRE = (120.705, 31.605)


def wait_until(check, seconds: float = 20.0) -> bool:
    """Poll from Python: `page.wait_for_function` evaluates a string, which the pages' CSP refuses."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.25)
    return False


def phone(browser):
    context = browser.new_context(
        viewport=PHONE,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        device_scale_factor=1,
        is_mobile=True,
        has_touch=True,
        geolocation={"longitude": GRID_A1A_CENTRE[0], "latitude": GRID_A1A_CENTRE[1], "accuracy": 10},
        permissions=["geolocation"],
    )
    context.set_default_timeout(15_000)
    return context


def test_a_common_problem_is_reported_in_three_taps_after_the_photo(
    browser, live_server, e2e_world, screenshots
):
    world = e2e_world
    context = phone(browser)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    taps = 0
    try:
        sign_in(page, live_server.url, world.resident)
        page.goto(f"{live_server.url}/cases/report/")
        # The place is found by itself: no tap.
        page.locator("[data-report-map][data-pinned='1']").wait_for()
        assert "甲一村第1网格" in page.locator("[data-locate-status]").inner_text()
        # The photo (the camera's own taps are the phone's).
        page.set_input_files(
            "#id_photos_camera", {"name": "rubbish.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}
        )
        page.locator(".photo-preview img").wait_for()
        grid = page.locator("[data-quick]")
        assert grid.is_visible() and page.locator("#id_category").is_hidden()
        shoot(page, screenshots, "phone-report-tiles-360")
        # Each common problem's name on one line; no button label broken mid-word.
        assert page.evaluate(BROKEN_LABELS, ".quick-tile__label, main .btn, .phrase") == []
        # 1. The icon of the problem.
        page.locator("[data-quick-code='E0101']").tap()
        taps += 1
        assert page.locator("[data-quick-code='E0101']").get_attribute("aria-pressed") == "true"
        assert page.input_value("#id_category") == "E0101"
        # The description is optional here; a suggested phrase fills it in one tap.
        shown(page.locator("[data-description-mark]"))
        phrase = page.locator("[data-phrases] .phrase").first
        # 2. A suggested phrase.
        phrase.tap()
        taps += 1
        assert page.input_value("#id_description") == "垃圾堆放多日未清运"
        shoot(page, screenshots, "phone-report-chosen-360")
        assert page.evaluate(BROKEN_LABELS, ".quick-tile__label, main .btn, .phrase") == []
        # 3. Send.
        with page.expect_navigation():
            page.locator("[data-submit]").tap()
        taps += 1
        number = page.locator("#tracking-number").inner_text().strip()
        shoot(page, screenshots, "phone-report-received-360")
    finally:
        context.close()
    assert errors == [], f"JavaScript errors: {errors}"
    assert taps == 3
    case = Case.objects.get(tracking_number=number)
    assert (case.category.code, case.description, case.grid) == (
        "E0101",
        "垃圾堆放多日未清运",
        world.grid_a1a,
    )
    assert case.reporter == world.resident
    assert CasePhoto.objects.filter(case=case).count() == 1


def test_a_missing_choice_is_asked_in_the_page_and_the_photo_stays(
    browser, live_server, e2e_world, screenshots
):
    context = phone(browser)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/cases/report/")
        page.locator("[data-report-map][data-pinned='1']").wait_for()
        page.set_input_files("#id_photos", {"name": "p.jpg", "mimeType": "image/jpeg", "buffer": jpeg()})
        page.locator("[data-submit]").tap()
        # Nothing was sent: the page marks what is missing and keeps the photo.
        error = page.locator("[data-category-field] .errorlist")
        error.wait_for()
        assert "点选图标" in error.inner_text()
        assert page.locator(".photo-preview img").count() == 1
        shown(page.locator("[data-form-alert]"))
        shoot(page, screenshots, "phone-report-missing-360")
        # "Other problems" opens the full list; a category that needs words asks for them.
        page.locator("[data-quick-more]").tap()
        page.select_option("#id_category", "E0601")
        page.locator("[data-submit]").tap()
        shown(page.locator("[data-description-field] .errorlist"))
        assert page.locator(".photo-preview img").count() == 1
    finally:
        context.close()
    assert not Case.objects.exists()


def test_a_report_made_without_a_signal_waits_on_the_phone_and_is_sent_once(
    browser, live_server, e2e_world, screenshots
):
    world = e2e_world
    context = phone(browser)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    base = live_server.url
    try:
        sign_in(page, base, world.resident)
        page.goto(f"{base}/cases/report/")
        # The service worker takes the page over and keeps what reporting needs.
        # Once it is active, the next load of the page is the service worker's.
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        page.reload()
        assert wait_until(lambda: page.evaluate("navigator.serviceWorker.controller !== null"))
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        page.locator("[data-report-map][data-pinned='1']").wait_for()

        context.set_offline(True)
        page.set_input_files(
            "#id_photos_camera", {"name": "lamp.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}
        )
        page.locator("[data-quick-code='C0102']").tap()
        page.locator("[data-phrases] .phrase").first.tap()
        page.locator("[data-submit]").tap()
        queued = page.locator("[data-queued-panel]")
        queued.wait_for(state="visible")
        assert "已保存在手机上" in queued.inner_text()
        shoot(page, screenshots, "phone-report-queued-360")
        assert not Case.objects.exists()

        # Still without a signal: a reload shows the page from the phone, and what waits.
        page.reload()
        banner = page.locator("[data-outbox-banner]")
        banner.wait_for(state="visible")
        assert "1" in banner.inner_text()
        page.goto(f"{base}/cases/outbox/")
        item = page.locator(".outbox-item[data-state='waiting']")
        item.wait_for()
        assert "路灯不亮" in item.inner_text() and "1 张照片" in item.inner_text()
        shoot(page, screenshots, "phone-report-outbox-waiting-360")
        assert not Case.objects.exists()

        # The signal returns: it goes out by itself, once.
        context.set_offline(False)
        page.locator(".outbox-item[data-state='sent']").wait_for(timeout=20_000)
        sent_text = page.locator(".outbox-item[data-state='sent']").inner_text()
        shoot(page, screenshots, "phone-report-outbox-sent-360")
        # More sends of the same report (another page load flushes again) make nothing new.
        page.evaluate(
            """async () => {
                const items = await window.CivicGrid.outbox.all();
                for (const item of items) { item.state = 'waiting'; }
                return items.length;
            }"""
        )
        page.reload()
        page.locator(".outbox-item").first.wait_for()
    finally:
        context.close()
    assert errors == [], f"JavaScript errors: {errors}"
    assert Case.objects.count() == 1
    case = Case.objects.get()
    assert case.tracking_number in sent_text
    assert (case.category.code, case.reporter, case.grid) == ("C0102", world.resident, world.grid_a1a)
    assert case.description == "整条路的路灯都不亮"
    assert CasePhoto.objects.filter(case=case).count() == 1
