"""Open311 GeoReport v2 at /open311/v2/: every method in both formats against the spec's schemas,
every refusal, and a request filed through it walking the whole loop."""

from __future__ import annotations

import io
import json
from datetime import UTC, timedelta
from xml.etree import ElementTree as ET

import jsonschema
import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image

from civicgrid.accounts import services as accounts
from civicgrid.accounts.models import ClientApp
from civicgrid.cases import services
from civicgrid.cases.models import Case
from civicgrid.cases.tests.conftest import PATHS, backdate, jpeg, report, walk
from civicgrid.open311.models import Open311Request
from civicgrid.open311.tests import schemas
from civicgrid.open311.tests.conftest import BASE

POINT_A = {"lat": "31.605", "long": "120.705"}  # grid A1a, town A
PRIVATE = {
    "first_name": "小明",
    "last_name": "王",
    "email": "wang@example.cn",
    "phone": "13912345678",
    "device_id": "device-42",
    "account_id": "acct-7",
}


def filed(o311, key, **extra) -> dict:
    answer = o311.post(data={"api_key": key, "service_code": "C0601", **POINT_A, **extra})
    assert answer.status_code == 201, answer.content
    data = json.loads(answer.content)
    jsonschema.validate(data, schemas.POST_RESPONSE)
    return data[0]


def errors_of(answer, status: int) -> list[str]:
    assert answer.status_code == status, answer.content[:400]
    if answer["Content-Type"].startswith("text/xml"):
        return [e.findtext("description") for e in ET.fromstring(answer.content)]
    data = json.loads(answer.content)
    jsonschema.validate(data, schemas.ERRORS)
    assert {e["code"] for e in data} == {status}
    return [e["description"] for e in data]


# ---------------------------------------------------------------------------------------------
# Discovery and services


def test_discovery_in_both_formats(world, o311):
    data = o311.both("discovery", schemas.DISCOVERY)
    endpoint = data["endpoints"][0]
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    assert endpoint["type"] == "production"
    assert data["changeset"] == endpoint["changeset"]


def test_the_changeset_moves_when_a_category_changes(world, o311, asked):
    from datetime import datetime

    from civicgrid.cases.models import CategoryRevision

    # The last change, long ago: the changeset says so.
    CategoryRevision.objects.update(changed_at=datetime(2026, 1, 1, tzinfo=UTC))
    before = o311.both("discovery", schemas.DISCOVERY)["changeset"]
    assert before == "2026-01-01T08:00:00+08:00"
    asked.name = "道路坑洼（改）"
    asked.save()
    assert o311.both("discovery", schemas.DISCOVERY)["changeset"] > before


def test_services_are_the_reportable_minor_categories(world, o311, asked):
    data = o311.both("services", schemas.SERVICES)
    by_code = {s["service_code"]: s for s in data}
    assert "C0201" in by_code and "C0601" in by_code
    assert by_code["C0201"]["metadata"] is True
    assert by_code["C0601"]["metadata"] is False
    assert all(s["type"] == "realtime" for s in data)
    # The group is the major class; no major class is a service.
    assert by_code["C0201"]["group"] == asked.parent.name
    assert asked.parent.code not in by_code


def test_a_service_definition_lists_its_questions_in_order(world, o311, asked):
    data = o311.both("services/C0201", schemas.SERVICE_DEFINITION)
    assert data["service_code"] == "C0201"
    assert [a["code"] for a in data["attributes"]] == ["severity", "hazards", "width"]
    severity = data["attributes"][0]
    assert severity == {
        "variable": True,
        "code": "severity",
        "datatype": "singlevaluelist",
        "required": True,
        "datatype_description": "选一项",
        "order": 1,
        "description": "损坏程度",
        "values": [{"key": "missing", "name": "缺失"}, {"key": "broken", "name": "破损"}],
    }
    assert data["attributes"][2]["values"] == []
    english = o311.client.get(f"{BASE}/services/C0201.json", HTTP_ACCEPT_LANGUAGE="en")
    assert json.loads(english.content)["attributes"][0]["description"] == "Damage"


def test_a_category_without_questions_has_an_empty_definition(world, o311):
    assert o311.both("services/C0601", schemas.SERVICE_DEFINITION)["attributes"] == []


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_service_jurisdiction_request_token_and_path_are_not_found(world, o311, fmt):
    client = o311.client
    for path in ("services/NOPE", "requests/20990101-0001", "tokens/feedface", "nothing/here"):
        errors_of(client.get(f"{BASE}/{path}.{fmt}"), 404)
    errors_of(client.get(f"{BASE}/services.{fmt}", {"jurisdiction_id": "elsewhere.gov"}), 404)


