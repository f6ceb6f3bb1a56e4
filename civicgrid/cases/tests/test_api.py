"""The cases API: intake (JSON, multipart, idempotent), lists, the record, actions, 12345 orders."""

from __future__ import annotations

import base64
import json
import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from civicgrid.accounts.services import api_token_create
from civicgrid.cases.models import Case, CaseEvent, CasePhoto, Category, Notification
from civicgrid.cases.tests.conftest import PATHS, jpeg, report, walk

URL = "/api/v1/cases/"
INSIDE = {"lon": 120.705, "lat": 31.605}


def client_for(user=None) -> Client:
    client = Client(headers={"Accept-Language": "en"})
    if user is not None:
        client.force_login(user)
    return client


def new_report(**kw) -> dict:
    return {
        "category": "C0201",
        "description": "路面有一个大坑",
        **INSIDE,
        "address": "甲一村路口",
        "photos": [base64.b64encode(jpeg()).decode()],
        **kw,
    }


def post_json(client: Client, url: str, body: dict, **headers):
    return client.post(url, json.dumps(body), content_type="application/json", headers=headers)


# ---------------------------------------------------------------------------------------------
# Intake


def test_it_files_a_json_report_with_a_base64_photo(cw):
    response = post_json(client_for(cw.resident), URL, new_report(reporter_phone="13912345678"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "reported"
    assert body["routed"] is True
    assert body["grid"] == cw.grid_a1a.code
    assert body["village"] == cw.village_a1.code
    assert body["town"] == cw.town_a.code
    assert body["status_url"].endswith(f"/cases/status/{body['tracking_number']}/")
    case = Case.objects.get(tracking_number=body["tracking_number"])
    assert case.reporter == cw.resident
    assert case.reporter_phone == "13912345678"
    assert case.photos.count() == 1


def test_it_files_a_multipart_report_with_a_photo_file(cw):
    from django.core.files.uploadedfile import SimpleUploadedFile

    photo = SimpleUploadedFile("pothole.jpg", jpeg(), content_type="image/jpeg")
    response = client_for(cw.resident).post(
        URL,
        {
            "category": "C0201",
            "description": "路面有一个大坑",
            "lon": "120.705",
            "lat": "31.605",
            "is_public": "false",
            "photos": [photo],
        },
    )
    assert response.status_code == 201, response.content
    case = Case.objects.get(tracking_number=response.json()["tracking_number"])
    assert case.is_public is False
    assert case.photos.get().content_type == "image/jpeg"


def test_it_files_an_anonymous_report(cw):
    response = post_json(client_for(), URL, new_report(reporter_phone="13912345678"))
    assert response.status_code == 201, response.content
    case = Case.objects.get()
    assert case.reporter is None
    assert case.source == "resident"


def test_it_refuses_a_staff_source_from_a_resident(cw):
    response = post_json(client_for(cw.resident), URL, new_report(source="hotline"))
    assert response.status_code == 403
    assert not Case.objects.exists()


def test_it_refuses_a_reporter_name_and_urgency_from_a_resident(cw):
    response = post_json(client_for(cw.resident), URL, new_report(reporter_name="张三", priority="urgent"))
    assert response.status_code == 400
    assert set(response.json()["extra"]["fields"]) == {"reporter_name", "priority"}
    assert not Case.objects.exists()


def test_it_records_a_patrol_report_for_staff_without_making_them_the_reporter(cw):
    body = new_report(source="grid_patrol", reporter_name="张三", priority="urgent")
    response = post_json(client_for(cw.grid_worker), URL, body)
    assert response.status_code == 201, response.content
    case = Case.objects.get()
    assert case.reporter is None
    assert case.reporter_name == "张三"
    assert case.priority == "urgent"
    assert case.events.get().actor == cw.grid_worker


def test_it_returns_the_first_case_for_a_repeated_idempotency_key(cw):
    client = client_for(cw.resident)
    first = post_json(client, URL, new_report(), **{"Idempotency-Key": "report-2026-0001"})
    second = post_json(client, URL, new_report(), **{"Idempotency-Key": "report-2026-0001"})
    assert first.status_code == 201
    assert second.status_code == 200
    assert second.json() == first.json()
    assert Case.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [
        ({"category": "X9999"}, 400, "invalid", "category"),
        ({"category": "C02"}, 400, "invalid", "category"),  # a major class cannot be chosen
        # A neighbour dispute needs words; a pothole (C0201) may be reported with its photo alone.
        ({"category": "E0601", "description": ""}, 400, "invalid", "description"),
        ({"lon": 200}, 400, "out_of_range", None),
        ({"lon": "east"}, 400, "invalid", "lon"),
        ({"lon": 116.404, "lat": 39.915}, 400, "outside_service_area", None),
        (
            {"photos": [base64.b64encode(b"%PDF-1.4 not a photo").decode()]},
            400,
            "photo_unsupported_type",
            None,
        ),
        ({"photos": ["***"]}, 400, "photo_base64", None),
        ({"reporter_phone": "12345"}, 400, "invalid", "reporter_phone"),
    ],
)
def test_it_refuses_bad_input_and_writes_nothing(cw, change, status, code, field):
    response = post_json(client_for(cw.resident), URL, new_report(**change))
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code
    assert body["message"]
    if field:
        assert field in body["extra"]["fields"]
    assert not Case.objects.exists()
    assert not CasePhoto.objects.exists()


def test_it_refuses_a_non_image_photo_file_in_a_form(cw):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("pothole.jpg", b"<html>not a photo</html>", content_type="image/jpeg")
    response = client_for(cw.resident).post(
        URL, {"category": "C0201", "description": "坑", "lon": "120.705", "lat": "31.605", "photos": [fake]}
    )
    assert response.status_code == 400
    assert response.json()["code"].startswith("photo_")
    assert not Case.objects.exists()


def test_it_refuses_a_cross_site_post_riding_on_a_session(cw):
    client = Client(enforce_csrf_checks=True, headers={"Accept-Language": "en"})
    client.force_login(cw.resident)
    response = post_json(client, URL, new_report())
    assert response.status_code == 403
    assert response.json()["code"] == "csrf"
    assert not Case.objects.exists()
    anonymous = Client(enforce_csrf_checks=True, headers={"Accept-Language": "en"})
    assert post_json(anonymous, URL, new_report()).status_code == 201


def test_it_refuses_a_body_that_is_not_json(cw):
    response = client_for(cw.resident).post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_json"


@pytest.mark.django_db(transaction=True)
def test_it_creates_one_case_for_ten_concurrent_requests_with_one_key(cw):
    body = json.dumps(new_report(category="E0601", photos=[]))
    barrier = threading.Barrier(10)
    statuses: list = [None] * 10
    numbers: list = [None] * 10

    def submit(i: int) -> None:
        try:
            client = client_for(cw.resident)
            barrier.wait()
            response = client.post(
                URL, body, content_type="application/json", headers={"Idempotency-Key": "same-key-2026"}
            )
            statuses[i] = response.status_code
            numbers[i] = response.json().get("tracking_number")
        except Exception as exc:  # the assertion below shows what each thread got
            statuses[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(s for s in statuses if isinstance(s, int)) == [200] * 9 + [201], statuses
    assert len(set(numbers)) == 1
    assert Case.objects.count() == 1


# ---------------------------------------------------------------------------------------------
# Lists


def test_it_requires_sign_in_to_list(cw):
    assert client_for().get(URL).status_code == 401


def test_it_shows_an_outsider_none_of_town_a(cw, case_in):
    case_in("reported")
    body = client_for(cw.outsider).get(URL).json()
    assert body["count"] == 0
    assert body["items"] == []


def test_it_shows_agency_staff_only_their_dispatched_cases(cw, case_in):
    case_in("reported")
    dispatched = case_in("dispatched")
    body = client_for(cw.agency_staff).get(URL).json()
    assert [item["tracking_number"] for item in body["items"]] == [dispatched.tracking_number]
    assert client_for(cw.agency_b_staff).get(URL).json()["count"] == 0


def test_it_lists_without_personal_data(cw, category):
    report(cw, category, reporter_phone="13912345678", reporter_name="")
    response = client_for(cw.town_operator).get(URL)
    item = response.json()["items"][0]
    assert item["category"]["code"] == "C0201"
    assert item["grid"] == cw.grid_a1a.code
    assert item["state_label"]
    assert "13912345678" not in response.content.decode()
    assert "王居民" not in response.content.decode()
    assert "reporter" not in json.dumps(item)


def test_it_filters_and_paginates(cw, case_in):
    reported = case_in("reported")
    town = case_in("town")
    Case.objects.filter(pk=town.pk).update(is_overdue=True)
    client = client_for(cw.town_operator)

    def numbers(**params):
        return [i["tracking_number"] for i in client.get(URL, params).json()["items"]]

    assert numbers(state="reported") == [reported.tracking_number]
    assert numbers(queue="dispatch") == [town.tracking_number]
    assert numbers(overdue="true") == [town.tracking_number]
    assert numbers(text=reported.tracking_number) == [reported.tracking_number]
    assert set(numbers(category="C02")) == {reported.tracking_number, town.tracking_number}
    assert numbers(category="E01") == []
    assert numbers(source="hotline") == []
    assert len(numbers(region=cw.grid_a1a.code)) == 2
    assert numbers(region=cw.town_b.code) == []
    today = timezone.localdate().isoformat()
    assert len(numbers(date_from=today, date_to=today)) == 2
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert numbers(date_from=tomorrow) == []
    assert numbers(mine="true") == []
    assert len(client_for(cw.resident).get(URL, {"mine": "true"}).json()["items"]) == 2
    page = client.get(URL, {"limit": 1, "page": 2}).json()
    assert page["count"] == 2
    assert page["offset"] == 1
    assert len(page["items"]) == 1


def test_it_refuses_unknown_filter_values(cw):
    response = client_for(cw.town_operator).get(URL, {"state": "lost", "queue": "nope", "agency": "x"})
    assert response.status_code == 400
    assert set(response.json()["extra"]["fields"]) == {"state", "queue", "agency"}


def test_it_lists_with_a_fixed_number_of_queries(cw, django_assert_max_num_queries):
    category = Category.objects.get(code="E0601")
    client = client_for(cw.town_operator)

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(URL, {"limit": 50})
        assert response.status_code == 200
        return len(ctx.captured_queries)

    for _ in range(10):
        report(cw, category, photos=[])
    with_ten = count_queries()
    for _ in range(20):
        report(cw, category, photos=[])
    with_thirty = count_queries()
    assert with_ten == with_thirty
    with django_assert_max_num_queries(5):  # session, user, roles, count, page
        assert len(client.get(URL, {"limit": 50}).json()["items"]) == 30


# ---------------------------------------------------------------------------------------------
# The record


def actions_of(user, case) -> list[str]:
    response = client_for(user).get(f"{URL}{case.tracking_number}")
    assert response.status_code == 200, response.content
    return [a["action"] for a in response.json()["actions"]]


def test_it_offers_each_persona_only_their_actions(cw, case_in):
    reported = case_in("reported")
    assert actions_of(cw.grid_worker, reported) == ["accept", "reject", "merge", "comment"]
    assert actions_of(cw.village_cadre, reported) == ["assign_grid", "comment"]
    assert actions_of(cw.resident, reported) == ["comment"]
    dispatched = case_in("dispatched")
    assert actions_of(cw.agency_staff, dispatched) == ["sign", "return_dispatch", "comment"]
    assert actions_of(cw.town_operator, dispatched) == ["redispatch", "comment"]
    detail = client_for(cw.town_operator).get(f"{URL}{dispatched.tracking_number}").json()
    redispatch = next(a for a in detail["actions"] if a["action"] == "redispatch")
    assert redispatch["requires"] == ["agency"]
    assert redispatch["accepts"] == ["appointment", "co_agencies", "note"]


def test_it_hides_a_case_from_the_outsider(cw, case_in):
    case = case_in("reported")
    response = client_for(cw.outsider).get(f"{URL}{case.tracking_number}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_it_masks_the_reporter_for_the_agency_and_shows_them_to_the_grid(cw, category):
    case = report(cw, category, reporter_phone="13912345678")
    walk(cw, case, PATHS["dispatched"])
    grid = client_for(cw.grid_worker).get(f"{URL}{case.tracking_number}").json()
    assert grid["reporter"] == {"name": "王居民", "phone": "13912345678"}
    agency = client_for(cw.agency_staff).get(f"{URL}{case.tracking_number}").json()
    assert agency["reporter"]["phone"] == "139****5678"
    assert agency["reporter"]["name"] == "王**"


def test_it_shows_staff_names_to_staff_and_only_roles_to_the_reporter(cw, case_in):
    case = case_in("dispatched")
    client_for(cw.grid_worker).post(
        f"{URL}{case.tracking_number}/comments", {"note": "内部备注"}, content_type="application/json"
    )
    staff = client_for(cw.town_operator).get(f"{URL}{case.tracking_number}").json()
    accept = next(e for e in staff["events"] if e["action"] == "accept")
    assert accept["actor"] == "李网格"
    assert accept["actor_role_label"] == "Grid worker"
    assert any(e["action"] == "comment" for e in staff["events"])
    assert staff["appointments"] == []
    mine = client_for(cw.resident).get(f"{URL}{case.tracking_number}")
    body = mine.json()
    assert all(e["actor"] is None for e in body["events"])
    assert {e["actor_role_label"] for e in body["events"]} >= {"Grid worker", "Town command centre"}
    assert not any(e["action"] == "comment" for e in body["events"])
    for name in ("李网格", "赵村干", "钱指挥", "内部备注"):
        assert name not in mine.content.decode()


def test_it_links_photos_in_both_sizes(cw, case_in):
    case = case_in("reported")
    photo = case.photos.get()
    body = client_for(cw.grid_worker).get(f"{URL}{case.tracking_number}").json()
    assert body["photos"][0]["url"] == f"/cases/{case.tracking_number}/photos/{photo.pk}/full/"
    assert body["photos"][0]["thumbnail_url"] == f"/cases/{case.tracking_number}/photos/{photo.pk}/thumb/"


# ---------------------------------------------------------------------------------------------
# Actions


def act(user, case, action, body=None):
    return post_json(client_for(user), f"{URL}{case.tracking_number}/actions/{action}", body or {})


def test_it_lets_the_grid_worker_accept_through_the_api(cw, case_in):
    case = case_in("reported")
    response = act(cw.grid_worker, case, "accept", {"note": "已现场核实"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "accepted"
    assert body["events"][-1]["action"] == "accept"
    assert body["events"][-1]["note"] == "已现场核实"
    assert [a["action"] for a in body["actions"]] == ["handle_in_grid", "escalate_to_village", "comment"]


def test_it_refuses_an_action_to_the_wrong_role_and_the_outsider(cw, case_in):
    case = case_in("reported")
    refused = act(cw.village_cadre, case, "accept")
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden"
    assert act(cw.outsider, case, "accept").status_code == 404
    assert Case.objects.get(pk=case.pk).state == "reported"
    assert CaseEvent.objects.filter(case=case).count() == 1


def test_it_answers_409_to_an_action_not_possible_now(cw, case_in):
    case = case_in("reported")
    response = act(cw.grid_worker, case, "pass_check")
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_action"
    assert act(cw.grid_worker, case, "fly_away").status_code == 404


def test_it_dispatches_with_co_agencies_and_an_appointment(cw, case_in):
    case = case_in("town")
    starts = (timezone.localtime() + timedelta(days=1)).replace(tzinfo=None, microsecond=0)
    response = act(
        cw.town_operator,
        case,
        "dispatch",
        {
            "agency": "water",
            "co_agencies": ["power"],
            "note": "请水务牵头",
            "appointment": {
                "starts_at": starts.isoformat(),
                "place": "甲一村路口",
                "participants": "水务、供电",
            },
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "dispatched"
    assert body["lead_agency"]["code"] == "water"
    assert [a["code"] for a in body["co_agencies"]] == ["power"]
    assert body["appointments"][0]["place"] == "甲一村路口"
    assert case.appointments.get().starts_at == timezone.make_aware(starts)


def test_it_dispatches_from_a_form_with_dotted_appointment_fields(cw, case_in):
    case = case_in("town")
    starts = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client_for(cw.town_operator).post(
        f"{URL}{case.tracking_number}/actions/dispatch",
        {
            "agency": "water",
            "co_agencies": ["power"],
            "appointment.starts_at": starts,
            "appointment.place": "村委会",
            "appointment.participants": "",
            "until": "",
        },
    )
    assert response.status_code == 200, response.content
    assert response.json()["co_agencies"] == [{"code": "power", "name": "Power"}]
    assert case.appointments.get().place == "村委会"


def test_it_refuses_unknown_codes_with_field_errors_and_writes_nothing(cw, case_in):
    case = case_in("town")
    response = act(cw.town_operator, case, "dispatch", {"agency": "nope", "co_agencies": ["gone"]})
    assert response.status_code == 400
    fields = response.json()["extra"]["fields"]
    assert "nope" in fields["agency"]
    assert "gone" in fields["co_agencies"]
    assert Case.objects.get(pk=case.pk).state == "town"
    missing = act(cw.town_operator, case, "dispatch", {})
    assert missing.status_code == 400
    assert "agency" in missing.json()["extra"]["fields"]


def test_it_resolves_with_a_photo_sent_as_a_form(cw, case_in):
    from django.core.files.uploadedfile import SimpleUploadedFile

    case = case_in("in_progress")
    photo = SimpleUploadedFile("done.jpg", jpeg((0, 200, 0)), content_type="image/jpeg")
    response = client_for(cw.agency_staff).post(
        f"{URL}{case.tracking_number}/actions/resolve", {"note": "已修复", "photos": [photo]}
    )
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "checking"
    assert case.photos.filter(kind="result").count() == 1


def test_it_answers_204_when_the_action_takes_the_case_out_of_sight(cw, case_in):
    case = case_in("dispatched")
    response = act(cw.agency_staff, case, "return_dispatch", {"note": "不属于本单位"})
    assert response.status_code == 204
    assert Case.objects.get(pk=case.pk).state == "town"


def test_it_walks_a_case_to_closed_through_the_api(cw, case_in):
    case = case_in("checking")
    assert act(cw.grid_worker, case, "pass_check").status_code == 200
    rated = act(cw.resident, case, "rate", {"solved": True, "satisfaction": "satisfied", "note": "谢谢"})
    assert rated.status_code == 200, rated.content
    assert rated.json()["state"] == "closed"


def test_it_adds_a_comment(cw, case_in):
    case = case_in("accepted")
    response = client_for(cw.resident).post(
        f"{URL}{case.tracking_number}/comments", {"note": "坑越来越大了"}, content_type="application/json"
    )
    assert response.status_code == 201
    assert response.json()["events"][-1]["note"] == "坑越来越大了"
    empty = client_for(cw.resident).post(
        f"{URL}{case.tracking_number}/comments", {"note": "  "}, content_type="application/json"
    )
    assert empty.status_code == 400


# ---------------------------------------------------------------------------------------------
# Categories, notifications, the public page


def test_it_lists_categories_in_two_levels(cw):
    body = client_for().get(f"{URL}categories", {**INSIDE, "crs": "wgs84"}).json()
    roads = next(m for m in body if m["code"] == "C02")
    assert roads["name"] == "Roads and traffic"
    pothole = next(c for c in roads["children"] if c["code"] == "C0201")
    assert pothole["photo_required"] is True
    assert client_for().get(f"{URL}categories", {**INSIDE, "crs": "utm"}).status_code == 400


def test_it_lists_and_marks_notifications(cw, case_in, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case_in("town")
    client = client_for(cw.town_operator)
    body = client.get(f"{URL}notifications", {"unread": "true"}).json()
    assert body["unread"] >= 1
    assert body["items"][0]["kind"] == "new_work"
    first = body["items"][0]["id"]
    others = Notification.objects.exclude(user=cw.town_operator).values_list("pk", flat=True)
    marked = post_json(client, f"{URL}notifications/read", {"ids": [first, *others]}).json()
    assert marked["marked"] == 1
    assert Notification.objects.exclude(user=cw.town_operator).filter(read_at__isnull=False).count() == 0
    everything = post_json(client, f"{URL}notifications/read", {"all": True}).json()
    assert everything["unread"] == 0
    assert post_json(client, f"{URL}notifications/read", {}).status_code == 400


def test_public_status_carries_no_personal_data(cw, category):
    case = report(cw, category, reporter_phone="13912345678", address="甲一村路口")
    walk(cw, case, PATHS["accepted"])
    response = client_for().get(f"{URL}public/{case.tracking_number}")
    assert response.status_code == 200
    text = response.content.decode()
    for private in ("13912345678", "139****5678", "王居民", "李网格", "resident", "gridworker"):
        assert private not in text
    body = response.json()
    assert [e["action"] for e in body["events"]] == ["report", "accept"]
    # The fields integrators read stay; no field names a person.
    assert set(body["events"][0]) >= {"at", "action", "label", "state"}
    assert "actor" not in body["events"][0]
    assert body["events"][0]["actor_role"] == "reporter"


def test_public_status_hides_a_private_case(cw, category):
    case = report(cw, category, is_public=False)
    assert client_for().get(f"{URL}public/{case.tracking_number}").status_code == 404


# ---------------------------------------------------------------------------------------------
# 12345 orders


def order(**kw) -> dict:
    return {
        "order_number": "GD20261129000123",
        "category": "E0104",
        "description": "夜间施工噪声扰民",
        **INSIDE,
        "caller_phone": "+86 139 1234 5678",
        "caller_name": "陈先生",
        "received_at": "2026-11-29T10:05:00",
        "urgent": False,
        **kw,
    }


def bearer(user) -> dict:
    _token, plain = api_token_create(user=user, name="12345 integration")
    return {"Authorization": f"Bearer {plain}"}


def test_it_files_a_hotline_order_once(cw):
    client = Client(headers={"Accept-Language": "en", **bearer(cw.town_operator)})
    first = post_json(client, f"{URL}hotline/orders", order())
    assert first.status_code == 201, first.content
    again = post_json(client, f"{URL}hotline/orders", order(description="重复推送"))
    assert again.status_code == 200
    assert again.json()["tracking_number"] == first.json()["tracking_number"]
    case = Case.objects.get()
    assert case.source == "hotline"
    assert case.external_ref == "GD20261129000123"
    assert case.reporter is None
    assert case.reporter_phone == "13912345678"
    assert case.reporter_name == "陈先生"
    assert case.is_public is False
    assert case.events.get().actor == cw.town_operator


def test_it_marks_an_urgent_hotline_order_urgent(cw):
    response = post_json(client_for(cw.town_operator), f"{URL}hotline/orders", order(urgent=True))
    assert response.status_code == 201
    assert Case.objects.get().priority == "urgent"


@pytest.mark.parametrize("persona", ["resident", "agency_staff", None])
def test_it_refuses_hotline_orders_without_the_intake_permission(cw, persona):
    client = client_for(getattr(cw, persona) if persona else None)
    response = post_json(client, f"{URL}hotline/orders", order())
    assert response.status_code == (401 if persona is None else 403)
    assert not Case.objects.exists()


def test_it_refuses_a_hotline_order_with_an_unknown_category(cw):
    response = post_json(client_for(cw.town_operator), f"{URL}hotline/orders", order(category="Z0000"))
    assert response.status_code == 400
    assert "category" in response.json()["extra"]["fields"]
    assert not Case.objects.exists()


def test_the_openapi_schema_documents_both_body_types(cw):
    schema = client_for().get("/api/v1/openapi.json").json()
    create = schema["paths"]["/api/v1/cases/"]["post"]
    assert set(create["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
    assert create["summary"]
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])
    for path, operations in schema["paths"].items():
        if path.startswith("/api/v1/cases"):
            assert all(op.get("summary") for op in operations.values()), path
