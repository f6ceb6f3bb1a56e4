"""Pages and API: who gets what, scanning, the roster import, exports."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from civicgrid.core.models import AuditEntry
from civicgrid.volunteers import checkin, services
from civicgrid.volunteers.models import HoursRecord, Signup, TeamMembership, Volunteer
from civicgrid.volunteers.navigation import nav_entries
from civicgrid.volunteers.tests.conftest import make_activity

API = "/api/v1/volunteers"


@pytest.fixture
def live(vw):
    """An activity under way now (the pages use the real clock)."""
    now = timezone.now()
    return make_activity(
        vw.team,
        vw.leader,
        starts_at=now + timedelta(minutes=10),
        capacity=3,
        title="敬老院探访",
        cancel_cutoff_hours=0,
    )


def signed(live, volunteer):
    return services.signup_create(
        activity=live, volunteer=volunteer, actor=volunteer.user, now=timezone.now()
    )


# --- Public pages -----------------------------------------------------------------------------------


def test_anyone_sees_published_activities_without_personal_data(client, vw, live):
    signed(live, vw.members[0])
    page = client.get(reverse("volunteers:activities"))
    assert page.status_code == 200
    assert "敬老院探访" in page.content.decode()
    detail = client.get(reverse("volunteers:activity", args=[live.pk])).content.decode()
    assert "志愿者1" not in detail and "13900000011" not in detail
    data = client.get(f"{API}/activities/{live.pk}").json()
    assert data["confirmed"] == 1 and "志愿者1" not in json.dumps(data, ensure_ascii=False)


def test_drafts_are_hidden_from_the_public(client, vw):
    draft = make_activity(vw.team, vw.leader, status="draft", title="草稿活动")
    assert client.get(reverse("volunteers:activity", args=[draft.pk])).status_code == 404
    assert "草稿活动" not in client.get(reverse("volunteers:activities")).content.decode()


def test_a_volunteer_signs_up_and_cancels_on_the_page(login, vw, live):
    c = login(vw.members[0].user)
    response = c.post(reverse("volunteers:signup", args=[live.pk]), follow=True)
    assert "You have a place" in response.content.decode()
    assert Signup.objects.get(volunteer=vw.members[0]).state == "confirmed"
    c.post(reverse("volunteers:cancel", args=[live.pk]))
    assert Signup.objects.get(volunteer=vw.members[0]).state == "cancelled"


def test_a_non_volunteer_is_sent_to_register(login, vw, live):
    c = login(vw.world.resident)
    response = c.post(reverse("volunteers:signup", args=[live.pk]))
    assert response.status_code == 302 and reverse("volunteers:register") in response.url
    response = c.post(
        reverse("volunteers:register"),
        {"community": vw.world.village_a1.pk, "real_name": "王居民", "skills": "急救,摄影"},
    )
    assert response.status_code == 302
    volunteer = Volunteer.objects.get(user=vw.world.resident)
    assert volunteer.phone == "13800000001" and volunteer.skills == "急救、摄影"


# --- QR and scanning ----------------------------------------------------------------------------------


def test_the_leader_sees_the_code_and_others_are_refused(login, vw, live):
    c = login(vw.leader)
    assert c.get(reverse("volunteers:qr", args=[live.pk])).status_code == 200
    svg = c.get(reverse("volunteers:qr_svg", args=[live.pk]))
    assert svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content
    data = c.get(reverse("volunteers:qr_json", args=[live.pk])).json()
    assert "/volunteers/scan/" in data["url"] and 0 < data["refresh_in"] <= 30
    for user in (vw.members[0].user, vw.world.outsider):
        assert login(user).get(reverse("volunteers:qr", args=[live.pk])).status_code == 403
        assert login(user).get(reverse("volunteers:qr_json", args=[live.pk])).status_code == 403


def test_scanning_checks_in_through_the_confirmation_page(login, vw, live):
    volunteer = vw.members[0]
    signed(live, volunteer)
    c = login(volunteer.user)
    url = checkin.scan_path(live.pk, checkin.token_for(live.pk))
    page = c.get(url)
    assert page.status_code == 200 and "Confirm check-in" in page.content.decode()
    done = c.post(url, {"ticket": page.context["ticket"]})
    assert "Checked in at" in done.content.decode()
    assert Signup.objects.get(volunteer=volunteer).checked_in_at is not None


def test_an_expired_code_shows_a_clear_refusal(login, vw, live):
    signed(live, vw.members[0])
    old = checkin.token_for(live.pk, timezone.now() - timedelta(minutes=5))
    page = login(vw.members[0].user).get(checkin.scan_path(live.pk, old))
    assert page.status_code == 400 and "This code has expired" in page.content.decode()


def test_the_api_checks_in_with_a_token(login, vw, live):
    signed(live, vw.members[0])
    c = login(vw.members[0].user)
    token = checkin.token_for(live.pk)
    response = c.post(f"{API}/activities/{live.pk}/check", {"token": token}, content_type="application/json")
    assert response.status_code == 200 and response.json()["action"] == "in"
    response = c.post(
        f"{API}/activities/{live.pk}/check", {"token": "1-abc"}, content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["code"] == "code_expired"


def test_the_leader_checks_in_by_hand_and_an_outsider_may_not(login, vw, live):
    signup = signed(live, vw.members[0])
    url = reverse("volunteers:attendance", args=[live.pk])
    assert login(vw.world.outsider).post(url, {"action": "in", "signup": signup.pk}).status_code == 403
    assert Signup.objects.get(pk=signup.pk).checked_in_at is None
    login(vw.leader).post(url, {"action": "in", "signup": signup.pk})
    row = Signup.objects.get(pk=signup.pk)
    assert row.checked_in_at is not None and row.checked_in_by_id == vw.leader.pk


# --- Hours and access ---------------------------------------------------------------------------------


def pending_record(vw, live):
    signup = signed(live, vw.members[0])
    services.attendance_mark(actor=vw.leader, signup=signup, action="in", at=live.starts_at)
    services.attendance_mark(actor=vw.leader, signup=signup, action="out", at=live.ends_at)
    (record,) = services.activity_close(activity=live, now=live.ends_at)
    return record


@pytest.mark.parametrize("who", ["outsider", "member", "resident", "agency_staff"])
def test_others_cannot_approve_hours(login, vw, live, who):
    record = pending_record(vw, live)
    user = vw.members[1].user if who == "member" else getattr(vw.world, who)
    c = login(user)
    assert c.post(f"{API}/hours/{record.pk}/approve").status_code == 403
    assert (
        c.post(
            reverse("volunteers:team", args=[vw.team.pk]), {"action": "approve", "record": record.pk}
        ).status_code
        == 403
    )
    assert c.get(f"{API}/teams/{vw.team.pk}/hours/pending").status_code == 403
    assert HoursRecord.objects.get(pk=record.pk).status == "pending"


@pytest.mark.parametrize("who", ["leader", "village_cadre", "town_operator", "city_admin"])
def test_the_leader_and_the_community_office_approve(
    login, vw, live, who, django_capture_on_commit_callbacks
):
    record = pending_record(vw, live)
    user = vw.leader if who == "leader" else getattr(vw.world, who)
    c = login(user)
    assert [r["id"] for r in c.get(f"{API}/teams/{vw.team.pk}/hours/pending").json()] == [record.pk]
    with django_capture_on_commit_callbacks(execute=True):
        response = c.post(f"{API}/hours/{record.pk}/approve")
    assert response.status_code == 200 and response.json()["status"] == "approved"


def test_declining_on_the_team_page_needs_a_reason(login, vw, live):
    record = pending_record(vw, live)
    c = login(vw.leader)
    response = c.post(
        reverse("volunteers:team", args=[vw.team.pk]), {"action": "decline", "record": record.pk}, follow=True
    )
    assert "Say why" in response.content.decode()
    c.post(
        reverse("volunteers:team", args=[vw.team.pk]),
        {"action": "decline", "record": record.pk, "reason": "未到场"},
    )
    assert HoursRecord.objects.get(pk=record.pk).status == "declined"


def test_my_hours_are_mine_only(login, vw, live):
    record = pending_record(vw, live)
    mine = login(vw.members[0].user).get(f"{API}/me/hours").json()
    assert [i["id"] for i in mine["items"]] == [record.pk] and mine["pending_minutes"] == 120
    other = vw.members[1]
    assert login(other.user).get(f"{API}/me/hours").json()["items"] == []
    assert (
        login(other.user).get(reverse("volunteers:volunteer", args=[vw.members[0].number])).status_code == 404
    )
    page = login(vw.leader).get(reverse("volunteers:volunteer", args=[vw.members[0].number]))
    assert page.status_code == 200 and "13900000011" in page.content.decode()


def test_phones_are_masked_for_a_leader_of_another_team(login, vw):
    # The roster shows phones in full to the team's managers only; the presenter masks otherwise.
    from civicgrid.volunteers.presenters import volunteer_view

    assert volunteer_view(vw.members[0], vw.world.outsider).phone == "139****0011"
    assert volunteer_view(vw.members[0], vw.leader).phone == "13900000011"


def test_the_team_page_and_community_page_are_refused_to_outsiders(login, vw):
    assert login(vw.world.outsider).get(reverse("volunteers:team", args=[vw.team.pk])).status_code == 403
    assert login(vw.world.outsider).get(reverse("volunteers:community")).status_code == 403
    assert login(vw.members[0].user).get(reverse("volunteers:community")).status_code == 403
    page = login(vw.world.village_cadre).get(reverse("volunteers:community"))
    assert page.status_code == 200 and "巾帼志愿服务队" in page.content.decode()
    assert login(vw.leader).get(reverse("volunteers:team", args=[vw.team.pk])).status_code == 200


def test_only_the_office_appoints_leaders(login, vw):
    number = vw.members[0].number
    login(vw.leader).post(
        reverse("volunteers:team", args=[vw.team.pk]), {"action": "leader", "number": number}
    )
    assert TeamMembership.objects.get(volunteer=vw.members[0]).role == "member"
    login(vw.world.village_cadre).post(
        reverse("volunteers:team", args=[vw.team.pk]), {"action": "leader", "number": number}
    )
    assert TeamMembership.objects.get(volunteer=vw.members[0]).role == "leader"


def test_the_certificate_page_is_numbered_and_printable(login, vw, live, django_capture_on_commit_callbacks):
    record = pending_record(vw, live)
    services.hours_decide(record=record, actor=vw.leader, approve=True)
    c = login(vw.world.village_cadre)
    today = timezone.localdate()
    response = c.post(
        reverse("volunteers:volunteer", args=[vw.members[0].number]),
        {
            "action": "certificate",
            "period_start": today - timedelta(days=30),
            "period_end": today + timedelta(days=1),
        },
    )
    assert response.status_code == 302
    page = login(vw.members[0].user).get(response.url).content.decode()
    assert f"{today.year}-0001" in page and "2.00" in page
    assert "not a certification by the national" in page
    assert login(vw.members[1].user).get(response.url).status_code == 403


# --- Exports and the roster import ----------------------------------------------------------------------


def test_exports_hold_approved_hours_of_the_chosen_scope(login, vw, live):
    record = pending_record(vw, live)
    services.hours_decide(record=record, actor=vw.leader, approve=True)
    response = login(vw.leader).get(reverse("volunteers:export") + f"?team={vw.team.pk}")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][0] == "志愿者1" and rows[1][6] == 2.0
    assert AuditEntry.objects.filter(action="volunteers.export").count() == 1
    assert (
        login(vw.world.outsider).get(reverse("volunteers:export") + f"?team={vw.team.pk}").status_code == 403
    )
    community = login(vw.world.village_cadre).get(
        f"{API}/hours/export.xlsx?community={vw.world.village_a1.code}"
    )
    assert community.status_code == 200
    assert (
        login(vw.leader).get(f"{API}/hours/export.xlsx?community={vw.world.village_a1.code}").status_code
        == 403
    )
    assert login(vw.members[0].user).get(f"{API}/hours/export.xlsx").status_code == 200


def workbook(rows) -> io.BytesIO:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    out.name = "roster.xlsx"
    return out


def test_the_roster_import_checks_then_commits(login, vw):
    c = login(vw.leader)
    url = reverse("volunteers:team_import", args=[vw.team.pk])
    rows = [
        ["姓名", "手机号", "技能"],
        ["新队员", "13600000001", "急救"],
        ["坏号码", "12345", ""],
        ["志愿者1", "13900000011", ""],
    ]
    before = Volunteer.objects.count()
    response = c.post(url, {"file": workbook(rows)})
    results = response.context["results"]
    assert [r.outcome for r in results] == ["added", "failed", "exists"]
    assert Volunteer.objects.count() == before
    response = c.post(url, {"step": "commit"})
    assert response.context["committed"]
    assert Volunteer.objects.get(real_name="新队员").memberships.get().team == vw.team
    assert AuditEntry.objects.filter(action="volunteers.roster_import").count() == 1
    assert login(vw.world.outsider).post(url, {"file": workbook(rows)}).status_code == 403


def test_a_bad_workbook_is_refused_with_a_message(login, vw):
    bad = workbook([["foo", "bar"], ["x", "y"]])
    response = login(vw.leader).post(reverse("volunteers:team_import", args=[vw.team.pk]), {"file": bad})
    assert response.status_code == 400 and "姓名" in response.context["error"]


# --- Navigation ---------------------------------------------------------------------------------------


def test_navigation_entries_per_role(vw):
    from django.contrib.auth.models import AnonymousUser

    assert [e[2] for e in nav_entries(AnonymousUser())] == ["volunteers"]
    assert [e[2] for e in nav_entries(vw.members[0].user)] == ["volunteers_mine"]
    assert [e[2] for e in nav_entries(vw.leader)] == ["volunteers_mine", "volunteers_team"]
    assert [e[2] for e in nav_entries(vw.world.village_cadre)] == ["volunteers", "volunteers_teams"]
    for user in (vw.members[0].user, vw.leader, vw.world.village_cadre):
        for _label, url, _key, _group in nav_entries(user):
            assert mock.sentinel is not None and url.startswith("/volunteers/")


def test_the_activity_list_reads_a_fixed_number_of_queries(login, vw):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    now = timezone.now()
    c = login(vw.members[0].user)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(reverse("volunteers:activities")).status_code == 200
        return len(ctx.captured_queries)

    for i in range(2):
        make_activity(vw.team, vw.leader, starts_at=now + timedelta(days=i + 1), title=f"活动{i}")
    few = queries()
    for i in range(2, 12):
        activity = make_activity(vw.team, vw.leader, starts_at=now + timedelta(days=i + 1), title=f"活动{i}")
        services.signup_create(activity=activity, volunteer=vw.members[0], actor=vw.members[0].user)
    assert queries() == few


def test_the_pages_speak_chinese_by_default(vw):
    from django.test import Client

    page = Client().get(reverse("volunteers:activity", args=[vw.activity.pk])).content.decode()
    assert "名额" in page and "志愿活动" in page


def test_every_page_renders_for_the_roles_that_use_it(login, vw, live):
    signed(live, vw.members[0])
    leader = login(vw.leader)
    for url in (
        reverse("volunteers:activity_new", args=[vw.team.pk]),
        reverse("volunteers:activity_edit", args=[live.pk]),
        reverse("volunteers:attendance", args=[live.pk]),
        reverse("volunteers:team_import", args=[vw.team.pk]),
        reverse("volunteers:mine"),
        reverse("volunteers:my_hours"),
    ):
        assert leader.get(url).status_code == 200, url
    member = login(vw.members[0].user)
    assert "敬老院探访" in member.get(reverse("volunteers:mine")).content.decode()
    assert member.get(reverse("volunteers:my_hours")).status_code == 200
    assert member.get(reverse("volunteers:activity_new", args=[vw.team.pk])).status_code == 403
    resident = login(vw.world.resident)
    assert resident.get(reverse("volunteers:register")).status_code == 200
    assert resident.get(reverse("volunteers:mine")).status_code == 200
    assert resident.get(reverse("volunteers:my_hours")).status_code == 302
    cadre = login(vw.world.village_cadre)
    assert (
        cadre.get(reverse("volunteers:community") + f"?community={vw.world.village_a1.code}").status_code
        == 200
    )


def test_a_leader_creates_an_activity_on_the_page_and_bad_input_is_shown(login, vw):
    c = login(vw.leader)
    url = reverse("volunteers:activity_new", args=[vw.team.pk])
    data = {
        "title": "义诊",
        "service_field": "health",
        "starts_at": "2030-05-01T09:00",
        "ends_at": "2030-05-01T08:00",
        "place_name": "卫生室",
        "capacity": "5",
        "cancel_cutoff_hours": "0",
        "status": "published",
    }
    response = c.post(url, data)
    assert response.status_code == 200 and "The end must come after the start." in response.content.decode()
    response = c.post(url, data | {"ends_at": "2030-05-01T11:00"})
    assert response.status_code == 302
    assert vw.team.activities.filter(title="义诊").exists()


def test_the_leader_records_hours_by_hand_and_someone_else_approves_them(vw, login):
    member = vw.members[0]
    client = login(vw.leader)
    url = reverse("volunteers:team", args=[vw.team.pk])
    assert "Record hours by hand" in client.get(url).content.decode()
    day = timezone.localdate().isoformat()
    form = {
        "action": "manual",
        "volunteer": member.pk,
        "day": day,
        "minutes": 90,
        "content": "夜间值守",
        "reason": "防汛值班未扫码",
    }
    assert client.post(url, form).status_code == 302
    record = HoursRecord.objects.get(volunteer=member, kind=HoursRecord.Kind.MANUAL)
    assert (record.minutes, record.status, record.created_by) == (90, HoursRecord.Status.PENDING, vw.leader)
    # Refused, nothing written: no reason, a future day, someone not on the team.
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    page = client.post(url, form | {"day": tomorrow}).content.decode()
    assert "Enter a day that is not in the future." in page
    assert "This field is required." in client.post(url, form | {"reason": ""}).content.decode()
    assert client.post(url, form | {"volunteer": 999999}).status_code == 200
    assert HoursRecord.objects.filter(kind=HoursRecord.Kind.MANUAL).count() == 1


def test_the_community_office_renames_and_retires_a_team_the_leader_may_not(vw, login):
    url = reverse("volunteers:team", args=[vw.team.pk])
    form = {
        "action": "edit",
        "name": "巾帼家政服务队",
        "service_field": "community",
        "description": "上门家政",
    }
    leader = login(vw.leader)
    assert "Change or retire the team" not in leader.get(url).content.decode()
    assert leader.post(url, form | {"is_active": "on"}).status_code == 403
    office = login(vw.world.village_cadre)
    assert office.post(url, form).status_code == 302
    vw.team.refresh_from_db()
    assert (vw.team.name, vw.team.is_active) == ("巾帼家政服务队", False)
    assert AuditEntry.objects.filter(action="volunteers.team_update").count() == 1
    # A retired team takes no new activities.
    with pytest.raises(Exception, match="no longer active"):
        make_activity(vw.team, vw.leader)
