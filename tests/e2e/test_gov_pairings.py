"""Pairings on a phone: the town operator opens co-governance, records a pairing of an agency with a
village and a visit under it, sends a party member down to a grid, and finds the visit in the town's
figures; the grid's panel of people sent down.

Saves var/screenshots/gov-pairings-*.png to be looked at.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from civicgrid.governance.models import Envoy, Pairing, SupportRecord
from tests.e2e.test_work_pages import sign_in, small_targets

pytestmark = pytest.mark.e2e

PHONE = {"width": 360, "height": 640}


def _shot(page, screenshots, name: str) -> None:
    page.wait_for_load_state("load")
    page.evaluate("document.fonts.ready.then(() => true)")
    page.screenshot(path=str(screenshots / f"gov-pairings-{name}.png"), full_page=True)
    wider = page.evaluate(
        "document.querySelector('main').scrollWidth - document.querySelector('main').clientWidth"
    )
    assert wider <= 0, f"{name} scrolls sideways by {wider} px"
    small = small_targets(page)
    assert small == [], f"{name} has controls smaller than 44 px:\n" + "\n".join(small)


def test_a_town_operator_records_a_pairing_and_a_visit_and_reads_the_figures(
    browser, live_server, e2e_world, screenshots
):
    world = e2e_world
    base = live_server.url
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    try:
        sign_in(page, base, world.town_operator)
        # Co-governance from the menu (under More: an operator's bar is full): the hub, then the
        # pairings of the operator's town.
        page.click("[data-menu-toggle]")
        page.click("#site-nav .nav-more summary")
        page.click("#site-nav a[data-nav=governance]")
        page.wait_for_selector("[data-hub]")
        _shot(page, screenshots, "hub")
        page.click("[data-hub-link=pairings]")
        page.wait_for_selector("h1:has-text('甲镇')")
        _shot(page, screenshots, "town-empty")

        # Record a pairing: the water bureau with village A1.
        page.click("[data-new-pairing]")
        page.select_option("select[name=kind]", "agency")
        page.select_option("select[name=village]", world.village_a1.code)
        page.select_option("select[name=agency]", str(world.agency.pk))
        _shot(page, screenshots, "pairing-form")
        page.click("main form button[type=submit]")
        page.wait_for_selector("[data-record-support]")
        pairing = Pairing.objects.get()
        assert pairing.village == world.village_a1 and pairing.agency == world.agency

        # A visit under it, then the funds it brought.
        page.click("[data-record-support]")
        page.wait_for_load_state("load")  # the form's script shows the fields each kind needs
        page.select_option("select[name=kind]", "visit")
        page.locator("#id_amount").wait_for(state="hidden")
        assert page.locator("#id_amount").is_hidden() and page.locator("#id_matter").is_hidden()
        page.fill("textarea[name=note]", "走访村里的困难家庭，对接路灯改造")
        _shot(page, screenshots, "support-form")
        page.click("main form button[type=submit]")
        page.wait_for_selector("[data-support-records]")
        page.click("[data-record-support]")
        page.select_option("select[name=kind]", "funds")
        page.fill("input[name=amount]", "80000")
        page.fill("textarea[name=note]", "路灯改造帮扶资金")
        page.click("main form button[type=submit]")
        page.wait_for_selector("text=路灯改造帮扶资金")
        page.wait_for_selector("#gp-month-chart svg")
        assert page.inner_text("[data-total=visits]") == "1"
        assert page.inner_text("[data-total=funds]").replace(",", "") == "80000"
        _shot(page, screenshots, "pairing")
        assert SupportRecord.objects.filter(pairing=pairing, recorded_by=world.town_operator).count() == 2

        # A party member sent down to grid A1a, from the village's page.
        page.goto(f"{base}/governance/pairings/place/{world.village_a1.code}/")
        page.click("[data-new-envoy]")
        page.select_option("select[name=kind]", "party_member")
        page.select_option("select[name=grid]", world.grid_a1a.code)
        page.fill("input[name=name]", "韩建国")
        page.fill("input[name=organisation]", "市水务局")
        page.fill("input[name=role]", "网格党建指导员")
        page.fill("input[name=phone]", "13912345678")
        page.click("main form button[type=submit]")
        page.wait_for_selector("[data-record-activity]")
        envoy = Envoy.objects.get()
        page.click("[data-record-activity]")
        page.select_option("select[name=kind]", "visit")
        page.fill("textarea[name=note]", "入户走访独居老人")
        page.click("main form button[type=submit]")
        page.wait_for_selector("[data-activities]")
        _shot(page, screenshots, "envoy")
        page.goto(f"{base}/governance/pairings/place/{world.village_a1.code}/")
        page.wait_for_selector("[data-envoys]")
        _shot(page, screenshots, "village")
        page.goto(f"{base}/governance/pairings/place/{world.grid_a1a.code}/")
        page.wait_for_selector("[data-grid-envoys]")
        assert "13912345678" in page.inner_text("[data-grid-envoys]")
        _shot(page, screenshots, "grid")

        # The town's figures: this month's visit and funds, per pairing.
        page.goto(f"{base}/governance/pairings/place/{world.town_a.code}/")
        page.click(f"a[href='/governance/figures/?town={world.town_a.code}']")
        page.wait_for_selector("[data-figures-pairings]")
        page.wait_for_selector("#gp-pairing-chart svg")
        row = page.inner_text(f"[data-figures-pairings] tr[data-pairing='{pairing.pk}']")
        assert "市水务局" in row and "80000" in row.replace(",", "")
        assert page.inner_text("[data-figure=visits]") == "1"
        today = timezone.localdate()
        assert f"{today.year}年{today.month}月" in page.inner_text("[data-figures-period]")
        _shot(page, screenshots, "figures")
        page.click(".gp-choose summary")
        _shot(page, screenshots, "figures-choose")
        assert envoy.grid == world.grid_a1a
    finally:
        context.close()


def test_a_resident_finds_no_pairings_in_co_governance(browser, live_server, e2e_world, screenshots):
    world = e2e_world
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    try:
        sign_in(page, live_server.url, world.resident)
        page.goto(f"{live_server.url}/governance/")
        page.wait_for_selector("h1")
        assert page.locator("[data-hub-link=pairings]").count() == 0
        response = page.goto(f"{live_server.url}/governance/pairings/")
        assert response.status == 403
        page.goto(f"{live_server.url}/governance/")
        _shot(page, screenshots, "resident-hub")
    finally:
        context.close()