def test_the_jurisdiction_may_be_given_or_left_out_and_empty_is_absent(world, o311, settings):
    settings.OPEN311_JURISDICTION_ID = "haitang.gov.cn"
    for value in ("haitang.gov.cn", "", None):
        params = {} if value is None else {"jurisdiction_id": value}
        o311.both("services", schemas.SERVICES, **params)


# ---------------------------------------------------------------------------------------------
# POST requests: refusals create nothing


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_missing_wrong_or_revoked_key_is_forbidden(world, o311, key, fmt):
    data = {"service_code": "C0601", **POINT_A, "description": "路灯不亮"}
    errors_of(o311.post(fmt, data=data), 403)
    errors_of(o311.post(fmt, data={**data, "api_key": "o311_nope_nope"}), 403)
    errors_of(o311.post(fmt, data={**data, "api_key": ""}), 403)
    client = ClientApp.objects.get()
    accounts.client_app_revoke(actor=world.superuser, client=client)
    errors_of(o311.post(fmt, data={**data, "api_key": key}), 403)
    assert not Case.objects.exists()


def test_bad_input_gets_a_400_in_the_spec_shape_and_creates_nothing(world, o311, key, asked):
    base = {"api_key": key, "service_code": "C0201", **POINT_A, "attribute[severity]": "broken"}
    cases = [
        ({"service_code": ""}, 400, "service_code"),
        ({"lat": "north"}, 400, "lat"),
        ({"lat": "91"}, 400, "lat"),
        ({"long": "NaN"}, 400, "long"),
        ({"long": ""}, 400, "long"),
        ({"lat": "", "long": ""}, 400, "lat"),
        ({"lat": "", "long": "", "address_id": "A-77"}, 400, "address_id"),
        ({"lat": "", "long": "", "address_string": "路" * 201}, 400, "address_string"),
        ({"description": "坑" * 5000}, 400, "description"),
        ({"attribute[severity]": "gone"}, 400, "attribute[severity]"),
        ({"attribute[severity]": ""}, 400, "attribute[severity]"),
        ({"attribute[colour]": "red"}, 400, "attribute[colour]"),
        ({"attribute[hazards][]": ["traffic", "fire"]}, 400, "attribute[hazards]"),
        ({"attribute[width]": "wide"}, 400, "attribute[width]"),
        ({"phone": "12"}, 400, "phone"),
        ({"email": "x" * 300}, 400, "email"),
        ({"media_url": "javascript:alert(1)"}, 400, "media_url"),
        ({"jurisdiction_id": "elsewhere.gov"}, 404, "elsewhere.gov"),
        ({"service_code": "NOPE"}, 404, "NOPE"),
    ]
    for change, status, named in cases:
        data = {k: v for k, v in {**base, **change}.items()}
        for fmt in ("json", "xml"):
            descriptions = errors_of(o311.post(fmt, data=data), status)
            assert any(named in d for d in descriptions), (change, descriptions)
    assert not Case.objects.exists()
    assert not Open311Request.objects.exists()


def test_a_point_outside_the_keys_region_is_refused(world, o311, town_b_key):
    descriptions = errors_of(
        o311.post(data={"api_key": town_b_key, "service_code": "C0601", **POINT_A, "description": "路灯"}),
        400,
    )
    assert "乙街道" in descriptions[0]
    assert not Case.objects.exists()


def test_broken_multipart_is_a_400(world, o311, key):
    answer = o311.post(
        raw=b'--nope\r\nContent-Disposition: form-data; name="api_key"\r\n\r\n' + key.encode(),
        content_type="multipart/form-data",
    )
    errors_of(answer, 400)
    assert not Case.objects.exists()


def test_an_oversized_photo_is_refused(world, o311, key, settings):
    settings.CASE_PHOTO_MAX_BYTES = 1000
    photo = io.BytesIO(jpeg(size=(400, 400)) + b"\0" * 2000)
    photo.name = "big.jpg"
    answer = o311.post(data=None, files={"media": photo, "api_key": key, "service_code": "C0601", **POINT_A})
    descriptions = errors_of(answer, 400)
    assert descriptions
    assert not Case.objects.exists()


