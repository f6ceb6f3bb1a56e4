"""The meeting pages: what each viewer gets (managers everything, the village's residents the
published agenda and decisions without minutes, notes or residents' names, outsiders nothing), the
forms' round trips, and the query counts of the calendar and the meeting page."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from civicgrid.cases.models import Case, CaseEvent
from civicgrid.governance import services_meetings as services
from civicgrid.governance.models import AgendaItem, Attendance, Decision, Meeting
from civicgrid.governance.tests.meetings_helpers import meeting, meetings_world, topic, village_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def mw(gw):
    return meetings_world(gw)


def url(name: str, *args) -> str:
    return reverse(f"governance:{name}", args=args)


def due(days: int = 10):
    return timezone.localdate() + timedelta(days=days)


@pytest.fixture
def full(mw):
    """The meeting held and published, with a case, a topic and a cadre's item on its agenda, people
    who came, minutes and decisions."""
    world = mw
    m = world.meeting
    world.case = village_case(world)
    services.agenda_add_case(
        actor=world.village_cadre, meeting=m, case=world.case, note="内部：当事人情绪激动"
    )
    services.agenda_add_topic(actor=world.village_cadre, meeting=m, topic=topic(world))
    services.agenda_add_item(actor=world.village_cadre, meeting=m, title="秋收防火")
    services.attendance_add(actor=world.village_cadre, meeting=m, kind="cadre", user=world.village_cadre)
    services.attendance_add(actor=world.village_cadre, meeting=m, kind="representative", name="钱代表")
    services.attendance_add(actor=world.village_cadre, meeting=m, kind="resident", name="李四居民")
    services.attendance_add(actor=world.village_cadre, meeting=m, kind="agency", agency=world.agency, name="")
    services.meeting_record(actor=world.village_cadre, meeting=m, minutes="纪要：三件事议定")
    m.refresh_from_db()
    services.decision_create(
        actor=world.village_cadre,
        meeting=m,
        text="组织志愿者巡查",
        due_on=due(),
        owner=services.Owner(name="村妇联"),
    )
    world.meeting = services.meeting_publish(actor=world.village_cadre, meeting=m)
    return world


# --- Access ---------------------------------------------------------------------------------------


def _pages(world):
    m = world.meeting
    code = world.village_a1.code
    d = Decision.objects.filter(meeting=m).first()
    pages = [
        url("meetings_calendar", code),
        url("meetings_calendar", code) + "?month=2026-05",
        url("meetings_new", code),
        url("meetings_series", code),
        url("meetings_series_new", code),
        url("meetings_decisions", code),
        url("meetings_decisions", world.town_a.code),
        url("meetings_detail", m.pk),
        url("meetings_record", m.pk),
        url("meetings_decision_new", m.pk),
    ]
    if d is not None:
        pages.append(url("meetings_decision_mark", d.pk))
    return pages


def _posts(world):
    m = world.meeting
    item = AgendaItem.objects.filter(meeting=m).first()
    row = Attendance.objects.filter(meeting=m).first()
    posts = [
        (url("meetings_new", world.village_a1.code), {"title": "x", "day": "2030-01-01", "time": "09:00"}),
        (
            url("meetings_series_new", world.village_a1.code),
            {"name": "x", "rule": "weekly", "weekday": "1", "time": "09:00", "on_holiday": "keep"},
        ),
        (url("meetings_agenda_add", m.pk), {"kind": "item", "item-title": "x"}),
        (
            url("meetings_attendance_add", m.pk),
            {"att-kind": "resident", "att-name": "x", "att-present": "on"},
        ),
        (url("meetings_record", m.pk), {"minutes": "x", "version": m.version}),
        (url("meetings_cancel", m.pk), {"cancel-version": m.version}),
        (url("meetings_publish", m.pk), {"publish": "0"}),
        (
            url("meetings_decision_new", m.pk),
            {"text": "x", "due_on": str(due()), "owner_name": "x", "effect": "none"},
        ),
    ]
    if item is not None:
        posts.append((url("meetings_agenda_item", m.pk, item.pk), {"op": "remove"}))
    if row is not None:
        posts.append((url("meetings_attendance_remove", m.pk, row.pk), {}))
    d = Decision.objects.filter(meeting=m).first()
    if d is not None:
        posts.append((url("meetings_decision_mark", d.pk), {"state": "done"}))
    return posts


def _snapshot():
    return (
        list(Meeting.objects.order_by("pk").values_list("pk", "state", "version", "is_published", "minutes")),
        AgendaItem.objects.count(),
        Attendance.objects.count(),
        list(Decision.objects.values_list("pk", "state")),
        Case.objects.count(),
    )


@pytest.mark.parametrize("who", ["outsider", "resident_b", "cadre_b"])
def test_it_denies_outsiders_every_page_and_change(full, login, who):
    client = login(getattr(full, who))
    for page in _pages(full):
        assert client.get(page).status_code in (403, 404), page
    before = _snapshot()
    for page, data in _posts(full):
        assert client.post(page, data).status_code in (403, 404), page
    assert _snapshot() == before


def test_an_agency_of_the_region_reads_published_meetings_and_changes_nothing(full, login):
    """`access.lives_in` counts an agency's region as its staff's place: they read what the village's
    residents read."""
    client = login(full.agency_staff)
    body = client.get(url("meetings_detail", full.meeting.pk)).content.decode()
    assert "组织志愿者巡查" in body and "纪要：三件事议定" not in body
    before = _snapshot()
    for page, data in _posts(full):
        assert client.post(page, data).status_code in (403, 404), page
    assert _snapshot() == before


def test_it_sends_strangers_to_sign_in(full, client):
    for page in _pages(full):
        response = client.get(page)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], page


def test_a_resident_reads_the_published_agenda_and_decisions_only(full, login):
    client = login(full.resident)
    body = client.get(url("meetings_detail", full.meeting.pk)).content.decode()
    for shown in ("秋收防火", "村口停车难", "组织志愿者巡查", "村妇联", "赵村干", "钱代表", "市水务局"):
        assert shown in body
    for hidden in ("纪要：三件事议定", "当事人情绪激动", "李四居民", "13800000003"):
        assert hidden not in body
    assert "Resident: 1 person" in body
    assert "Record a decision" not in body and "Add who came" not in body


def test_a_resident_sees_a_public_cases_number_linked_to_its_status_page(full, login):
    body = login(full.resident).get(url("meetings_detail", full.meeting.pk)).content.decode()
    assert reverse("cases:public_status_number", args=[full.case.tracking_number]) in body


def test_a_resident_sees_only_published_meetings(full, login):
    hidden = meeting(full, days=5, title="未公开的会")
    client = login(full.resident)
    assert client.get(url("meetings_detail", hidden.pk)).status_code == 404
    body = client.get(url("meetings_calendar", full.village_a1.code)).content.decode()
    assert "逢五说事" in body and "未公开的会" not in body
    # The managers see it.
    assert (
        "未公开的会"
        in login(full.village_cadre).get(url("meetings_calendar", full.village_a1.code)).content.decode()
    )


def test_a_resident_of_another_village_sees_nothing(full, login):
    client = login(full.resident_b)
    assert client.get(url("meetings_calendar", full.village_a1.code)).status_code == 403
    assert client.get(url("meetings_detail", full.meeting.pk)).status_code == 404
    assert client.get(url("meetings_decisions", full.village_a1.code)).status_code == 403


def test_the_manager_sees_everything_and_the_forms(full, login):
    body = login(full.village_cadre).get(url("meetings_detail", full.meeting.pk)).content.decode()
    for shown in (
        "纪要：三件事议定",
        "当事人情绪激动",
        "李四居民",
        full.case.tracking_number,
        "Record a decision",
        "Add who came",
    ):
        assert shown in body


def test_the_town_and_region_read_but_do_not_manage(full, login):
    body = login(full.city_admin).get(url("meetings_detail", full.meeting.pk)).content.decode()
    assert "纪要：三件事议定" in body and "Add who came" not in body
    assert login(full.city_admin).get(url("meetings_record", full.meeting.pk)).status_code == 403
    body = login(full.town_operator).get(url("meetings_decisions", full.town_a.code)).content.decode()
    assert "组织志愿者巡查" in body


def test_the_home_takes_a_cadre_to_the_villages_calendar(mw, login):
    response = login(mw.village_cadre).get(url("meetings_home"))
    assert response.status_code == 302 and response["Location"] == url(
        "meetings_calendar", mw.village_a1.code
    )
    body = login(mw.town_operator).get(url("meetings_home")).content.decode()
    assert (
        url("meetings_calendar", mw.village_a1.code) in body
        and url("meetings_decisions", mw.town_a.code) in body
    )


def test_the_calendar_pages_by_cursor_and_shows_a_month(mw, login):
    for n in range(25):
        meeting(mw, days=n + 1, title=f"第{n + 1}次")
    client = login(mw.village_cadre)
    first = client.get(url("meetings_calendar", mw.village_a1.code))
    cursor = first.context["page"].next_cursor
    assert len(first.context["page"].items) == 20 and cursor
    second = client.get(url("meetings_calendar", mw.village_a1.code), {"cursor": cursor})
    assert [m.title for m in second.context["page"].items] == [f"第{n}次" for n in range(20, 26)]
    assert client.get(url("meetings_calendar", mw.village_a1.code), {"cursor": "nonsense"}).status_code == 404
    month = timezone.localdate() + timedelta(days=3)
    response = client.get(url("meetings_calendar", mw.village_a1.code), {"month": month.strftime("%Y-%m")})
    assert response.status_code == 200
    busy = [d for week in response.context["weeks"] for d in week if d.meetings]
    assert busy


# --- Forms ----------------------------------------------------------------------------------------


def test_the_cadre_records_a_meeting_through_the_pages(mw, login):
    client = login(mw.village_cadre)
    m = mw.meeting
    case = village_case(mw)
    assert (
        client.post(url("meetings_agenda_add", m.pk), {"kind": "case", "case-case": case.pk}).status_code
        == 302
    )
    assert (
        client.post(
            url("meetings_attendance_add", m.pk),
            {"att-kind": "cadre", "att-user": mw.village_cadre.pk, "att-present": "on"},
        ).status_code
        == 302
    )
    response = client.post(
        url("meetings_record", m.pk), {"minutes": "议定由村里处理", "held_at": "", "version": m.version}
    )
    assert response.status_code == 302
    m.refresh_from_db()
    assert (m.state, m.minutes) == ("held", "议定由村里处理")
    response = client.post(
        url("meetings_decision_new", m.pk),
        {
            "text": "村里出资维修",
            "due_on": str(due()),
            "owner_user": mw.village_cadre.pk,
            "effect": "move",
            "move": f"{case.pk}:handle_in_village",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == Case.State.VILLAGE_HANDLING
    assert CaseEvent.objects.filter(case=case, action="handle_in_village", note="村里出资维修").exists()
    response = client.post(
        url("meetings_decision_new", m.pk),
        {
            "text": "路面塌陷报修",
            "due_on": str(due()),
            "owner_name": "村建设组",
            "effect": "open",
            "category": "C0201",
            "grid": mw.grid_a1a.pk,
        },
    )
    assert response.status_code == 302
    opened = Decision.objects.get(text="路面塌陷报修").case
    assert (opened.source, opened.grid) == ("deliberation", mw.grid_a1a)
    d = Decision.objects.get(text="村里出资维修")
    assert (
        client.post(url("meetings_decision_mark", d.pk), {"state": "done", "note": "已修好"}).status_code
        == 302
    )
    assert Decision.objects.get(pk=d.pk).state == "done"
    assert client.post(url("meetings_publish", m.pk), {"publish": "1"}).status_code == 302
    assert Meeting.objects.get(pk=m.pk).is_published


def test_form_errors_show_next_to_their_fields(mw, login):
    client = login(mw.village_cadre)
    response = client.post(
        url("meetings_decision_new", mw.meeting.pk), {"text": "x", "due_on": str(due()), "effect": "open"}
    )
    assert response.status_code == 400
    assert "Choose the category of the case to open." in response.content.decode()
    response = client.post(
        url("meetings_decision_new", mw.meeting.pk), {"text": "x", "due_on": str(due()), "effect": "none"}
    )
    assert "Choose one person or one agency, or type one name, to carry it out." in response.content.decode()
    response = client.post(url("meetings_attendance_add", mw.meeting.pk), {"att-kind": "resident"})
    assert (
        response.status_code == 400
        and "Choose one person, one agency, or type one name." in response.content.decode()
    )
    response = client.post(
        url("meetings_series_new", mw.village_a1.code),
        {
            "name": "逢五说事",
            "rule": "days",
            "days": "5, 40",
            "time": "09:00",
            "on_holiday": "next",
            "is_active": "on",
        },
    )
    assert (
        response.status_code == 200
        and "Days of the month are whole numbers from 1 to 31." in response.content.decode()
    )
    assert not Decision.objects.exists() and not Attendance.objects.exists()


def test_a_series_is_set_up_and_changed_through_the_pages(mw, login):
    client = login(mw.village_cadre)
    response = client.post(
        url("meetings_series_new", mw.village_a1.code),
        {
            "name": "逢五说事",
            "rule": "days",
            "days": "5，15、25",
            "nth": "1",
            "weekday": "0",
            "time": "09:00",
            "on_holiday": "next",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    series = mw.meeting.__class__.objects.filter(series__isnull=False).first().series
    assert series.params == {"days": [5, 15, 25]}
    assert series.time == time(9, 0)
    body = client.get(url("meetings_series", mw.village_a1.code)).content.decode()
    assert "逢五说事" in body and "5, 15, 25" in body
    response = client.post(
        url("meetings_series_edit", series.pk),
        {
            "name": "每周议事",
            "rule": "weekly",
            "days": "",
            "nth": "1",
            "weekday": "2",
            "time": "19:30",
            "on_holiday": "keep",
        },
    )
    assert response.status_code == 302
    series.refresh_from_db()
    assert (series.rule, series.params, series.is_active) == ("weekly", {"weekday": 2}, False)


# --- Query counts ---------------------------------------------------------------------------------


def _count(client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def test_the_calendar_reads_a_fixed_number_of_queries(mw, login):
    client = login(mw.village_cadre)
    path = url("meetings_calendar", mw.village_a1.code)
    few = _count(client, path)
    for n in range(12):
        m = meeting(mw, days=n + 1)
        services.agenda_add_item(actor=mw.village_cadre, meeting=m, title="x")
    assert _count(client, path) == few
    # The same whatever the number of meetings, agenda items and decisions.
    assert few == 8


def test_the_meeting_page_reads_a_fixed_number_of_queries(mw, login, client):
    path = url("meetings_detail", mw.meeting.pk)
    services.agenda_add_case(actor=mw.village_cadre, meeting=mw.meeting, case=village_case(mw))
    services.meeting_publish(actor=mw.village_cadre, meeting=mw.meeting)
    few = _count(login(mw.village_cadre), path)
    resident_few = _count(login(mw.resident), path)
    for n in range(5):
        services.agenda_add_case(
            actor=mw.village_cadre, meeting=mw.meeting, case=village_case(mw, description=f"问题{n}")
        )
        services.agenda_add_topic(
            actor=mw.village_cadre, meeting=mw.meeting, topic=topic(mw, title=f"话题{n}")
        )
        services.attendance_add(actor=mw.village_cadre, meeting=mw.meeting, kind="resident", name=f"居民{n}")
        services.decision_create(
            actor=mw.village_cadre,
            meeting=mw.meeting,
            text=f"决定{n}",
            due_on=due(),
            owner=services.Owner(user=mw.grid_worker),
        )
    assert _count(login(mw.village_cadre), path) == few
    assert _count(login(mw.resident), path) == resident_few
    assert (few, resident_few) == (14, 9)
