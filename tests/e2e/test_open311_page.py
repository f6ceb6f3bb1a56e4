"""The Open311 interface page in a browser, reached from the footer, on a wide screen and a phone.

Saves var/screenshots/work-open311-*.png to be looked at.
"""

from __future__ import annotations

import pytest

from civicgrid.cases.models import Category, CategoryQuestion
from tests.e2e.test_work_pages import DESKTOP, PHONE, shoot

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(("viewport", "name"), [(DESKTOP, "1280"), (PHONE, "360")])
def test_the_interface_page_lists_the_endpoint_and_services(
    browser, live_server, e2e_world, screenshots, viewport, name
):
    category = Category.objects.get(code="C0201")
    CategoryQuestion.objects.create(
        category=category, code="width", label="坑宽（米）", datatype="number", order=1
    )
    context = browser.new_context(viewport=viewport, locale="zh-CN", device_scale_factor=1)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/")
        page.get_by_role("link", name="Open311 接口").click()
        page.wait_for_url(f"{live_server.url}/open311/v2/")
        assert page.locator("h1").inner_text() == "Open311 接口"
        assert f"{live_server.url}/open311/v2/" in page.locator(".open311-facts").inner_text()
        assert (
            page.locator(".open311-services tbody tr").count()
            == Category.objects.filter(parent__isnull=False, is_active=True).count()
        )
        # A category with questions links to its definition.
        row = page.locator(".open311-services tr", has_text="C0201")
        assert row.get_by_role("link").get_attribute("href") == "/open311/v2/services/C0201.json"
        shoot(page, screenshots, f"open311-{name}", phone=viewport is PHONE)
        with page.expect_response(lambda r: r.url.endswith("/discovery.xml")) as answer:
            page.get_by_role("link", name="discovery.xml").click()
        assert answer.value.headers["content-type"] == "text/xml; charset=utf-8"
    finally:
        context.close()