def test_posts_are_rate_limited_per_key(world, o311, key):
    ClientApp.objects.update(posts_per_hour=2)
    filed(o311, key, description="路灯不亮 1")
    filed(o311, key, description="路灯不亮 2")
    limited = o311.post(data={"api_key": key, "service_code": "C0601", **POINT_A, "description": "3"})
    errors_of(limited, 429)
    assert 0 < int(limited["Retry-After"]) <= 3600
    assert Case.objects.count() == 2


# ---------------------------------------------------------------------------------------------
# POST requests: accepted


def test_a_request_is_filed_through_the_one_intake(world, o311, key, asked):
    data = {
        "api_key": key,
        "service_code": "c0201",  # codes match in any case
        **POINT_A,
        "address_string": "幸福路 12 号",
        "description": "路中间一个大坑",
        "attribute[severity]": "broken",
        "attribute[hazards][]": ["traffic", "night"],
        "attribute[width]": "1.5",
        **PRIVATE,
    }
    answer = o311.post(data=data)
    assert answer.status_code == 201, answer.content
    record = json.loads(answer.content)[0]
    assert record["account_id"] == "acct-7"
    assert "token" not in record
    case = Case.objects.get(tracking_number=record["service_request_id"])
    assert case.source == Case.Source.OPEN311
    assert case.category == asked
    assert case.grid == world.grid_a1a
    assert case.reporter is None
    assert case.reporter_phone == "13912345678"
    # The client names the person reporting: the staff see it on the case, the public never.
    assert case.reporter_name == "王小明"
    assert case.answers == {"severity": "broken", "hazards": ["traffic", "night"], "width": 1.5}
    kept = Open311Request.objects.get(case=case)
    assert (kept.first_name, kept.last_name, kept.email, kept.device_id) == (
        "小明",
        "王",
        "wang@example.cn",
        "device-42",
    )
    assert kept.client.name == "随手拍小程序"
    # The reporter fields are never returned, in any format or method.
    for fmt in ("json", "xml"):
        for path in (f"requests/{case.tracking_number}", "requests"):
            body = o311.client.get(f"{BASE}/{path}.{fmt}", {"extensions": "true"}).content.decode()
            assert case.tracking_number in body
            for value in PRIVATE.values():
                assert value not in body


def test_the_xml_post_answer_carries_what_the_json_does(world, o311, key):
    answer = o311.post("xml", data={"api_key": key, "service_code": "C0601", **POINT_A, "description": "灯"})
    assert answer.status_code == 201
    root = ET.fromstring(answer.content)
    assert root.tag == "service_requests"
    (request,) = root
    assert request.tag == "request"
    assert [child.tag for child in request] == ["service_request_id", "service_notice", "account_id"]
    assert Case.objects.filter(tracking_number=request.findtext("service_request_id")).exists()


def test_empty_parameters_are_absent_ones(world, o311, key):
    record = filed(o311, key, description="", email="", first_name="", address_string="", media_url="")
    case = Case.objects.get(tracking_number=record["service_request_id"])
    # No description: the service's name says what it is.
    assert case.description == case.category.name
    assert record["account_id"] is None


