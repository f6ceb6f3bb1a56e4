"""A grid worker's step on a case made with no signal (issue 13): the case page opens from the phone,
the step waits in the outbox and is recorded once when the signal returns. At 360 × 640 in Chinese;
saves var/screenshots/phone-step-*.png to be looked at."""

from __future__ import annotations

import pytest

from civicgrid.cases.models import Case, CaseEvent, Category
from civicgrid.cases.tests.conftest import report
from tests.e2e.test_phone_report import wait_until
from tests.e2e.test_report_questions import shoot
from tests.e2e.test_work_pages import PHONE, sign_in

pytestmark = pytest.mark.e2e


def test_a_step_made_without_a_signal_is_recorded_once_when_it_returns(
    browser, live_server, e2e_world, screenshots
):
    world = e2e_world
    case = report(world, Category.objects.get(code="C0201"), address="甲一村东门")
    context = browser.new_context(
        viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai", device_scale_factor=1, has_touch=True
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    url = f"{live_server.url}/cases/{case.tracking_number}/"
    try:
        sign_in(page, live_server.url, world.grid_worker)
        page.goto(url)
        # Once it is active, the next load of the page is the service worker's.
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        page.reload()
        assert wait_until(lambda: page.evaluate("navigator.serviceWorker.controller !== null"))

        context.set_offline(True)
        page.reload()  # from the phone
        panel = page.locator('details.action-panel[data-action="accept"]')
        panel.locator("summary").click()
        panel.locator("textarea").fill("现场核实，坑深约10厘米。")
        panel.locator("button[type=submit]").click()
        note = page.locator(".outbox-note")
        note.wait_for()
        assert "已保存在手机上" in note.inner_text()
        page.locator("[data-outbox-banner]").wait_for(state="visible")
        shoot(page, screenshots, "phone-step-queued-360")
        case.refresh_from_db()
        assert case.state == "reported"

        context.set_offline(False)
        assert wait_until(lambda: CaseEvent.objects.filter(case=case, action="accept").exists())
        page.locator("[data-outbox-banner]").wait_for(state="hidden")
        # Another load flushes again: nothing waits, nothing is recorded twice.
        page.goto(url)
        assert page.locator(".case-head [data-state]").get_attribute("data-state") == "accepted"
        shoot(page, screenshots, "phone-step-recorded-360")
    finally:
        context.close()
    assert errors == [], f"JavaScript errors: {errors}"
    assert CaseEvent.objects.filter(case=case, action="accept").count() == 1
    assert Case.objects.get(pk=case.pk).state == "accepted"
