"""The report page's "similar reports nearby" step in a phone browser (report-similar.js): before the
report is sent, an open report of the same category near the pin is offered; "加入这条" makes the
reporter its follower and files no case. Saves var/screenshots/report-similar-360.png to be looked at.
"""

from __future__ import annotations

import pytest

from civicgrid.accounts.services import role_assign, user_create
from civicgrid.cases import seed
from civicgrid.cases.models import Case, CaseFollower, Category
from civicgrid.cases.tests.conftest import jpeg, report
from conftest import PASSWORD
from tests.e2e.phone import choose_category
from tests.e2e.test_report_questions import shoot
from tests.e2e.test_work_pages import PHONE, sign_in

pytestmark = pytest.mark.e2e

GRID_A1A_CENTRE = (120.705, 31.605)


def test_a_similar_report_nearby_is_offered_and_add_mine_follows_it(
    browser, live_server, e2e_world, screenshots
):
    seed.load_categories(Category)  # a transactional test before this one may have flushed the seed
    world = e2e_world
    pothole = Category.objects.get(code="C0201")
    existing = report(world, pothole, address="甲一村路口", description="路口有个大坑，车辆绕行")
    neighbour = user_create(
        username="neighbour", password=PASSWORD, display_name="陈邻居", phone="13800000011"
    )
    role_assign(user=neighbour, role="resident", place=world.village_a1)
    cases_before = Case.objects.count()
    context = browser.new_context(
        viewport=PHONE,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        device_scale_factor=1,
        geolocation={"longitude": GRID_A1A_CENTRE[0], "latitude": GRID_A1A_CENTRE[1], "accuracy": 10},
        permissions=["geolocation"],
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        sign_in(page, live_server.url, neighbour)
        page.goto(f"{live_server.url}/cases/report/")
        page.locator("[data-report-map][data-pinned='1']").wait_for()
        page.set_input_files("#id_photos", {"name": "pit.jpg", "mimeType": "image/jpeg", "buffer": jpeg()})
        choose_category(page, "C0201")
        page.fill("#id_description", "路口有坑")
        page.click("[data-submit]")
        panel = page.locator("[data-similar]")
        panel.wait_for(state="visible")
        assert "附近已有 1 条相似上报" in panel.inner_text()
        assert "甲一村路口" in panel.inner_text()
        assert page.locator("[data-similar] .similar__photo").count() == 1
        shoot(page, screenshots, "report-similar-360")
        with page.expect_navigation():
            page.click(f"[data-similar] button[value='{existing.tracking_number}']")
        assert page.locator("#tracking-number").inner_text().strip() == existing.tracking_number
        shoot(page, screenshots, "report-similar-followed-360")
    finally:
        context.close()
    assert errors == [], f"JavaScript errors: {errors}"
    assert CaseFollower.objects.filter(case=existing, user=neighbour).count() == 1
    assert Case.objects.count() == cases_before
