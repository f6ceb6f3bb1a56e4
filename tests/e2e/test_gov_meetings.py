"""A village cadre records a deliberation meeting (逢五说事) on a phone, in a browser: the village's
calendar, the case waiting at the village put on the agenda, who came, the minutes, a decision that
opens a case (the case exists with its deliberation event) and one that moves the case on; then the
meeting is published and a resident of the village reads its agenda and decisions.

Saves var/screenshots/gov-meetings-*.png to be looked at.
"""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from civicgrid.cases.models import Case, CaseEvent, Category
from civicgrid.cases.seed import load_categories
from civicgrid.governance import services_meetings as services
from civicgrid.governance.models import Decision, Meeting
from civicgrid.governance.tests.meetings_helpers import village_case
from tests.e2e.test_case_flow import persona, small_targets  # noqa: F401

pytestmark = pytest.mark.e2e


def shot(page, screenshots, name: str) -> None:
    page.wait_for_load_state("load")
    page.evaluate("window.scrollTo(0, 0)")
    page.evaluate("document.fonts.ready.then(() => true)")
    page.screenshot(path=str(screenshots / f"gov-meetings-{name}.png"), full_page=True)
    wider = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert wider <= 0, f"{name} scrolls sideways by {wider} px"
    small = small_targets(page)
    assert small == [], f"{name} has controls smaller than 44 px:\n" + "\n".join(small)


@pytest.fixture
def meeting_world(e2e_world):
    world = e2e_world
    with transaction.atomic():
        if not Category.objects.exists():  # a transactional test before this one may have flushed the seed
            load_categories(Category)
        world.case = village_case(world, description="村东头路灯坏了一个月，晚上看不见路")
        services.series_create(
            actor=world.village_cadre,
            place=world.village_a1,
            name="逢五说事",
            rule="days",
            params={"days": [5, 15, 25]},
            on_holiday="next",
            time=time(9, 0),
            venue="村委会二楼会议室",
        )
        world.meeting = services.meeting_create(
            actor=world.village_cadre,
            place=world.village_a1,
            title="逢五说事（专题）",
            starts_at=timezone.now() - timedelta(minutes=30),
            venue="村委会二楼会议室",
        )
    return world