def test_a_retry_with_the_same_idempotency_key_files_one_case(world, o311, key):
    data = {"api_key": key, "service_code": "C0601", **POINT_A, "description": "路灯不亮"}
    first = o311.post(data=data, headers={"Idempotency-Key": "retry-12345678"})
    again = o311.post(data=data, headers={"Idempotency-Key": "retry-12345678"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert (
        json.loads(first.content)[0]["service_request_id"]
        == json.loads(again.content)[0]["service_request_id"]
    )
    assert Case.objects.count() == 1 and Open311Request.objects.count() == 1
    other = o311.post(data={**data, "description": "另一盏"}, headers={"Idempotency-Key": "retry-12345678"})
    errors_of(other, 422)


def test_a_photo_posted_as_media_is_served_as_the_public_thumbnail(world, o311, key):
    photo = io.BytesIO(jpeg())
    photo.name = "lamp.jpg"
    answer = o311.post(
        files={"media": photo, "api_key": key, "service_code": "C0601", **POINT_A, "description": "灯"}
    )
    assert answer.status_code == 201, answer.content
    number = json.loads(answer.content)[0]["service_request_id"]
    record = o311.both(f"requests/{number}", schemas.REQUESTS)[0]
    assert record["media_url"].startswith("http://testserver/cases/")
    thumb = Client().get(record["media_url"].removeprefix("http://testserver"))
    assert thumb.status_code == 200
    assert Image.open(io.BytesIO(b"".join(thumb.streaming_content))).format == "JPEG"


# ---------------------------------------------------------------------------------------------
# GET requests


def test_requests_list_filters_and_pages(world, o311, key):
    lamps = [filed(o311, key, description=f"路灯 {n}")["service_request_id"] for n in range(3)]
    pothole = report(world, "C0201").tracking_number
    private = report(world, "C0201", is_public=False).tracking_number
    old = backdate(report(world, "C0601"), days=100).tracking_number
    closed = walk(world, Case.objects.get(tracking_number=lamps[0]), PATHS["rejected"]).tracking_number

    def ids(**params):
        return [r["service_request_id"] for r in o311.both("requests", schemas.REQUESTS, **params)]

    every = ids()
    assert set(every) == {*lamps, pothole}
    assert private not in every and old not in every
    assert every == [pothole, lamps[2], lamps[1], lamps[0]]  # newest first
    assert set(ids(service_code="C0201")) == {pothole}
    assert set(ids(service_code="C0201,C0601")) == set(every)
    assert ids(status="closed") == [closed]
    assert set(ids(status="open")) == set(every) - {closed}
    assert set(ids(status="open,closed")) == set(every)
    assert ids(page_size="2") == every[:2]
    assert ids(page_size="2", page="2") == every[2:]
    assert ids(page_size="2", page="3") == []
    # Empty parameters are absent ones.
    assert ids(status="", service_code="", start_date="", page="") == every
    # An id list overrides every other filter, and leaves out what the public may not see.
    assert ids(service_request_id=f"{closed},{old},{private}", status="open", service_code="C0201") == [
        closed,
        old,
    ]
    # A window back in time.
    start = (timezone.localtime() - timedelta(days=120)).date().isoformat()
    assert ids(start_date=start) == [old]
    end = timezone.localtime().isoformat(timespec="seconds")
    assert set(ids(start_date=start, end_date=(timezone.localtime() - timedelta(days=31)).isoformat())) == {
        old
    }
    assert end  # a zone-aware moment is accepted


def test_requests_list_refuses_bad_filters(world, o311):
    client = o311.client
    long_ago = (timezone.now() - timedelta(days=200)).date().isoformat()
    for params, named in [
        ({"start_date": long_ago, "end_date": timezone.now().date().isoformat()}, "90"),
        ({"start_date": "yesterday"}, "start_date"),
        ({"start_date": "2026-11-02", "end_date": "2026-11-01"}, "end_date"),
        ({"status": "pending"}, "status"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "1001"}, "page_size"),
        ({"page": "x"}, "page"),
    ]:
        for fmt in ("json", "xml"):
            descriptions = errors_of(client.get(f"{BASE}/requests.{fmt}", params), 400)
            assert any(named in d for d in descriptions), (params, descriptions)
    errors_of(client.get(f"{BASE}/requests.json", {"service_code": "NOPE"}), 404)


def test_a_private_case_is_not_found(world, o311):
    private = report(world, "C0201", is_public=False)
    errors_of(o311.client.get(f"{BASE}/requests/{private.tracking_number}.json"), 404)


def test_a_token_gives_its_request_id(world, o311, key):
    number = filed(o311, key)["service_request_id"]
    token = Open311Request.objects.get().token
    data = o311.both(f"tokens/{token}", schemas.TOKENS)
    assert data == [{"service_request_id": number, "token": token}]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_other_methods_are_refused_in_the_spec_shape(world, o311, fmt):
    answer = o311.client.put(f"{BASE}/requests.{fmt}")
    errors_of(answer, 405)
    assert answer["Allow"] == "GET, POST"
    errors_of(o311.client.post(f"{BASE}/services.{fmt}"), 405)


def test_public_reads_are_open_to_any_origin(world, o311):
    answer = o311.client.get(f"{BASE}/services.json")
    assert answer["Access-Control-Allow-Origin"] == "*"


# ---------------------------------------------------------------------------------------------
# The whole loop, as an Open311 client sees it


def test_a_request_walks_the_loop_and_its_answers_follow(cw, o311, key, client):
    world = cw
    photo = io.BytesIO(jpeg())
    photo.name = "lamp.jpg"
    answer = o311.post(
        files={
            "media": photo,
            "api_key": key,
            "service_code": "C0601",
            **POINT_A,
            "description": "路灯不亮，晚上很黑",
        }
    )
    assert answer.status_code == 201, answer.content
    number = json.loads(answer.content)[0]["service_request_id"]

    def seen() -> dict:
        record = o311.both(f"requests/{number}", schemas.REQUESTS_EXTENDED, extensions="true")[0]
        return record

    first = seen()
    assert first["status"] == "open"
    assert first["status_notes"] is None
    assert first["agency_responsible"] == world.grid_a1a.name
    assert first["extended_attributes"]["detailed_status"] == "reported"
    assert first["lat"] == 31.605 and first["long"] == 120.705

    # It lands in the town centre and the grid worker's queue like any report.
    client.force_login(world.town_operator)
    assert number in client.get("/cases/work/centre/").content.decode()
    # With its photo, which the staff open at full size.
    photo_id = Case.objects.get(tracking_number=number).photos.get().pk
    page = client.get(f"/cases/{number}/").content.decode()
    assert f"/cases/{number}/photos/{photo_id}/full/" in page
    assert client.get(f"/cases/{number}/photos/{photo_id}/full/").status_code == 200
    client.force_login(world.grid_worker)
    assert number in client.get("/cases/work/").content.decode()

    case = walk(world, Case.objects.get(tracking_number=number), PATHS["dispatched"])
    dispatched = seen()
    assert dispatched["status"] == "open"
    assert dispatched["agency_responsible"] == "市水务局"
    assert dispatched["extended_attributes"]["detailed_status"] == "dispatched"

    services.case_act(case=case, action="sign", actor=world.agency_staff)
    # The agency's resolution deadline runs from its signature: the time to expect it fixed.
    due = Case.objects.get(pk=case.pk).resolution_due_at
    assert seen()["expected_datetime"] == timezone.localtime(due).isoformat(timespec="seconds")
    services.case_act(
        case=Case.objects.get(pk=case.pk),
        action="comment",
        actor=world.town_operator,
        note="已派水务局处理",
        reply=True,
    )
    services.case_act(
        case=Case.objects.get(pk=case.pk), action="comment", actor=world.agency_staff, note="内部：备件缺货"
    )
    replied = seen()
    assert replied["status_notes"] == "已派水务局处理"
    notes = [n["description"] for n in replied["notes"]]
    assert "已派水务局处理" in notes
    assert not any("备件" in n for n in notes)  # an internal note never shows
    assert "郑" not in json.dumps(replied, ensure_ascii=False)

    services.case_act(
        case=Case.objects.get(pk=case.pk),
        action="resolve",
        actor=world.agency_staff,
        note="灯已修好",
        photos=[jpeg((10, 200, 10))],
    )
    services.case_act(case=Case.objects.get(pk=case.pk), action="pass_check", actor=world.grid_worker)
    closed = services.case_act(
        case=Case.objects.get(pk=case.pk), action="auto_close", actor=None, system=True
    )
    assert closed.state == Case.State.CLOSED
    final = seen()
    assert final["status"] == "closed"
    assert final["updated_datetime"] == timezone.localtime(closed.closed_at).isoformat(timespec="seconds")
    listed = o311.both("requests", schemas.REQUESTS, status="closed")
    assert [r["service_request_id"] for r in listed] == [number]


def test_no_other_door_files_as_open311(world, client):
    client.force_login(world.resident)
    answer = client.post(
        "/api/v1/cases/",
        {"source": "open311", "category": "C0601", "lon": 120.705, "lat": 31.605, "description": "灯"},
        content_type="application/json",
    )
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid_source"
    assert not Case.objects.exists()


def test_the_staff_see_which_client_filed_it(world, o311, key, client):
    number = filed(o311, key, first_name="小明", last_name="王", phone="13912345678")["service_request_id"]
    client.force_login(world.town_operator)
    page = client.get(f"/cases/{number}/").content.decode()
    assert "Open311: 随手拍小程序" in page
    assert "王小明" in page


# The tag names and their order in the spec's own examples (GeoReport v2).
SPEC_TAGS = {
    "services": ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"],
    "request": [
        "service_request_id",
        "status",
        "status_notes",
        "service_name",
        "service_code",
        "description",
        "agency_responsible",
        "service_notice",
        "requested_datetime",
        "updated_datetime",
        "expected_datetime",
        "address",
        "address_id",
        "zipcode",
        "lat",
        "long",
        "media_url",
    ],
    "attribute": [
        "variable",
        "code",
        "datatype",
        "required",
        "datatype_description",
        "order",
        "description",
        "values",
    ],
    "discovery": ["changeset", "contact", "key_service", "endpoints"],
    "endpoint": ["specification", "url", "changeset", "type", "formats"],
}


def test_tag_names_and_order_follow_the_spec_examples(world, o311, key, asked):
    get = o311.client.get
    services_xml = ET.fromstring(get(f"{BASE}/services.xml").content)
    assert services_xml.tag == "services"
    assert {child.tag for child in services_xml} == {"service"}
    assert [t.tag for t in services_xml[0]] == SPEC_TAGS["services"]
    definition = ET.fromstring(get(f"{BASE}/services/C0201.xml").content)
    assert definition.tag == "service_definition"
    assert [t.tag for t in definition] == ["service_code", "attributes"]
    attribute = definition.find("attributes/attribute")
    assert [t.tag for t in attribute] == SPEC_TAGS["attribute"]
    assert [t.tag for t in attribute.find("values/value")] == ["key", "name"]
    discovery = ET.fromstring(get(f"{BASE}/discovery.xml").content)
    assert [t.tag for t in discovery] == SPEC_TAGS["discovery"]
    assert [t.tag for t in discovery.find("endpoints/endpoint")] == SPEC_TAGS["endpoint"]
    assert [t.text for t in discovery.find("endpoints/endpoint/formats")] == ["text/xml", "application/json"]
    filed(o311, key)
    requests_xml = ET.fromstring(get(f"{BASE}/requests.xml").content)
    assert requests_xml.tag == "service_requests"
    assert [t.tag for t in requests_xml.find("request")] == SPEC_TAGS["request"]
    errors = ET.fromstring(get(f"{BASE}/services/NOPE.xml").content)
    assert errors.tag == "errors"
    assert [t.tag for t in errors.find("error")] == ["code", "description"]
    assert errors.find("error/code").text == "404"


def test_an_address_alone_is_placed_by_the_village_it_names_and_waits_for_its_grid(world, o311, key, client):
    record = filed(
        o311, key, lat="", long="", address_string="海棠市甲一村幸福路 12 号", description="路灯不亮"
    )
    case = Case.objects.get(tracking_number=record["service_request_id"])
    # Unrouted, in village A1 of town A, at the village's centre: the village's queue places it.
    assert (case.routed, case.grid_id, case.village, case.town) == (
        False,
        None,
        world.village_a1,
        world.town_a,
    )
    assert case.address == "海棠市甲一村幸福路 12 号"
    client.force_login(world.town_operator)
    page = client.get(f"/cases/{case.tracking_number}/").content.decode()
    assert "Placed from the address only" in page
    # The operator puts it in its grid like any unrouted report.
    services.case_act(case=case, action="assign_grid", actor=world.town_operator, grid=world.grid_a1b)
    case.refresh_from_db()
    assert (case.routed, case.grid) == (True, world.grid_a1b)


def test_an_address_on_the_register_is_routed_to_its_grid(world, o311, key):
    from civicgrid.addresses import services as address_services

    address_services.address_add(
        user=None, grid=world.grid_a1b, road="幸福路", number="12", lon=None, lat=None
    )
    record = filed(
        o311, key, lat="", long="", address_string="海棠市甲一村幸福路十二号附近", description="路灯不亮"
    )
    case = Case.objects.get(tracking_number=record["service_request_id"])
    # The register knows 幸福路12号: the request lands in its grid, routed, at the grid's centre.
    assert (case.routed, case.grid, case.village, case.town) == (
        True,
        world.grid_a1b,
        world.village_a1,
        world.town_a,
    )
    event = case.events.get(action="report")
    assert event.data["located_by"] == "address" and event.data["address_match"] in {"exact", "parts"}


def test_an_address_naming_no_place_is_placed_in_the_keys_region(world, o311, town_b_key):
    record = filed(o311, town_b_key, lat="", long="", address_string="幸福路 12 号", description="路灯不亮")
    case = Case.objects.get(tracking_number=record["service_request_id"])
    assert (case.routed, case.grid_id, case.village_id, case.town) == (False, None, None, world.town_b)


def test_an_address_naming_a_place_outside_the_key_is_not_placed_there(world, o311, town_b_key):
    # 甲一村 is in town A; a key of town B files in town B.
    record = filed(o311, town_b_key, lat="", long="", address_string="甲一村幸福路 12 号", description="灯")
    assert Case.objects.get(tracking_number=record["service_request_id"]).town == world.town_b
