"""The meetings API: the same services, rules and presenters as the pages."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.utils import timezone

from civicgrid.cases.models import Case, CaseEvent
from civicgrid.governance import services_meetings as services
from civicgrid.governance.models import AgendaItem, Attendance, Decision, Meeting, MeetingSeries
from civicgrid.governance.tests.meetings_helpers import meeting, meetings_world, topic, village_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def mw(gw):
    return meetings_world(gw)


API = "/api/v1/governance/meetings"


def post(client, path: str, body: dict):
    return client.post(f"{API}{path}", body, content_type="application/json")


def due(days: int = 10) -> str:
    return str(timezone.localdate() + timedelta(days=days))


def test_the_cadre_runs_a_meeting_through_the_api(mw, login):
    client = login(mw.village_cadre)
    case = village_case(mw)
    made = post(
        client,
        "/",
        {"place_code": mw.village_a1.code, "title": "专题议事", "starts_at": timezone.now().isoformat()},
    )
    assert made.status_code == 201, made.json()
    pk = made.json()["id"]
    item = post(client, f"/{pk}/agenda", {"source": "case", "case_number": case.tracking_number})
    assert item.status_code == 201 and item.json()["case_number"] == case.tracking_number
    own = post(client, f"/{pk}/agenda", {"source": "cadre", "title": "秋收防火"})
    assert own.status_code == 201
    order = client.put(
        f"{API}/{pk}/agenda/order",
        {"item_ids": [own.json()["id"], item.json()["id"]]},
        content_type="application/json",
    )
    assert [i["title"] for i in order.json()] == ["秋收防火", case.category.name]
    came = post(client, f"/{pk}/attendance", {"kind": "agency", "agency_code": mw.agency.code})
    assert came.status_code == 201 and came.json()["rows"][0]["name"] == "市水务局"
    detail = client.get(f"{API}/{pk}").json()
    assert {
        "case_number": case.tracking_number,
        "action": "handle_in_village",
        "label": "Handle in the village",
    } in detail["case_moves"]
    held = post(client, f"/{pk}/record", {"minutes": "议定两件事", "version": detail["version"]})
    assert held.status_code == 200 and held.json()["state"] == "held"
    stale = post(client, f"/{pk}/record", {"minutes": "另一份", "version": detail["version"]})
    assert stale.status_code == 409
    moved = post(
        client,
        f"/{pk}/decisions",
        {
            "text": "村里维修",
            "due_on": due(),
            "owner_user_id": mw.village_cadre.pk,
            "move_case": {"case_number": case.tracking_number, "action": "handle_in_village"},
        },
    )
    assert moved.status_code == 201, moved.json()
    assert moved.json()["case_step"] == "Handle in the village"
    case.refresh_from_db()
    assert case.state == "village_handling"
    opened = post(
        client,
        f"/{pk}/decisions",
        {
            "text": "新开一件",
            "due_on": due(),
            "owner_agency_code": mw.agency.code,
            "open_case": {"category": "C0201", "grid_code": mw.grid_a1b.code},
        },
    )
    assert opened.status_code == 201, opened.json()
    new_case = Case.objects.get(tracking_number=opened.json()["case_number"])
    assert new_case.source == "deliberation"
    assert CaseEvent.objects.get(case=new_case).data["meeting"] == pk
    decision_id = opened.json()["id"]
    marked = post(client, f"/decisions/{decision_id}/mark", {"state": "done", "note": "已办结"})
    assert marked.status_code == 200 and marked.json()["on_time"] is True
    assert client.get(f"{API}/decisions", {"place": mw.town_a.code}).status_code == 403  # the town's list
    listed = client.get(f"{API}/decisions", {"place": mw.village_a1.code, "show": "all"})
    assert listed.status_code == 200, listed.json()
    listed = listed.json()
    assert {d["text"] for d in listed["items"]} == {"村里维修", "新开一件"}
    published = post(client, f"/{pk}/publish", {"published": True})
    assert published.json()["is_published"] is True


def test_a_refused_move_through_the_api_writes_nothing(mw, login):
    client = login(mw.village_cadre)
    case = village_case(mw)
    services.agenda_add_case(actor=mw.village_cadre, meeting=mw.meeting, case=case)
    events = CaseEvent.objects.filter(case=case).count()
    refused = post(
        client,
        f"/{mw.meeting.pk}/decisions",
        {
            "text": "x",
            "due_on": due(),
            "owner_name": "村委",
            "move_case": {"case_number": case.tracking_number, "action": "dispatch"},
        },
    )
    assert refused.status_code == 400 and "action" in refused.json()["extra"]["fields"]
    assert CaseEvent.objects.filter(case=case).count() == events and not Decision.objects.exists()


def test_series_through_the_api(mw, login):
    client = login(mw.village_cadre)
    made = post(
        client,
        "/series",
        {
            "place_code": mw.village_a1.code,
            "name": "逢五说事",
            "rule": "days",
            "params": {"days": [5, 15, 25]},
            "on_holiday": "next",
            "time": "09:00",
        },
    )
    assert made.status_code == 201, made.json()
    bad = post(
        client,
        "/series",
        {
            "place_code": mw.village_a1.code,
            "name": "x",
            "rule": "days",
            "params": {"days": [99]},
            "time": "09:00",
        },
    )
    assert bad.status_code == 400 and "days" in bad.json()["extra"]["fields"]
    pk = made.json()["id"]
    changed = client.patch(f"{API}/series/{pk}", {"is_active": False}, content_type="application/json")
    assert changed.status_code == 200 and changed.json()["is_active"] is False
    assert [s["name"] for s in client.get(f"{API}/series", {"place": mw.village_a1.code}).json()] == [
        "逢五说事"
    ]


def test_the_calendar_pages_by_cursor(mw, login):
    for n in range(22):
        meeting(mw, days=n + 1)
    client = login(mw.village_cadre)
    first = client.get(f"{API}/", {"place": mw.village_a1.code}).json()
    assert len(first["items"]) == 20 and first["next_cursor"]
    second = client.get(f"{API}/", {"place": mw.village_a1.code, "after": first["next_cursor"]}).json()
    assert len(second["items"]) == 3 and not second["next_cursor"]
    assert client.get(f"{API}/", {"place": mw.village_a1.code, "after": "x.1"}).status_code == 400


def test_a_resident_gets_the_published_meeting_without_what_is_private(mw, login):
    services.agenda_add_item(actor=mw.village_cadre, meeting=mw.meeting, title="修桥", note="内部备注")
    services.attendance_add(actor=mw.village_cadre, meeting=mw.meeting, kind="resident", name="李四居民")
    services.meeting_record(actor=mw.village_cadre, meeting=mw.meeting, minutes="纪要")
    mw.meeting.refresh_from_db()
    client = login(mw.resident)
    assert client.get(f"{API}/{mw.meeting.pk}").status_code == 404
    services.meeting_publish(actor=mw.village_cadre, meeting=mw.meeting)
    body = client.get(f"{API}/{mw.meeting.pk}").json()
    assert body["minutes"] == "" and body["held_at"] is None and body["case_moves"] == []
    assert body["agenda"][0]["title"] == "修桥" and body["agenda"][0]["note"] == ""
    assert body["attendance"]["rows"] == [] and body["attendance"]["counted"] == [
        {"kind_label": "Resident", "count": 1}
    ]
    assert [m["id"] for m in client.get(f"{API}/", {"place": mw.village_a1.code}).json()["items"]] == [
        mw.meeting.pk
    ]


def _writes(mw):
    m = mw.meeting
    item = AgendaItem.objects.filter(meeting=m).first()
    row = Attendance.objects.filter(meeting=m).first()
    d = Decision.objects.filter(meeting=m).first()
    series = MeetingSeries.objects.first()
    calls = [
        ("patch", f"/series/{series.pk}", {"is_active": False}),
        (
            "post",
            "/",
            {"place_code": mw.village_a1.code, "title": "x", "starts_at": timezone.now().isoformat()},
        ),
        (
            "post",
            "/series",
            {
                "place_code": mw.village_a1.code,
                "name": "x",
                "rule": "weekly",
                "params": {"weekday": 1},
                "time": "09:00",
            },
        ),
        ("post", f"/{m.pk}/record", {"minutes": "x", "version": m.version}),
        ("post", f"/{m.pk}/cancel", {"version": m.version}),
        ("post", f"/{m.pk}/publish", {"published": False}),
        ("post", f"/{m.pk}/agenda", {"source": "cadre", "title": "x"}),
        ("put", f"/{m.pk}/agenda/order", {"item_ids": [item.pk]}),
        ("delete", f"/{m.pk}/agenda/{item.pk}", None),
        ("post", f"/{m.pk}/attendance", {"kind": "resident", "name": "x"}),
        ("delete", f"/{m.pk}/attendance/{row.pk}", None),
        ("post", f"/{m.pk}/decisions", {"text": "x", "due_on": due(), "owner_name": "x"}),
        ("post", f"/decisions/{d.pk}/mark", {"state": "done"}),
    ]
    return calls


def _reads(mw):
    m = mw.meeting
    return [
        f"/?place={mw.village_a1.code}",
        f"/{m.pk}",
        f"/{m.pk}/agenda",
        f"/{m.pk}/attendance",
        f"/{m.pk}/decisions",
        f"/series?place={mw.village_a1.code}",
        f"/decisions?place={mw.village_a1.code}",
        f"/decisions?place={mw.town_a.code}",
    ]


@pytest.mark.parametrize("who", ["outsider", "resident_b", "cadre_b"])
def test_it_denies_outsiders_every_endpoint(mw, login, who):
    services.agenda_add_item(actor=mw.village_cadre, meeting=mw.meeting, title="修桥")
    services.attendance_add(actor=mw.village_cadre, meeting=mw.meeting, kind="resident", name="李四")
    services.decision_create(
        actor=mw.village_cadre,
        meeting=mw.meeting,
        text="x",
        due_on=timezone.localdate(),
        owner=services.Owner(name="x"),
    )
    mw.meeting = services.meeting_publish(actor=mw.village_cadre, meeting=mw.meeting)
    services.series_create(
        actor=mw.village_cadre,
        place=mw.village_a1,
        name="逢五说事",
        rule="weekly",
        params={"weekday": 1},
        time=time(9),
    )
    client = login(getattr(mw, who))
    for path in _reads(mw):
        assert client.get(f"{API}{path}").status_code in (403, 404), path
    before = (
        list(Meeting.objects.values_list("pk", "state", "version", "is_published")),
        AgendaItem.objects.count(),
        Attendance.objects.count(),
        list(Decision.objects.values_list("state", flat=True)),
        list(MeetingSeries.objects.values_list("pk", "is_active")),
    )
    for method, path, body in _writes(mw):
        response = getattr(client, method)(f"{API}{path}", body, content_type="application/json")
        assert response.status_code in (403, 404), (path, response.status_code)
    after = (
        list(Meeting.objects.values_list("pk", "state", "version", "is_published")),
        AgendaItem.objects.count(),
        Attendance.objects.count(),
        list(Decision.objects.values_list("state", flat=True)),
        list(MeetingSeries.objects.values_list("pk", "is_active")),
    )
    assert after == before


def test_it_asks_strangers_to_sign_in(mw, client):
    assert client.get(f"{API}/{mw.meeting.pk}").status_code == 401
    assert client.get(f"{API}/", {"place": mw.village_a1.code}).status_code == 401


def test_a_topic_goes_on_the_agenda_by_its_id(mw, login):
    t = topic(mw)
    client = login(mw.village_cadre)
    added = post(client, f"/{mw.meeting.pk}/agenda", {"source": "topic", "topic_id": t.pk})
    assert added.status_code == 201 and added.json()["topic_support"] == 12
    other = topic(mw, grid=mw.grid_b1a)
    refused = post(client, f"/{mw.meeting.pk}/agenda", {"source": "topic", "topic_id": other.pk})
    assert refused.status_code == 400 and "topic_id" in refused.json()["extra"]["fields"]
