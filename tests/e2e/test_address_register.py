"""Keeping the standard address register from a phone (issue 15), at 360 × 640 in Chinese: a grid
worker adds an address with the point from the phone's position, corrects it, and merges a duplicate
found by search. Screenshots go to var/screenshots/ (or $SHOTS_DIR) to be looked at.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from civicgrid.addresses import services
from civicgrid.addresses.models import Address, AddressAlias
from tests.e2e.conftest import SCREENSHOTS, shown
from tests.e2e.test_phone_report import phone
from tests.e2e.test_work_pages import sign_in, small_targets

pytestmark = pytest.mark.e2e

SHOTS = Path(os.environ.get("SHOTS_DIR") or SCREENSHOTS)


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_load_state("load")
    page.evaluate("document.fonts.ready.then(() => true)")
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    wider = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert wider <= 0, f"{name} scrolls sideways by {wider} px"
    small = small_targets(page)
    assert small == [], f"{name} has controls smaller than 44 px:\n" + "\n".join(small)


def test_a_grid_worker_adds_corrects_and_merges_from_a_phone(browser, live_server, e2e_world):
    world = e2e_world
    duplicate = services.address_add(
        user=None, grid=world.grid_a1a, road="", number="", compound="邮电小区", aliases=["邮电大楼"]
    )
    context = phone(browser)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    base = live_server.url
    try:
        sign_in(page, base, world.grid_worker)
        # Reachable on the phone from the "me" tab's tools (the desktop bar has it under More).
        page.click("[data-tab='me']")
        page.wait_for_url(f"{base}/accounts/me/")
        page.click("main a[href='/addresses/']")
        page.wait_for_url(f"{base}/addresses/")
        shoot(page, "register-360")

        # Add, the point from the phone's position.
        page.locator("[data-testid=add]").tap()
        page.locator("[data-address-map][data-ready='1']").wait_for()
        page.fill("#id_road", "解放路")
        page.fill("#id_number", "88")
        page.locator("[data-locate]").tap()
        page.locator("[data-address-map][data-pinned='1']").wait_for()
        assert page.input_value("#id_lon").startswith("120.70")
        shoot(page, "add-360")
        with page.expect_navigation():
            page.locator("[data-testid=save]").tap()
        address = Address.objects.get(road="解放路")
        assert page.url == f"{base}/addresses/{address.pk}/"
        page.locator("[data-address-map][data-ready='1']").wait_for()
        shoot(page, "detail-360")

        # Correct: the number was 86; the old text stays as a former name.
        old_text = address.text
        page.locator("[data-testid=edit]").tap()
        page.fill("#id_number", "86")
        with page.expect_navigation():
            page.locator("[data-testid=save]").tap()
        assert old_text in page.locator("[data-testid=aliases]").inner_text()

        # Merge the duplicate, found by search.
        page.locator("[data-testid=merge]").tap()
        page.fill("#merge-q", "邮电")
        with page.expect_navigation():
            page.press("#merge-q", "Enter")
        shoot(page, "merge-search-360")
        page.locator(f"[data-testid=merge-results] [data-address='{duplicate.pk}']").tap()
        page.locator("[data-testid=merge-confirm]").wait_for()
        shoot(page, "merge-confirm-360")
        with page.expect_navigation():
            page.locator("[data-testid=merge-submit]").tap()
        assert "邮电大楼" in page.locator("[data-testid=aliases]").inner_text()
        shown(page.locator("[data-testid=merged-from]"))
        shoot(page, "merged-360")
    finally:
        context.close()
    assert errors == [], f"JavaScript errors: {errors}"
    address.refresh_from_db()
    duplicate.refresh_from_db()
    assert address.number == "86" and address.lon is not None
    assert duplicate.status == Address.Status.MERGED and duplicate.merged_into == address
    assert set(AddressAlias.objects.filter(address=address).values_list("kind", flat=True)) == {
        "former",
        "alias",
    }
