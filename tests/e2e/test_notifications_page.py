"""The notifications page on a phone: each case says what and where with its step and deadline, to-dos
first; the reader switches to the daily digest in the settings folded under the header, and the bell
then counts only what is to do. Saves var/screenshots/notifications-360.png and
notifications-settings-360.png to be looked at.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from civicgrid.cases import notices, seed, selectors, services
from civicgrid.cases.models import Case, Category, NoticePreference, Notification
from civicgrid.cases.tests.conftest import report
from civicgrid.cases.tests.test_notification_page import notice
from tests.e2e.test_report_questions import shoot
from tests.e2e.test_work_pages import PHONE, sign_in

pytestmark = pytest.mark.e2e


def test_a_reader_sees_what_and_where_and_chooses_the_daily_digest(
    browser, live_server, e2e_world, screenshots
):
    seed.load_categories(Category)  # a transactional test before this one may have flushed the seed
    world = e2e_world
    pothole = Category.objects.get(code="C0201")
    Notification.objects.all().delete()
    work = report(world, pothole, address="幸福路 12 号", description="路口有个大坑，电动车差点摔倒")
    Case.objects.filter(pk=work.pk).update(step_due_at=timezone.now() + timedelta(hours=2))
    rated = report(world, pothole, lon=120.715, description="路灯不亮，晚上很黑")
    reader = world.village_cadre
    notice(reader, work, Notification.Kind.NEW_WORK, minutes_ago=30)
    notice(reader, work, Notification.Kind.DUE_SOON, minutes_ago=5, message=notices.DUE_SOON, time="18:00")
    notice(
        reader,
        rated,
        Notification.Kind.RATED,
        minutes_ago=20,
        message=notices.RATED,
        satisfaction="satisfied",
    )
    Notification.objects.create(
        user=reader,
        case=None,
        kind=Notification.Kind.DIGEST,
        text="stored",
        message=notices.DIGEST,
        params={"cases": 4, "due": 1},
    )
    context = browser.new_context(
        viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai", device_scale_factor=1
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        sign_in(page, live_server.url, reader)
        page.goto(f"{live_server.url}/cases/notifications/")
        group = page.locator(f"[data-case='{work.tracking_number}']")
        text = group.inner_text()
        assert "路口有个大坑" in text and "幸福路 12 号" in text and "甲一村第1网格" in text
        assert page.locator("[data-case='digest']").count() == 1
        shoot(page, screenshots, "notifications-360")
        page.click(".notice-settings__summary")
        page.check("input[name=how][value=daily]")
        page.select_option("#id_digest_hour", "19")
        shoot(page, screenshots, "notifications-settings-360")
        with page.expect_navigation():
            page.click(".notice-settings__form button[type=submit]")
        assert "19:00" in page.locator(".notice-settings__summary").inner_text()
    finally:
        context.close()
    assert errors == [], f"JavaScript errors: {errors}"
    preference = NoticePreference.objects.get(user=reader)
    assert (preference.digest, preference.digest_hour, preference.language) == (True, 19, "zh-hans")
    # The bell now counts the new work, the deadline and the digest, not the rating.
    assert selectors.unread_count(reader) == 3
    services.notice_preference_set(user=reader, digest=False, digest_hour=19)
    assert selectors.unread_count(reader) == 4
