"""A volunteer's journey on a phone, in a browser: sign up for an activity, check in and out by scanning
the leader's rotating code, the leader closes the activity and confirms the hours, points appear, the
volunteer books two hours of housekeeping with them, the community publishes its leaderboard and the
volunteer is on it; a rider's accepted lead earns points too.

Saves var/screenshots/volunteer-*.png to be looked at.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from civicgrid.accounts.services import role_assign, user_create
from civicgrid.cases import services as case_services
from civicgrid.cases.models import Case, Category
from civicgrid.cases.seed import load_categories
from civicgrid.cases.tests.conftest import jpeg
from civicgrid.points import services as points_services
from civicgrid.points.models import Account, Entry
from civicgrid.volunteers import services as volunteer_services
from civicgrid.volunteers.models import Activity, HoursRecord, Signup
from civicgrid.volunteers.tests.conftest import make_volunteer
from conftest import PASSWORD
from tests.e2e.test_case_flow import act, confirm
from tests.e2e.test_work_pages import sign_in, small_targets

pytestmark = pytest.mark.e2e

PHONE = {"width": 360, "height": 640}


def _shot(page, screenshots, name: str) -> None:
    page.wait_for_load_state("load")
    page.evaluate("document.fonts.ready.then(() => true)")
    page.screenshot(path=str(screenshots / f"volunteer-{name}.png"), full_page=True)
    wider = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert wider <= 0, f"{name} scrolls sideways by {wider} px"


@pytest.fixture
def journey(e2e_world):
    world = e2e_world
    now = timezone.now()
    with transaction.atomic():
        load_categories(Category)  # a transactional test before this one may have flushed the seed
        points_services.rules_create(
            actor=world.village_cadre,
            community=world.village_a1,
            valid_from=date(2020, 1, 1),
            hourly={"community": 10},
            hourly_default=5,
            per_activity=5,
            report_resident=3,
            report_mobile=8,
        )
        team = volunteer_services.team_create(
            actor=world.village_cadre,
            community=world.village_a1,
            name="巾帼家政服务队",
            service_field="community",
        )
        leader = make_volunteer(world, "leader", "陈队长", "13900000001")
        volunteer_services.team_member_add(
            actor=world.village_cadre, team=team, volunteer=leader, role="leader"
        )
        world.volunteer = make_volunteer(world, "xiaoli", "李小丽", "13900000002")
        volunteer_services.team_member_add(actor=world.village_cadre, team=team, volunteer=world.volunteer)
        world.leader = leader.user
        world.activity = volunteer_services.activity_create(
            actor=leader.user,
            team=team,
            title="社区便民服务日",
            service_field="community",
            starts_at=now + timedelta(hours=1),
            ends_at=now + timedelta(hours=4),
            place_name="甲一村村委会门口",
            lon=120.705,
            lat=31.605,
            capacity=10,
            cancel_cutoff_hours=0,
        )
        housekeeping = points_services.reward_create(
            actor=world.village_cadre,
            community=world.village_a1,
            kind="service",
            name="家政服务 2 小时",
            cost=20,
            providers=[leader.user],
        )
        points_services.slot_add(
            actor=world.village_cadre, reward=housekeeping, starts_at=now + timedelta(days=2), capacity=2
        )
        world.housekeeping = housekeeping
    return world


def _scan(leader_page, volunteer_page, base: str, activity: Activity) -> None:
    """The volunteer's camera opens the link in the code the leader's phone shows now."""
    leader_page.goto(f"{base}/volunteers/activities/{activity.pk}/qr/")
    assert leader_page.locator("img[data-qr-image]").is_visible()
    url = leader_page.evaluate(f"fetch('/volunteers/activities/{activity.pk}/qr.json').then(r => r.json())")[
        "url"
    ]
    volunteer_page.goto(url)


def test_a_volunteer_signs_up_checks_in_and_out_earns_and_redeems(browser, live_server, journey, screenshots):
    world = journey
    base = live_server.url
    activity = world.activity
    phones = []
    for _ in range(3):
        context = browser.new_context(viewport=PHONE, locale="zh-CN", device_scale_factor=1)
        context.set_default_timeout(10_000)
        phones.append(context)
    volunteer_page, leader_page, cadre_page = (c.new_page() for c in phones)
    try:
        # The volunteer finds the activity and signs up.
        sign_in(volunteer_page, base, world.volunteer.user)
        volunteer_page.goto(f"{base}/volunteers/")
        volunteer_page.click(f"a[href='/volunteers/activities/{activity.pk}/']")
        _shot(volunteer_page, screenshots, "activity")
        volunteer_page.click("form[action$='/signup/'] button[type=submit]")
        volunteer_page.wait_for_load_state("load")
        assert "你已报名成功" in volunteer_page.locator(".vol-actions").inner_text()
        assert (
            Signup.objects.get(activity=activity, volunteer=world.volunteer).state == Signup.State.CONFIRMED
        )
        assert small_targets(volunteer_page) == []

        # The day comes: the activity is under way. The leader shows the code; the volunteer scans it.
        Activity.objects.filter(pk=activity.pk).update(
            starts_at=timezone.now() - timedelta(hours=2, minutes=5),
            ends_at=timezone.now() + timedelta(hours=1),
        )
        sign_in(leader_page, base, world.leader)
        _scan(leader_page, volunteer_page, base, activity)
        _shot(leader_page, screenshots, "qr")
        _shot(volunteer_page, screenshots, "scan-in")
        volunteer_page.click("form[data-scan-form] button[type=submit]")
        volunteer_page.wait_for_load_state("load")
        signup = Signup.objects.get(activity=activity, volunteer=world.volunteer)
        assert signup.checked_in_at is not None and signup.checked_out_at is None
        # Two hours of service later (the clock moved by hand), the next code checks the volunteer out.
        Signup.objects.filter(pk=signup.pk).update(checked_in_at=timezone.now() - timedelta(hours=2))
        _scan(leader_page, volunteer_page, base, activity)
        assert "签退" in volunteer_page.locator("form[data-scan-form] button[type=submit]").inner_text()
        volunteer_page.click("form[data-scan-form] button[type=submit]")
        volunteer_page.wait_for_load_state("load")
        _shot(volunteer_page, screenshots, "scan-out")
        assert Signup.objects.get(pk=signup.pk).checked_out_at is not None

        # The activity is over; the leader closes it and confirms the hours.
        Activity.objects.filter(pk=activity.pk).update(ends_at=timezone.now() - timedelta(minutes=1))
        leader_page.goto(f"{base}/volunteers/activities/{activity.pk}/attendance/")
        leader_page.click("form:has(input[name=action][value=close]) button[type=submit]")
        leader_page.wait_for_load_state("load")
        record = HoursRecord.objects.get(volunteer=world.volunteer, activity=activity)
        assert record.status == HoursRecord.Status.PENDING and 115 <= record.minutes <= 125
        leader_page.goto(f"{base}/volunteers/teams/{activity.team_id}/")
        _shot(leader_page, screenshots, "leader-confirms")
        leader_page.click(f"form:has(input[name=record][value='{record.pk}']) button[value=approve]")
        leader_page.wait_for_load_state("load")
        assert HoursRecord.objects.get(pk=record.pk).status == HoursRecord.Status.APPROVED

        # Points appear: 10 an hour of community service and 5 for taking part.
        earned = 10 * round(record.minutes / 60) + 5
        volunteer_page.goto(f"{base}/points/")
        _shot(volunteer_page, screenshots, "points")
        balance = Account.objects.get(user=world.volunteer.user).balance
        assert abs(balance - (record.minutes * 10 // 60 + 5)) <= 1 and abs(balance - earned) <= 2
        assert str(balance) in volunteer_page.locator("main").inner_text()

        # Two hours of housekeeping, booked for a time.
        volunteer_page.goto(f"{base}/points/rewards/")
        volunteer_page.click(f"a[href='/points/rewards/{world.housekeeping.pk}/'] >> nth=0")
        volunteer_page.check("input[name=slot] >> nth=0")
        _shot(volunteer_page, screenshots, "redeem")
        volunteer_page.click("form.points-redeem button[type=submit]")
        volunteer_page.wait_for_load_state("load")
        _shot(volunteer_page, screenshots, "redeemed")
        assert Account.objects.get(user=world.volunteer.user).balance == balance - 20
        assert Entry.objects.filter(user=world.volunteer.user, kind="redeem").count() == 1

        # The community office publishes this month's leaderboard; the volunteer is on it, masked.
        sign_in(cadre_page, base, world.village_cadre)
        cadre_page.goto(f"{base}/points/office/{world.village_a1.pk}/leaderboard/")
        cadre_page.click("form:has(input[name=action][value=publish]) button[type=submit]")
        cadre_page.wait_for_load_state("load")
        _shot(cadre_page, screenshots, "publish")
        volunteer_page.goto(f"{base}/points/leaderboards/")
        volunteer_page.click("a.link-row >> nth=0")
        _shot(volunteer_page, screenshots, "leaderboard")
        board = volunteer_page.locator("main").inner_text()
        assert "李" in board and "李小丽" not in board  # masked as the community chose (surname)
        assert str(balance) in board  # ranked by points earned: the redemption did not lower it
    finally:
        for context in phones:
            context.close()


def test_a_riders_accepted_lead_earns_points(browser, live_server, journey, screenshots):
    world = journey
    with transaction.atomic():
        rider = user_create(username="rider", password=PASSWORD, display_name="赵骑手", phone="13900000009")
        role_assign(user=rider, role="mobile_grid_member", place=world.district)
        case = case_services.case_create(
            reporter=rider,
            source=Case.Source.MOBILE,
            category=Category.objects.get(code="C0201"),
            description="路面有一个大坑，电动车容易摔",
            lon=120.705,
            lat=31.605,
            photos=[jpeg()],
        ).case
    context = browser.new_context(viewport=PHONE, locale="zh-CN", device_scale_factor=1)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        # The grid worker verifies the report on site and accepts it.
        sign_in(page, live_server.url, world.grid_worker)
        page.goto(f"{live_server.url}{case.get_absolute_url()}")
        act(page, "accept", fill={"textarea": "现场核实，坑确实存在。"})
        confirm(page, page.locator('details.action-panel[data-action="accept"]'))
        assert Case.objects.get(pk=case.pk).state != Case.State.REPORTED
        page.context.clear_cookies()
        sign_in(page, live_server.url, rider)
        page.goto(f"{live_server.url}/points/")
        _shot(page, screenshots, "report-points")
        text = page.locator("main").inner_text()
        assert case.tracking_number in text and "+8" in text  # a rider's lead: 8 by the rules
        assert Account.objects.get(user=rider).balance == 8
    finally:
        context.close()
