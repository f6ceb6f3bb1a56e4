"""The client apps page in a browser: a district administrator issues an Open311 key and sees it once.

Saves var/screenshots/clients-*.png to be looked at.
"""

from __future__ import annotations

import pytest
from django.db import transaction

from civicgrid.accounts.models import ClientApp
from civicgrid.accounts.services import client_app_authenticate, client_app_issue, client_app_revoke
from tests.e2e.test_work_pages import sign_in, small_targets

pytestmark = pytest.mark.e2e

SIZES = {"phone": {"width": 360, "height": 640}, "desktop": {"width": 1280, "height": 800}}


@pytest.fixture
def clients_world(e2e_world):
    """Two applications of the district: one in use, one revoked."""
    world = e2e_world
    admin = world.city_admin
    with transaction.atomic():
        client_app_issue(
            actor=admin,
            name="随手拍小程序",
            contact="张工 zhang@example.org 13800000000",
            region=world.district,
        )
        old, _key = client_app_issue(
            actor=admin,
            name="旧版公众号",
            contact="李工 0512-12345678",
            region=world.town_b,
            posts_per_hour=30,
        )
        client_app_revoke(actor=admin, client=old)
    return world


@pytest.mark.parametrize("size", list(SIZES))
def test_the_administrator_issues_a_key_and_sees_it_once(
    browser, live_server, clients_world, screenshots, size
):
    world = clients_world
    context = browser.new_context(viewport=SIZES[size], locale="zh-CN", device_scale_factor=1)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        sign_in(page, live_server.url, world.city_admin)
        page.goto(f"{live_server.url}/accounts/clients/")
        assert page.locator("h1").inner_text().strip() == "接入应用"
        page.fill("input[name=name]", "FixMyStreet 海棠")
        page.fill("input[name=contact]", "ops@fixmystreet.example")
        page.select_option("select[name=region]", str(world.town_a.pk))
        page.fill("input[name=posts_per_hour]", "60")
        page.click("form button:has-text('签发密钥')")
        page.wait_for_load_state("load")
        key = page.locator("#new-client-key").inner_text().strip()
        assert client_app_authenticate(key) == ClientApp.objects.get(name="FixMyStreet 海棠")
        assert page.get_by_text("此密钥仅显示一次。").is_visible()
        # The first row's revoke button asks once more before revoking.
        page.locator(".clients-revoke summary").first.click()
        assert page.locator(".clients-revoke__panel").first.is_visible()
        if size == "phone":
            # Open every confirmation, so each is measured as it is shown (a closed one has no size).
            for summary in page.locator(".clients-revoke:not([open]) summary").all():
                summary.click()
        page.evaluate("document.fonts.ready.then(() => window.scrollTo(0, 0))")
        page.screenshot(path=str(screenshots / f"clients-{size}.png"), full_page=True)
        wider = page.evaluate(
            "document.querySelector('main').scrollWidth - document.querySelector('main').clientWidth"
        )
        assert wider <= 0, f"the page scrolls sideways by {wider} px"
        if size == "phone":
            small = small_targets(page)
            assert small == [], "controls smaller than 44 px:\n" + "\n".join(small)
    finally:
        context.close()
