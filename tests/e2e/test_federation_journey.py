"""A federation cadre's journey in a browser: the network tree (open a branch, search), an
organisation's page, appointing a chairwoman who also serves a village federation (a
cross-appointment), ticking off the set-up checklist with a photo on a phone, the federation above
verifying it, and the coverage dashboard with its drill-down and charts.

Saves var/screenshots/orgs-*.png to be looked at.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.db import transaction
from PIL import Image

from civicgrid.orgs import coverage
from civicgrid.orgs.models import Person, Position, Task
from civicgrid.orgs.tests.conftest import build_net
from tests.e2e.test_work_pages import sign_in, small_targets

pytestmark = pytest.mark.e2e

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


def _shot(page, screenshots, name: str, *, phone: bool = False) -> None:
    page.wait_for_load_state("load")
    page.evaluate("document.fonts.ready.then(() => true)")
    page.screenshot(path=str(screenshots / f"orgs-{name}.png"), full_page=True)
    wider = page.evaluate(
        "document.querySelector('main').scrollWidth - document.querySelector('main').clientWidth"
    )
    assert wider <= 0, f"{name} scrolls sideways by {wider} px"
    if phone:
        # A file input is drawn by its label (the big "add photos" button), not itself.
        small = [s for s in small_targets(page) if "photo-picker__input" not in s]
        assert small == [], f"{name} has controls smaller than 44 px:\n" + "\n".join(small)


@pytest.fixture
def network(e2e_world, tmp_path):
    with transaction.atomic():
        net = build_net(e2e_world)
        root = e2e_world.superuser
        for n, (name, covered) in enumerate(
            [("巾帼志愿者协会", True), ("家庭教育促进会", True), ("女企业家协会", False)]
        ):
            target = coverage.target_create(
                actor=root,
                name=name,
                category="social_org",
                region=e2e_world.village_a1,
                active_from=date(2024, 1, 1),
            )
            if covered:
                coverage.link_create(
                    actor=root,
                    target=target,
                    organisation=net.village_a1_fed,
                    mode="fallback",
                    kind="org",
                    valid_from=date(2025, 1, 1),
                )
            if n == 0:
                coverage.target_create(
                    actor=root,
                    name="乙街道商圈",
                    category="business_district",
                    region=e2e_world.village_b1,
                    active_from=date(2024, 1, 1),
                )
    photo = tmp_path / "kickoff.jpg"
    Image.new("RGB", (640, 480), (200, 60, 60)).save(photo, "JPEG")
    net.photo = photo
    return net


def test_a_cadre_walks_the_network_ticks_off_the_checklist_and_reads_coverage(
    browser, live_server, network, screenshots
):
    net = network
    base = live_server.url
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    try:
        sign_in(page, base, net.cadre)
        # The tree, from the navigation: the district federation open, a branch opened by htmx.
        page.goto(f"{base}/orgs/")
        assert page.locator(".org-node__name", has_text="海棠市妇联").count() == 1
        assert page.locator("text=另区妇联").count() == 0
        page.locator("summary", has=page.locator("a.org-node__name", has_text="甲镇妇联")).click(
            position={"x": 8, "y": 20}
        )
        page.wait_for_selector("text=甲一村妇联")
        _shot(page, screenshots, "tree-phone", phone=True)
        # Search: the match with its chain.
        page.fill("input[name=q]", "甲一")
        page.press("input[name=q]", "Enter")
        page.wait_for_selector(".org-results")
        assert "甲镇妇联 › 甲一村妇联" in page.inner_text(".org-results")
        page.click(".org-results a >> text=甲一村妇联")
        page.wait_for_selector("h1:has-text('甲一村妇联')")
        village_url = page.url

        # The enterprise federation: appoint a chairwoman who is new to the record.
        page.goto(f"{base}/orgs/{net.enterprise_fed.pk}/")
        page.click("text=任命职务")
        page.fill("input[name=name]", "何领头")
        page.fill("input[name=phone]", "13700001111")
        page.fill("input[name=id_number]", "11010519491231002X")
        page.select_option("select[name=role]", "chair")
        page.click("main form.org-form button[type=submit]")
        page.wait_for_selector("text=已任命 何领头")
        # …and the same person, from the record, as an executive member of the village federation.
        page.goto(
            village_url.replace(f"/orgs/{net.village_a1_fed.pk}/", f"/orgs/{net.village_a1_fed.pk}/appoint/")
        )
        person = Person.objects.get(name="何领头")
        page.select_option("select[name=person]", str(person.pk))
        page.select_option("select[name=role]", "executive")
        page.click("main form.org-form button[type=submit]")
        page.wait_for_selector("text=已任命 何领头")
        assert "海棠科技妇联 · 主席" in page.inner_text(".org-posts")
        assert Position.objects.filter(person=person).count() == 2

        # The checklist on the enterprise federation's page: mark the kick-off meeting done with a photo.
        page.goto(f"{base}/orgs/{net.enterprise_fed.pk}/")
        _shot(page, screenshots, "organisation-phone", phone=True)
        first = page.locator("#checklist li.link-row").first
        first.locator("summary:has-text('标记完成')").click()
        first.locator("textarea[name=note]").fill("3月8日召开成立大会")
        first.locator("input[data-photo-store]").set_input_files(str(net.photo))
        first.locator("button[type=submit]:has-text('保存')").click()
        page.wait_for_selector("#checklist li.link-row[data-status=done]")
        _shot(page, screenshots, "checklist-done-phone", phone=True)
        task = Task.objects.filter(organisation=net.enterprise_fed, status="done").get()
        assert task.evidence.count() == 1 and task.done_by == net.cadre
    finally:
        context.close()

    # The city federation's chair, who manages the federation above it, verifies it.
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    try:
        sign_in(page, base, net.city_cadre)
        page.goto(f"{base}/orgs/{net.enterprise_fed.pk}/")
        page.click("#checklist li.link-row[data-status=done] button:has-text('核验通过')")
        page.wait_for_selector("#checklist li.link-row[data-status=verified]")
        _shot(page, screenshots, "organisation-desktop")
        task.refresh_from_db()
        assert task.status == "verified" and task.verified_by == net.city_cadre
    finally:
        context.close()

    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    try:
        sign_in(page, base, net.cadre)
        page.goto(f"{base}/orgs/coverage/")
        page.wait_for_selector("#coverage-panel")
        page.wait_for_selector("#cov-region-chart svg")
        assert "另区" not in page.inner_text("#coverage-panel")
        page.click("#coverage-panel a:has-text('甲镇')")
        page.wait_for_selector("#coverage-panel a:has-text('甲一村')")
        page.wait_for_selector("#cov-region-chart svg")
        _shot(page, screenshots, "coverage-desktop")
        assert "66.7" in page.inner_text("#coverage-panel")
        page.click(".org-tabs a:has-text('组建清单')")
        page.wait_for_selector("h1:has-text('组建清单')")
        _shot(page, screenshots, "checklists-desktop")
        page.click(".org-tabs a:has-text('建设目标')")
        page.wait_for_selector("h1:has-text('建设目标')")
        _shot(page, screenshots, "structure-desktop")
    finally:
        context.close()
