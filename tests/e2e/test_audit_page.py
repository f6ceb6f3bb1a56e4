"""The audit log in a browser, on a phone and a desktop: the district administrator reads their region.

Saves var/screenshots/audit-*.png to be looked at.
"""

from __future__ import annotations

import pytest
from django.db import transaction

from civicgrid.accounts.models import RoleAssignment
from civicgrid.accounts.services import agency_update, api_token_create, role_assign, role_change, role_end
from civicgrid.places.importer import apply_plan, check_places
from civicgrid.places.services import boundary_set, place_update
from civicgrid.places.tests.test_import import new_town_file
from conftest import square
from tests.e2e.test_work_pages import sign_in, small_targets

pytestmark = pytest.mark.e2e

SIZES = {"phone": {"width": 360, "height": 640}, "desktop": {"width": 1280, "height": 800}}


def shoot(page, screenshots, name: str, phone: bool) -> None:
    page.wait_for_load_state("load")
    page.evaluate("document.fonts.ready.then(() => true)")
    page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)
    wider = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert wider <= 0, f"{name} scrolls sideways by {wider} px"
    if phone:
        small = small_targets(page)
        assert small == [], f"{name} has controls smaller than 44 px:\n" + "\n".join(small)


@pytest.fixture
def audited_world(e2e_world):
    """The district administrator's region after a morning of administrative work."""
    world = e2e_world
    admin = world.city_admin
    with transaction.atomic():
        place_update(place=world.town_a, name="甲镇（新城）", name_en="Town A New", actor=admin)
        boundary_set(
            place=world.grid_a1b, geometry=square(120.71, 31.60, 0.012), source="2026 survey", actor=admin
        )
        apply_plan(
            check_places(new_town_file(), user=admin), source=f"upload 丙镇区划.geojson by {admin.username}"
        )
        role_assign(user=world.resident, role="grid_leader", place=world.grid_a1b, actor=admin)
        role_change(
            assignment=RoleAssignment.objects.get(user=world.village_cadre),
            role="village_cadre",
            place=world.village_b1,
            actor=admin,
        )
        role_end(assignment=RoleAssignment.objects.get(user=world.grid_worker), actor=admin)
        api_token_create(user=world.town_operator, name="12345 热线对接", actor=world.town_operator)
        agency_update(
            agency=world.agency,
            name=world.agency.name,
            name_en=world.agency.name_en,
            region=world.district,
            kind="government",
            phone="0512-12345678",
            actor=world.superuser,
        )
    return world


@pytest.mark.parametrize("size", list(SIZES))
def test_the_district_administrator_reads_the_log_of_their_region(
    browser, live_server, audited_world, screenshots, size
):
    world = audited_world
    context = browser.new_context(viewport=SIZES[size], locale="zh-CN", device_scale_factor=1)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        sign_in(page, live_server.url, world.city_admin)
        page.goto(f"{live_server.url}/audit/")
        assert page.locator("h1").inner_text().strip() == "审计日志"
        rows = page.locator(".audit-table tbody tr")
        assert rows.count() > 10
        assert page.get_by_text("甲镇（新城）").first.is_visible()
        shoot(page, screenshots, f"audit-{SIZES[size]['width']}", phone=size == "phone")

        # Filter by action through the form: the results are replaced in place.
        page.select_option("select[name=action]", "role.change")
        # A locator waits without evaluating a string in the page, which the CSP refuses ('unsafe-eval').
        rows = page.locator(".audit-table tbody tr")
        rows.nth(1).wait_for(state="detached")
        assert rows.count() == 1
        assert "village_cadre" not in page.locator(".audit-table").inner_text()
        shoot(page, screenshots, f"audit-filtered-{SIZES[size]['width']}", phone=size == "phone")
    finally:
        context.close()
