"""The services of deliberation meetings: series and their schedule, the agenda, attendance, the
record, and decisions — the ones that open a case or move one on go through the case workflow, whose
events are checked here, and a refused step writes nothing."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from django.utils import timezone

from civicgrid.cases import services as case_services
from civicgrid.cases.models import Case, CaseEvent, Holiday
from civicgrid.core.errors import ApplicationError, Conflict, PermissionDenied
from civicgrid.core.models import AuditEntry
from civicgrid.governance import services_meetings as services
from civicgrid.governance.models import AgendaItem, Attendance, Decision, ForumTopic, Meeting, MeetingSeries
from civicgrid.governance.tests.meetings_helpers import meeting, meetings_world, topic, village_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def mw(gw):
    return meetings_world(gw)


D = date


def local_days(qs) -> list[date]:
    return [timezone.localtime(m.starts_at).date() for m in qs.order_by("starts_at")]


def series(world, **kw) -> MeetingSeries:
    values = {
        "name": "逢五说事",
        "rule": "days",
        "params": {"days": [5, 15, 25]},
        "on_holiday": "next",
        "time": time(9, 0),
        "venue": "村委会",
    }
    values.update(kw)
    return services.series_create(actor=world.village_cadre, place=world.village_a1, **values)


# --- Series and the schedule -------------------------------------------------------------------------


def test_a_series_plans_its_coming_meetings_at_its_time(mw):
    s = series(mw)
    planned = Meeting.objects.filter(series=s)
    assert planned.exists()
    today = timezone.localdate()
    for m in planned:
        start = timezone.localtime(m.starts_at)
        assert start.time() == time(9, 0)
        assert today <= start.date() <= today + timedelta(days=60)
        assert (m.place, m.village, m.town, m.title, m.venue) == (
            mw.village_a1,
            mw.village_a1,
            mw.town_a,
            "逢五说事",
            "村委会",
        )
    assert AuditEntry.objects.filter(action="governance.series_create", target_id=str(s.pk)).exists()


def test_the_daily_schedule_makes_each_meeting_once(mw):
    s = series(mw, params={"days": [2, 15]})
    run = services.meetings_schedule_all(today=D(2030, 2, 1), days=27)
    # 2 Feb 2030 is a Saturday: the meeting moves to Monday 4 Feb; Friday 15 stays.
    assert local_days(Meeting.objects.filter(series=s, starts_at__year=2030)) == [
        D(2030, 2, 4),
        D(2030, 2, 15),
    ]
    assert run.created >= 2
    again = services.meetings_schedule_all(today=D(2030, 2, 1), days=27)
    assert again.created == 0
    assert Meeting.objects.filter(series=s, starts_at__year=2030).count() == 2


def test_the_schedule_follows_the_holiday_table(mw):
    Holiday.objects.create(date=D(2030, 2, 4), name="春节")
    Holiday.objects.create(date=D(2030, 2, 2), is_workday=True, name="调休")
    s = series(mw, params={"days": [2, 15]})
    services.meetings_schedule_all(today=D(2030, 2, 1), days=27)
    # Saturday 2 Feb is a make-up working day this time.
    assert local_days(Meeting.objects.filter(series=s, starts_at__year=2030)) == [
        D(2030, 2, 2),
        D(2030, 2, 15),
    ]


def test_a_cancelled_meeting_is_not_planned_again(mw):
    s = series(mw, params={"days": [15]})
    services.meetings_schedule_all(today=D(2030, 2, 1), days=27)
    m = Meeting.objects.get(series=s, starts_at__year=2030)
    services.meeting_cancel(actor=mw.village_cadre, meeting=m, reason="与防汛检查冲突")
    services.meetings_schedule_all(today=D(2030, 2, 1), days=27)
    assert list(Meeting.objects.filter(series=s, starts_at__year=2030).values_list("state", flat=True)) == [
        "cancelled"
    ]


def test_changing_a_series_drops_only_its_empty_planned_meetings(mw):
    s = series(mw, params={"days": [5, 15, 25]})
    planned = list(Meeting.objects.filter(series=s).order_by("starts_at"))
    assert len(planned) >= 3
    busy = planned[0]
    services.agenda_add_item(actor=mw.village_cadre, meeting=busy, title="垃圾分类积分")
    services.series_update(actor=mw.village_cadre, series=s, params={"days": [10]})
    left = Meeting.objects.filter(series=s)
    assert busy in left
    assert {timezone.localtime(m.starts_at).day for m in left if m != busy} <= {10, 11, 12, 13}
    assert AuditEntry.objects.filter(action="governance.series_update").exists()


def test_a_paused_series_plans_nothing_and_drops_its_empty_meetings(mw):
    s = series(mw)
    services.series_update(actor=mw.village_cadre, series=s, is_active=False)
    assert not Meeting.objects.filter(series=s).exists()
    assert services.meetings_schedule(series=s, until=timezone.localdate() + timedelta(days=60)) == 0


def test_it_refuses_a_series_with_a_broken_rule_and_writes_nothing(mw):
    with pytest.raises(ApplicationError) as refused:
        series(mw, params={"days": [0, 40]}, on_holiday="sometimes", name="")
    assert set(refused.value.extra["fields"]) >= {"days", "on_holiday", "name"}
    assert not MeetingSeries.objects.exists()


@pytest.mark.parametrize("who", ["outsider", "resident", "resident_b", "agency_staff"])
def test_only_managers_set_up_meetings(mw, who):
    with pytest.raises(PermissionDenied):
        services.series_create(
            actor=getattr(mw, who),
            place=mw.village_a1,
            name="x",
            rule="weekly",
            params={"weekday": 1},
            time=time(9),
        )
    with pytest.raises(PermissionDenied):
        services.meeting_create(
            actor=getattr(mw, who), place=mw.village_a1, title="x", starts_at=timezone.now()
        )
    assert not MeetingSeries.objects.exists()


def test_grid_staff_manage_their_grids_meetings_not_the_villages(mw):
    services.meeting_create(
        actor=mw.grid_worker, place=mw.grid_a1a, title="网格议事", starts_at=timezone.now()
    )
    with pytest.raises(PermissionDenied):
        services.meeting_create(
            actor=mw.grid_worker, place=mw.village_a1, title="x", starts_at=timezone.now()
        )


def test_meetings_are_held_by_villages_and_grids_only(mw):
    with pytest.raises(ApplicationError) as refused:
        services.meeting_create(actor=mw.town_operator, place=mw.town_a, title="x", starts_at=timezone.now())
    assert "place" in refused.value.extra["fields"]


# --- The agenda ----------------------------------------------------------------------------------


def test_a_case_waiting_at_the_village_goes_on_the_agenda(mw):
    case = village_case(mw)
    item = services.agenda_add_case(actor=mw.village_cadre, meeting=mw.meeting, case=case)
    assert (item.source, item.case, item.title, item.order) == ("case", case, case.category.name, 0)
    with pytest.raises(Conflict):
        services.agenda_add_case(actor=mw.village_cadre, meeting=mw.meeting, case=case)


def test_a_case_not_at_the_village_stays_off_the_agenda(mw):
    case = village_case(mw)
    case = case_services.case_act(case=case, action="handle_in_village", actor=mw.village_cadre)
    with pytest.raises(ApplicationError) as refused:
        services.agenda_add_case(actor=mw.village_cadre, meeting=mw.meeting, case=case)
    assert "case" in refused.value.extra["fields"]


def test_a_case_of_another_village_stays_off_the_agenda(mw):
    other = village_case(mw)
    b_meeting = services.meeting_create(
        actor=mw.cadre_b, place=mw.village_b1, title="x", starts_at=timezone.now()
    )
    with pytest.raises(ApplicationError):
        services.agenda_add_case(actor=mw.cadre_b, meeting=b_meeting, case=other)


def test_a_topic_on_the_agenda_is_marked_and_freed_when_taken_off(mw):
    t = topic(mw)
    item = services.agenda_add_topic(actor=mw.village_cadre, meeting=mw.meeting, topic=t)
    assert item.title == "村口停车难"
    t.refresh_from_db()
    assert t.state == ForumTopic.State.ON_AGENDA
    services.agenda_remove(actor=mw.village_cadre, item=item)
    t.refresh_from_db()
    assert t.state == ForumTopic.State.OPEN


def test_a_hidden_topic_or_one_of_another_village_stays_off(mw):
    for t in (topic(mw, state=ForumTopic.State.HIDDEN), topic(mw, grid=mw.grid_b1a)):
        with pytest.raises(ApplicationError):
            services.agenda_add_topic(actor=mw.village_cadre, meeting=mw.meeting, topic=t)


def test_the_agenda_is_reordered_and_checked(mw):
    a = services.agenda_add_item(actor=mw.village_cadre, meeting=mw.meeting, title="一")
    b = services.agenda_add_item(actor=mw.village_cadre, meeting=mw.meeting, title="二")
    c = services.agenda_add_item(actor=mw.village_cadre, meeting=mw.meeting, title="三")
    services.agenda_reorder(actor=mw.village_cadre, meeting=mw.meeting, item_ids=[c.pk, a.pk, b.pk])
    assert list(AgendaItem.objects.filter(meeting=mw.meeting).values_list("title", flat=True)) == [
        "三",
        "一",
        "二",
    ]
    services.agenda_move(actor=mw.village_cadre, item=AgendaItem.objects.get(pk=b.pk), step=-1)
    assert list(AgendaItem.objects.filter(meeting=mw.meeting).values_list("title", flat=True)) == [
        "三",
        "二",
        "一",
    ]
    for ids in ([a.pk, b.pk], [a.pk, a.pk, b.pk], [a.pk, b.pk, c.pk, 999]):
        with pytest.raises(ApplicationError):
            services.agenda_reorder(actor=mw.village_cadre, meeting=mw.meeting, item_ids=ids)


def test_an_item_with_decisions_stays_on_the_agenda(mw):
    item = services.agenda_add_item(actor=mw.village_cadre, meeting=mw.meeting, title="修路")
    services.decision_create(
        actor=mw.village_cadre,
        meeting=mw.meeting,
        text="下周修好",
        due_on=timezone.localdate() + timedelta(days=7),
        owner=services.Owner(name="村建设组"),
        agenda_item=item,
    )
    with pytest.raises(Conflict):
        services.agenda_remove(actor=mw.village_cadre, item=item)


def test_nothing_is_added_to_a_cancelled_meeting(mw):
    services.meeting_cancel(actor=mw.village_cadre, meeting=mw.meeting)
    mw.meeting.refresh_from_db()
    with pytest.raises(Conflict):
        services.agenda_add_item(actor=mw.village_cadre, meeting=mw.meeting, title="x")
    with pytest.raises(Conflict):
        services.attendance_add(actor=mw.village_cadre, meeting=mw.meeting, kind="resident", name="张三")


# --- Attendance ----------------------------------------------------------------------------------


def test_attendance_takes_a_person_an_agency_or_a_typed_name(mw):
    a = services.attendance_add(
        actor=mw.village_cadre, meeting=mw.meeting, kind="cadre", user=mw.village_cadre
    )
    b = services.attendance_add(actor=mw.village_cadre, meeting=mw.meeting, kind="agency", agency=mw.agency)
    c = services.attendance_add(
        actor=mw.village_cadre, meeting=mw.meeting, kind="representative", name="钱代表", organisation="三组"
    )
    assert (a.name, b.name, b.organisation, c.name) == ("赵村干", "市水务局", "市水务局", "钱代表")


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({}, "name"),
        ({"name": "张三", "user": "representative"}, "name"),
        ({"user": "outsider"}, "user"),
        ({"kind": "mayor", "name": "张三"}, "kind"),
    ],
)
def test_attendance_is_checked(mw, given, field):
    values = {"kind": "resident", **given}
    if "user" in values:
        values["user"] = getattr(mw, values["user"])
    with pytest.raises(ApplicationError) as refused:
        services.attendance_add(actor=mw.village_cadre, meeting=mw.meeting, **values)
    assert field in refused.value.extra["fields"]
    assert not Attendance.objects.exists()


# --- The record ------------------------------------------------------------------------------------


def test_recording_a_meeting_is_compare_and_set(mw):
    read = Meeting.objects.get(pk=mw.meeting.pk)
    held = services.meeting_record(
        actor=mw.village_cadre, meeting=read, minutes="议定三件事", version=read.version
    )
    assert (held.state, held.minutes, held.recorded_by, held.version) == (
        "held",
        "议定三件事",
        mw.village_cadre,
        1,
    )
    assert held.held_at is not None
    # A second writer with the form read before the first saved is refused.
    with pytest.raises(Conflict):
        services.meeting_record(
            actor=mw.village_cadre, meeting=read, minutes="另一份纪要", version=read.version
        )
    assert Meeting.objects.get(pk=read.pk).minutes == "议定三件事"
    # The minutes of a held meeting are corrected with its current version.
    fixed = services.meeting_record(
        actor=mw.village_cadre, meeting=held, minutes="议定四件事", version=held.version
    )
    assert (fixed.minutes, fixed.version) == ("议定四件事", 2)


def test_a_record_needs_minutes_and_no_future_time(mw):
    with pytest.raises(ApplicationError) as refused:
        services.meeting_record(
            actor=mw.village_cadre,
            meeting=mw.meeting,
            minutes=" ",
            held_at=timezone.now() + timedelta(days=1),
        )
    assert set(refused.value.extra["fields"]) == {"minutes", "held_at"}


def test_a_held_meeting_is_not_cancelled_and_a_cancelled_one_not_recorded(mw):
    other = meeting(mw, days=3)
    services.meeting_record(actor=mw.village_cadre, meeting=mw.meeting, minutes="纪要")
    mw.meeting.refresh_from_db()
    with pytest.raises(Conflict):
        services.meeting_cancel(actor=mw.village_cadre, meeting=mw.meeting)
    cancelled = services.meeting_cancel(actor=mw.village_cadre, meeting=other)
    with pytest.raises(Conflict):
        services.meeting_record(actor=mw.village_cadre, meeting=cancelled, minutes="纪要")
    with pytest.raises(Conflict):
        services.meeting_publish(actor=mw.village_cadre, meeting=cancelled)


def test_publishing_shows_a_meeting_to_residents_and_is_audited(mw):
    m = services.meeting_publish(actor=mw.village_cadre, meeting=mw.meeting)
    assert m.is_published
    assert services.meeting_publish(actor=mw.village_cadre, meeting=m) is m  # already: nothing to do
    m = services.meeting_publish(actor=mw.village_cadre, meeting=m, published=False)
    assert not m.is_published
    assert (
        AuditEntry.objects.filter(
            action__in=["governance.meeting_publish", "governance.meeting_unpublish"]
        ).count()
        == 2
    )


# --- Decisions -----------------------------------------------------------------------------------


def due(days: int = 10) -> date:
    return timezone.localdate() + timedelta(days=days)


def test_a_decision_has_one_owner_and_a_due_day_not_before_the_meeting(mw):
    d = services.decision_create(
        actor=mw.village_cadre,
        meeting=mw.meeting,
        text="清理河道",
        due_on=due(),
        owner=services.Owner(user=mw.grid_worker),
    )
    assert (d.owner_user, d.town, d.village, d.state) == (mw.grid_worker, mw.town_a, mw.village_a1, "open")
    for owner, day, field in [
        (services.Owner(), due(), "owner"),
        (services.Owner(user=mw.grid_worker, name="村建设组"), due(), "owner"),
        (services.Owner(user=mw.outsider), due(), "owner_user"),
        (services.Owner(name="村建设组"), due(-3), "due_on"),
        (services.Owner(name="村建设组"), None, "due_on"),
    ]:
        with pytest.raises(ApplicationError) as refused:
            services.decision_create(
                actor=mw.village_cadre, meeting=mw.meeting, text="x", due_on=day, owner=owner
            )
        assert field in refused.value.extra["fields"]
    assert Decision.objects.count() == 1


def test_a_decision_that_opens_a_case_files_it_through_intake(mw):
    before = Case.objects.count()
    d = services.decision_open_case(
        actor=mw.village_cadre,
        meeting=mw.meeting,
        text="村东头桥面破损，报修并设置警示",
        due_on=due(),
        owner=services.Owner(name="村建设组"),
        category="C0201",
        grid=mw.grid_a1b,
    )
    assert Case.objects.count() == before + 1
    case = d.case
    assert d.case_action == ""
    assert (case.source, case.reporter, case.village, case.grid, case.state) == (
        "deliberation",
        None,
        mw.village_a1,
        mw.grid_a1b,
        "reported",
    )
    assert case.description == "村东头桥面破损，报修并设置警示"
    event = CaseEvent.objects.get(case=case)
    assert (event.action, event.actor, event.actor_role, event.to_state) == (
        "report",
        mw.village_cadre,
        "deliberation",
        "reported",
    )
    assert event.data["meeting"] == mw.meeting.pk


def test_a_case_opened_at_the_villages_centre_stays_in_the_village(mw):
    d = services.decision_open_case(
        actor=mw.village_cadre,
        meeting=mw.meeting,
        text="公共厕所缺水",
        due_on=due(),
        owner=services.Owner(name="村委"),
        category="C0201",
    )
    assert d.case.village == mw.village_a1


def test_a_decision_may_open_a_case_at_a_point_inside_the_village_only(mw):
    with pytest.raises(ApplicationError) as refused:
        services.decision_open_case(
            actor=mw.village_cadre,
            meeting=mw.meeting,
            text="x",
            due_on=due(),
            owner=services.Owner(name="村委"),
            category="C0201",
            lon=120.805,
            lat=31.605,
        )
    assert "lon" in refused.value.extra["fields"]
    d = services.decision_open_case(
        actor=mw.village_cadre,
        meeting=mw.meeting,
        text="x",
        due_on=due(),
        owner=services.Owner(name="村委"),
        category="C0201",
        lon=120.715,
        lat=31.605,
    )
    assert d.case.grid == mw.grid_a1b


def test_a_case_intake_refuses_leaves_no_decision(mw):
    cases, events = Case.objects.count(), CaseEvent.objects.count()
    with pytest.raises(ApplicationError) as refused:
        services.decision_open_case(
            actor=mw.village_cadre,
            meeting=mw.meeting,
            text="x",
            due_on=due(),
            owner=services.Owner(name="村委"),
            category="NOPE",
        )
    assert "category" in refused.value.extra["fields"]
    assert (Case.objects.count(), CaseEvent.objects.count(), Decision.objects.count()) == (cases, events, 0)


def test_a_decision_that_moves_a_case_on_takes_the_workflow_step(mw):
    case = village_case(mw)
    services.agenda_add_case(actor=mw.village_cadre, meeting=mw.meeting, case=case)
    d = services.decision_move_case(
        actor=mw.village_cadre,
        meeting=mw.meeting,
        text="由村里牵头维修，两周内完成",
        due_on=due(14),
        owner=services.Owner(user=mw.village_cadre),
        case=case,
        action="handle_in_village",
    )
    case.refresh_from_db()
    assert case.state == Case.State.VILLAGE_HANDLING
    assert (d.case, d.case_action) == (case, "handle_in_village")
    event = CaseEvent.objects.filter(case=case).latest("id")
    assert (event.action, event.actor, event.actor_role, event.from_state, event.to_state, event.note) == (
        "handle_in_village",
        mw.village_cadre,
        "village",
        "village",
        "village_handling",
        "由村里牵头维修，两周内完成",
    )


def test_a_decision_escalates_a_case_to_the_town(mw):
    case = village_case(mw)
    services.agenda_add_case(actor=mw.village_cadre, meeting=mw.meeting, case=case)
    services.decision_move_case(
        actor=mw.village_cadre,
        meeting=mw.meeting,
        text="村里无力解决，报镇协调水务局",
        due_on=due(),
        owner=services.Owner(name="镇指挥中心"),
        case=case,
        action="escalate_to_town",
    )
    case.refresh_from_db()
    assert case.state == Case.State.TOWN
    assert CaseEvent.objects.filter(
        case=case, action="escalate_to_town", note="村里无力解决，报镇协调水务局"
    ).exists()


def _refused_move(mw, case, action, error):
    events = list(CaseEvent.objects.filter(case_id=case.pk).values_list("pk", flat=True))
    with pytest.raises(error):
        services.decision_move_case(
            actor=mw.village_cadre,
            meeting=mw.meeting,
            text="决定",
            due_on=due(),
            owner=services.Owner(name="村委"),
            case=case,
            action=action,
        )
    assert list(CaseEvent.objects.filter(case_id=case.pk).values_list("pk", flat=True)) == events
    assert not Decision.objects.exists()


def test_a_move_the_workflow_refuses_writes_nothing(mw):
    case = village_case(mw)
    services.agenda_add_case(actor=mw.village_cadre, meeting=mw.meeting, case=case)
    stale = Case.objects.get(pk=case.pk)
    # Someone escalates the case meanwhile: the decision's step finds it moved and nothing is written.
    case_services.case_act(case=case, action="escalate_to_town", actor=mw.village_cadre, note="先报镇里")
    _refused_move(mw, stale, "handle_in_village", Conflict)
    assert Case.objects.get(pk=case.pk).state == Case.State.TOWN


def test_a_step_not_open_to_the_cadre_writes_nothing(mw):
    case = village_case(mw)
    services.agenda_add_case(actor=mw.village_cadre, meeting=mw.meeting, case=case)
    _refused_move(mw, case, "dispatch", ApplicationError)
    _refused_move(mw, case, "comment", ApplicationError)
    assert Case.objects.get(pk=case.pk).state == Case.State.VILLAGE


def test_a_case_off_the_agenda_is_not_moved(mw):
    case = village_case(mw)
    _refused_move(mw, case, "handle_in_village", ApplicationError)


def test_a_decision_is_marked_once(mw):
    d = services.decision_create(
        actor=mw.village_cadre,
        meeting=mw.meeting,
        text="x",
        due_on=due(),
        owner=services.Owner(user=mw.grid_worker),
    )
    with pytest.raises(ApplicationError) as refused:
        services.decision_mark(actor=mw.village_cadre, decision=d, state="dropped")
    assert "note" in refused.value.extra["fields"]
    # Its owner marks it done.
    done = services.decision_mark(actor=mw.grid_worker, decision=d, state="done", note="已完成")
    assert (done.state, done.done_note) == ("done", "已完成")
    assert done.done_at is not None
    with pytest.raises(Conflict):
        services.decision_mark(actor=mw.village_cadre, decision=d, state="dropped", note="x")


@pytest.mark.parametrize("who", ["outsider", "resident", "cadre_b"])
def test_others_may_not_decide_or_mark(mw, who):
    d = services.decision_create(
        actor=mw.village_cadre, meeting=mw.meeting, text="x", due_on=due(), owner=services.Owner(name="村委")
    )
    with pytest.raises(PermissionDenied):
        services.decision_mark(actor=getattr(mw, who), decision=d, state="done")
    with pytest.raises(PermissionDenied):
        services.decision_create(
            actor=getattr(mw, who),
            meeting=mw.meeting,
            text="x",
            due_on=due(),
            owner=services.Owner(name="村委"),
        )
    assert Decision.objects.get(pk=d.pk).state == "open"


def test_a_meeting_in_the_past_takes_decisions_due_after_it(mw):
    past = meeting(mw, days=-20)
    d = services.decision_create(
        actor=mw.village_cadre,
        meeting=past,
        text="x",
        due_on=timezone.localdate(past.starts_at),
        owner=services.Owner(name="村委"),
    )
    assert d.due_on == timezone.localdate(past.starts_at)