def test_the_cadre_records_a_meeting_and_its_decisions(meeting_world, persona, live_server, screenshots):  # noqa: F811
    world = meeting_world
    m = world.meeting
    with persona(world.village_cadre, next_url="/governance/meetings/") as page:
        page.on("dialog", lambda dialog: dialog.accept())
        # The meetings home takes the cadre to the village's calendar.
        page.wait_for_url(f"**/governance/meetings/place/{world.village_a1.code}/")
        assert page.locator(".gm-row").count() >= 2
        shot(page, screenshots, "calendar")
        with page.expect_navigation():
            page.click(f"a.work-tab[href='?month={timezone.localdate():%Y-%m}']")
        shot(page, screenshots, "month")

        page.goto(f"{live_server.url}/governance/meetings/{m.pk}/")
        # The case waiting at the village goes on the agenda.
        panel = page.locator("details.action-panel", has=page.locator("input[name=kind][value=case]"))
        panel.locator("summary").click()
        panel.locator("select[name='case-case']").select_option(str(world.case.pk))
        with page.expect_navigation():
            panel.locator("button[type=submit]").click()
        page.locator("main .alert-success").wait_for()
        assert world.case.tracking_number in page.locator("#agenda").inner_text()
        # Who came: the cadre on record, a representative by name.
        panel = page.locator("details.action-panel", has=page.locator("form[data-gm=attendance]"))
        panel.locator("summary").click()
        panel.locator("select[name='att-kind']").select_option("cadre")
        panel.locator("select[name='att-user']").select_option(str(world.village_cadre.pk))
        with page.expect_navigation():
            panel.locator("button[type=submit]").click()
        panel = page.locator("details.action-panel", has=page.locator("form[data-gm=attendance]"))
        panel.locator("summary").click()
        panel.locator("select[name='att-kind']").select_option("representative")
        panel.locator("input[name='att-name']").fill("钱代表")
        panel.locator("input[name='att-organisation']").fill("三组")
        with page.expect_navigation():
            panel.locator("button[type=submit]").click()
        assert "钱代表" in page.locator("#attendance").inner_text()
        shot(page, screenshots, "meeting-planned")

        # The minutes.
        page.click("a[data-gm=record]")
        page.fill("textarea[name=minutes]", "一、村东头路灯：村里先行维修。\n二、道路塌陷：报修立案。")
        shot(page, screenshots, "record")
        with page.expect_navigation():
            page.click("main form button[type=submit]")
        page.locator("main .alert-success").wait_for()

        # A decision that opens a case.
        page.click("a[data-gm=decide]")
        page.fill("textarea[name=text]", "村南道路塌陷，报修立案并设置警示")
        page.fill("input[name=owner_name]", "村建设组")
        page.check("input[name=effect][value=open]")
        page.select_option("select[name=category]", "C0201")
        page.select_option("select[name=grid]", str(world.grid_a1b.pk))
        assert page.locator("[data-gm-effect=move]").is_hidden()
        shot(page, screenshots, "decision")
        with page.expect_navigation():
            page.click("main form button[type=submit]")
        page.locator("main .alert-success").wait_for()

        # A decision that moves the case on the agenda to the village's handling.
        page.click("a[data-gm=decide]")
        page.fill("textarea[name=text]", "路灯由村里出资维修，两周内完成")
        page.select_option("select[name=owner_user]", str(world.village_cadre.pk))
        page.check("input[name=effect][value=move]")
        page.select_option("select[name=move]", f"{world.case.pk}:handle_in_village")
        with page.expect_navigation():
            page.click("main form button[type=submit]")
        page.locator("main .alert-success").wait_for()

        with page.expect_navigation():
            page.click("button[data-gm=publish]")
        page.locator("main .alert-success").wait_for()
        shot(page, screenshots, "meeting-held")

    # The case the decision opened exists, filed by the workflow's intake with its deliberation event.
    opened = Decision.objects.get(text="村南道路塌陷，报修立案并设置警示")
    case = opened.case
    assert (case.source, case.reporter_id, case.village_id, case.grid_id, case.state) == (
        Case.Source.DELIBERATION,
        None,
        world.village_a1.pk,
        world.grid_a1b.pk,
        Case.State.REPORTED,
    )
    event = CaseEvent.objects.get(case=case)
    assert (event.action, event.actor_id, event.actor_role, event.data["meeting"]) == (
        "report",
        world.village_cadre.pk,
        "deliberation",
        m.pk,
    )
    moved = Decision.objects.get(text="路灯由村里出资维修，两周内完成")
    assert moved.case_action == "handle_in_village"
    assert Case.objects.get(pk=world.case.pk).state == Case.State.VILLAGE_HANDLING
    assert CaseEvent.objects.filter(
        case=world.case, action="handle_in_village", actor=world.village_cadre
    ).exists()
    meeting = Meeting.objects.get(pk=m.pk)
    assert (meeting.state, meeting.is_published) == (Meeting.State.HELD, True)

    # A resident of the village reads the agenda and decisions, not the minutes nor residents' names.
    with persona(world.resident, next_url=f"/governance/meetings/{m.pk}/") as page:
        page.wait_for_url(f"**/governance/meetings/{m.pk}/")
        body = page.locator("main").inner_text()
        assert "路灯由村里出资维修" in body and "钱代表" in body
        assert "村里先行维修" not in body
        shot(page, screenshots, "resident")
        page.goto(f"{live_server.url}/governance/meetings/decisions/{world.village_a1.code}/")
        shot(page, screenshots, "decisions")
