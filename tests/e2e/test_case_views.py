"""One case as its reporter, the staff and the public see it, in a real browser, on a phone and at a desk.

The case is walked through the workflow first (internal notes, a reply, comments, photos of each
kind, an appointment, a co-handler). Screenshots go to var/screenshots/view-*.png.
"""

from __future__ import annotations

import pytest

from civicgrid.accounts.services import agency_create, role_assign, user_create
from civicgrid.cases.models import Category
from civicgrid.cases.tests.test_case_views import (
    INTERNAL_DISPATCH,
    INTERNAL_VILLAGE,
    REPLY_COMMENT,
    walk_the_case,
)
from conftest import PASSWORD
from tests.e2e.test_case_flow import DESKTOP, PHONE, small_targets

pytestmark = pytest.mark.e2e


@pytest.fixture
def walked(e2e_world):
    world = e2e_world
    world.agency_b = agency_create(
        code="power", name="供电公司", name_en="Power", region=world.district, kind="state_enterprise"
    )
    world.agency_b_staff = user_create(username="power", password=PASSWORD, display_name="郑供电")
    role_assign(user=world.agency_b_staff, role="agency_staff", agency=world.agency_b)
    return world, walk_the_case(world, Category.objects.get(code="C0201"), world.resident)


def _open(browser, live_server, user, url: str, viewport: dict):
    context = browser.new_context(
        viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai", device_scale_factor=1
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("requestfailed", lambda request: problems.append(f"failed {request.url}"))
    if user is not None:
        page.goto(f"{live_server.url}/accounts/login/?next={url}")
        page.fill("input[name=login]", user.username)
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.click("main form button[type=submit]")
    else:
        page.goto(f"{live_server.url}{url}")
    page.locator("[data-case-map][data-ready='1']").wait_for()
    page.evaluate("document.fonts.ready.then(() => true)")
    return context, page, problems


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desk"])
def test_the_reporter_the_staff_and_the_public_each_see_their_picture(
    browser, live_server, walked, screenshots, viewport
):
    world, case = walked
    number = case.case.tracking_number
    views = [
        ("reporter", world.resident, f"/cases/{number}/"),
        ("operator", world.town_operator, f"/cases/{number}/"),
        ("agency", world.agency_staff, f"/cases/{number}/"),
        ("public", None, f"/cases/status/{number}/"),
    ]
    size = "phone" if viewport is PHONE else "desk"
    for name, user, url in views:
        context, page, problems = _open(browser, live_server, user, url, viewport)
        try:
            main = page.locator("main").inner_text()
            page.screenshot(path=str(screenshots / f"view-{name}-{size}.png"), full_page=True)
            wider = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert wider <= 0, f"{name} scrolls sideways by {wider} px"
            if viewport is PHONE:
                assert small_targets(page) == [], name
            assert REPLY_COMMENT in main
            assert page.locator(".timeline__note--reply").count() >= 1
            if name in ("operator", "agency"):
                assert INTERNAL_VILLAGE in main and INTERNAL_DISPATCH in main
                assert world.grid_worker.display_name in main
                panel = page.locator('details.action-panel[data-action="comment"]')
                panel.locator("summary").click()
                assert panel.locator("input[name='comment-reply']").is_visible()
                panel.screenshot(path=str(screenshots / f"view-{name}-comment-{size}.png"))
                if viewport is PHONE:
                    assert small_targets(page) == [], name
            else:
                assert INTERNAL_VILLAGE not in main and INTERNAL_DISPATCH not in main
                assert world.grid_worker.display_name not in main
            if name == "agency":
                assert world.resident.display_name not in main
            images = page.locator("main img[src*='/photos/']")
            assert images.count() >= 1
            # Lazy images below the fold are not loaded yet: fetch each as this browser would.
            for src in images.evaluate_all("imgs => imgs.map(i => i.getAttribute('src'))"):
                assert page.request.get(f"{live_server.url}{src}").status == 200, (name, src)
            assert problems == [], problems
        finally:
            context.close()
