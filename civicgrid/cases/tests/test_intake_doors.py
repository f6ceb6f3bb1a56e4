"""One intake, many doors: the report page, the API, the 12345 endpoint and the 12345 import apply the
same rules (category, permission, staff-only fields, photo count, idempotency) with the same words."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from civicgrid.accounts.services import api_token_create
from civicgrid.cases import services
from civicgrid.cases.models import Case, CaseEvent, Category, TrackingCounter
from civicgrid.cases.tests.conftest import jpeg
from civicgrid.core.errors import ApplicationError, PermissionDenied

URL = "/api/v1/cases/"
ORDERS = "/api/v1/cases/hotline/orders"
REPORT = reverse("cases:report")
INSIDE = {"lon": 120.705, "lat": 31.605}
# E0104 (noise nuisance) needs no photo; its major class is E01.
PLAIN = "E0104"
REFUSED_CATEGORY = "No category with the code “E0104” to choose."
STAFF_ONLY = {
    "reporter_name": "Only staff recording a case for someone give the reporter's name.",
    "priority": "Only staff mark a report urgent; urgent categories are urgent anyway.",
    "external_ref": "Only staff give an external reference.",
}
STAFF_SOURCE = "Only staff may record cases from this source."


def client_for(user=None, **headers) -> Client:
    client = Client(headers={"Accept-Language": "en", **headers})
    if user is not None:
        client.force_login(user)
    return client


def bearer(user) -> dict:
    _token, plain = api_token_create(user=user, name="12345 integration")
    return {"Authorization": f"Bearer {plain}"}


def post_json(client: Client, url: str, body: dict, **headers):
    return client.post(url, json.dumps(body), content_type="application/json", headers=headers)


def api_report(**kw) -> dict:
    return {"category": PLAIN, "description": "夜间施工噪声扰民", **INSIDE, **kw}


def page_form(**kw) -> dict:
    data = {
        "lon": "120.705",
        "lat": "31.605",
        "category": PLAIN,
        "description": "夜间施工噪声扰民",
        "is_public": "on",
        "idempotency_key": "9f1c2b7e4a5d4c3b8e6f0a1b2c3d4e5f",
    }
    data.update(kw)
    return data


def order(**kw) -> dict:
    return {
        "order_number": "GD20261201000001",
        "category": PLAIN,
        "description": "夜间施工噪声扰民",
        **INSIDE,
        "caller_phone": "13912345678",
        "caller_name": "陈先生",
        **kw,
    }


def export(tmp_path, category: str = PLAIN):
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(["order_number", "category", "description", "lon", "lat"])
    writer.writerow(["GD20261201000002", category, "夜间施工噪声扰民", "120.705", "31.605"])
    path = tmp_path / "orders.csv"
    path.write_bytes(buffer.getvalue().encode())
    return path


def import_hotline(path, *args: str) -> tuple[str, CommandError | None]:
    out = StringIO()
    with translation.override("en"):
        try:
            call_command("import_hotline", str(path), *args, "--no-progress", stdout=out, stderr=StringIO())
        except CommandError as exc:
            return out.getvalue(), exc
    return out.getvalue(), None


def nothing_written() -> bool:
    return not (Case.objects.exists() or CaseEvent.objects.exists() or TrackingCounter.objects.exists())


# ---------------------------------------------------------------------------------------------
# One category rule


@pytest.fixture
def inactive_major(cw):
    """The major class of E0104 switched off: its minor classes may no longer be chosen anywhere."""
    major = Category.objects.get(code="E01")
    major.is_active = False
    major.save()
    return major


def test_the_report_page_refuses_a_category_under_an_inactive_major_class(cw, inactive_major):
    response = client_for(cw.resident).post(REPORT, page_form())
    assert response.status_code == 400
    assert REFUSED_CATEGORY in response.text
    assert nothing_written()


def test_the_api_refuses_a_category_under_an_inactive_major_class(cw, inactive_major):
    response = post_json(client_for(cw.resident), URL, api_report())
    assert response.status_code == 400
    assert response.json()["extra"]["fields"] == {"category": REFUSED_CATEGORY}
    assert nothing_written()


def test_the_12345_endpoint_refuses_a_category_under_an_inactive_major_class(cw, inactive_major):
    response = post_json(
        Client(headers={"Accept-Language": "en", **bearer(cw.town_operator)}), ORDERS, order()
    )
    assert response.status_code == 400
    assert response.json()["extra"]["fields"] == {"category": REFUSED_CATEGORY}
    assert nothing_written()


def test_the_12345_import_dry_run_refuses_a_category_under_an_inactive_major_class(
    cw, inactive_major, tmp_path
):
    out, error = import_hotline(export(tmp_path), "--user", "operator")
    assert error is not None
    assert f"row 2: error: 问题分类/category: {REFUSED_CATEGORY}" in out
    assert nothing_written()


def test_the_service_refuses_it_when_given_the_category_object(cw, inactive_major):
    stale = Category.objects.get(code=PLAIN)  # itself still active: only its major class is not
    with translation.override("en"), pytest.raises(ApplicationError) as caught:
        services.case_create(
            reporter=cw.resident, source="resident", category=stale, description="噪声", **INSIDE
        )
    assert caught.value.extra["fields"] == {"category": REFUSED_CATEGORY}


def test_every_door_files_the_category_once_its_major_class_is_active_again(cw, inactive_major):
    inactive_major.is_active = True
    inactive_major.save()
    assert post_json(client_for(cw.resident), URL, api_report()).status_code == 201


# ---------------------------------------------------------------------------------------------
# Intake permission and staff-only fields


@pytest.mark.parametrize("persona", ["resident", None])
def test_the_api_refuses_staff_only_fields_from_a_resident_or_anonymous(cw, persona):
    client = client_for(getattr(cw, persona) if persona else None)
    body = api_report(reporter_name="张三", priority="urgent", external_ref="GD-1")
    response = post_json(client, URL, body)
    assert response.status_code == 400
    assert response.json()["extra"]["fields"] == STAFF_ONLY
    assert nothing_written()


def test_the_service_refuses_staff_only_fields_to_any_door_that_passes_them(cw):
    with translation.override("en"), pytest.raises(ApplicationError) as caught:
        services.case_create(
            reporter=cw.resident,
            source="resident",
            category=PLAIN,
            description="噪声",
            reporter_name="张三",
            priority="urgent",
            external_ref="GD-1",
            **INSIDE,
        )
    assert caught.value.extra["fields"] == STAFF_ONLY
    assert nothing_written()


def test_the_report_page_has_no_staff_only_fields_and_ignores_them(cw):
    form = page_form(reporter_name="张三", priority="urgent", external_ref="GD-1")
    response = client_for(cw.resident).post(REPORT, form)
    assert response.status_code == 302
    case = Case.objects.get()
    assert (case.reporter_name, case.priority, case.external_ref) == ("", "normal", "")


def test_staff_give_the_staff_only_fields(cw):
    body = api_report(source="grid_patrol", reporter_name="张三", priority="urgent", external_ref="XC-7")
    response = post_json(client_for(cw.grid_worker), URL, body)
    assert response.status_code == 201, response.content
    case = Case.objects.get()
    assert (case.reporter_name, case.priority, case.external_ref) == ("张三", "urgent", "XC-7")
    assert case.reporter is None


@pytest.mark.parametrize("persona", ["resident", "agency_staff"])
def test_the_api_and_the_12345_endpoint_refuse_a_staff_source_alike(cw, persona):
    user = getattr(cw, persona)
    by_api = post_json(client_for(user), URL, api_report(source="hotline"))
    by_endpoint = post_json(client_for(user), ORDERS, order())
    assert by_api.status_code == by_endpoint.status_code == 403
    assert by_api.json()["message"] == by_endpoint.json()["message"] == STAFF_SOURCE
    assert nothing_written()


def test_the_12345_endpoint_does_not_show_a_resident_an_order_already_filed(cw):
    staff = Client(headers={"Accept-Language": "en", **bearer(cw.town_operator)})
    assert post_json(staff, ORDERS, order()).status_code == 201
    response = post_json(client_for(cw.resident), ORDERS, order())
    assert response.status_code == 403
    assert "tracking_number" not in response.json()


def test_the_12345_import_refuses_a_user_without_the_intake_permission(cw, tmp_path):
    _out, error = import_hotline(export(tmp_path), "--user", "resident", "--commit")
    assert error is not None and "may not record cases" in str(error)
    assert nothing_written()


def test_the_service_is_where_the_permission_is_decided(cw):
    with pytest.raises(PermissionDenied):
        services.case_create(
            reporter=None,
            actor=cw.agency_staff,
            source="hotline",
            category=PLAIN,
            description="噪声",
            **INSIDE,
        )


# ---------------------------------------------------------------------------------------------
# Photo count


def test_too_many_photos_are_refused_alike_as_json_and_as_a_form(cw, settings):
    settings.CASE_PHOTO_MAX_COUNT = 2
    photo = jpeg()
    as_json = post_json(
        client_for(cw.resident), URL, api_report(photos=[base64.b64encode(photo).decode()] * 3)
    )
    files = [SimpleUploadedFile(f"p{n}.jpg", photo, content_type="image/jpeg") for n in range(3)]
    as_form = client_for(cw.resident).post(URL, {**api_report(), "photos": files})
    assert as_json.status_code == as_form.status_code == 400
    assert as_json.json() == as_form.json()
    assert as_json.json()["code"] == "too_many_photos"
    assert as_json.json()["message"] == "At most 2 photos can be attached."
    assert nothing_written()


def test_the_base64_photos_are_counted_before_they_are_decoded(cw, settings):
    settings.CASE_PHOTO_MAX_COUNT = 1
    response = post_json(client_for(cw.resident), URL, api_report(photos=["not base64 at all"] * 2))
    assert response.status_code == 400
    assert response.json()["code"] == "too_many_photos"


# ---------------------------------------------------------------------------------------------
# Idempotency keys


KEY = {"Idempotency-Key": "report-2026-1201-0001"}


@pytest.mark.parametrize("persona", ["resident", None])
def test_a_key_sent_again_with_the_same_report_returns_the_first_case(cw, persona):
    client = client_for(getattr(cw, persona) if persona else None)
    first = post_json(client, URL, api_report(), **KEY)
    again = post_json(client, URL, api_report(), **KEY)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["tracking_number"] == first.json()["tracking_number"]
    assert Case.objects.count() == 1


@pytest.mark.parametrize("persona", ["resident", None])
def test_a_key_reused_with_a_different_report_is_refused_without_revealing_the_first(cw, persona):
    user = getattr(cw, persona) if persona else None
    first = post_json(client_for(user), URL, api_report(), **KEY)
    assert first.status_code == 201
    # Another anonymous client (or the same person) with another report and the same key.
    other = post_json(client_for(user), URL, api_report(description="楼下餐馆油烟"), **KEY)
    assert other.status_code == 422
    body = other.json()
    assert body["code"] == "idempotency_key_reused"
    assert set(body) == {"message", "code", "extra"}
    text = other.content.decode()
    assert first.json()["tracking_number"] not in text
    assert "夜间施工噪声扰民" not in text
    assert Case.objects.count() == 1


@pytest.mark.parametrize(
    "change",
    [
        {"lon": 120.7051},
        {"category": "E0601"},
        {"address": "甲一村5组"},
        {"reporter_phone": "13912345678"},
        {"is_public": False},
        {"photos": [base64.b64encode(jpeg()).decode()]},
    ],
)
def test_any_field_that_makes_the_report_counts_as_a_different_request(cw, change):
    assert post_json(client_for(), URL, api_report(), **KEY).status_code == 201
    assert post_json(client_for(), URL, api_report(**change), **KEY).status_code == 422


def test_the_same_report_as_a_form_is_the_same_request(cw):
    photo = jpeg()
    first = post_json(client_for(), URL, api_report(photos=[base64.b64encode(photo).decode()]), **KEY)
    form = {**api_report(), "lon": "120.705", "photos": [SimpleUploadedFile("p.jpg", photo, "image/jpeg")]}
    again = client_for(**KEY).post(URL, form)
    assert again.status_code == 200, again.content
    assert again.json()["tracking_number"] == first.json()["tracking_number"]


def test_keys_of_two_signed_in_people_never_meet(cw):
    mine = post_json(client_for(cw.resident), URL, api_report(), **KEY)
    theirs = post_json(client_for(cw.grid_worker), URL, api_report(description="另一件事"), **KEY)
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["tracking_number"] != theirs.json()["tracking_number"]


def test_the_report_page_says_so_when_a_sent_form_comes_back_with_other_details(cw):
    client = client_for(cw.resident)
    first = client.post(REPORT, page_form())
    assert first.status_code == 302
    changed = client.post(REPORT, page_form(description="改了描述再提交"))
    assert changed.status_code == 400
    assert "This form was already sent with other details." in changed.text
    new_key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', changed.text).group(1)
    assert new_key != page_form()["idempotency_key"]
    assert Case.objects.count() == 1
    # Sent again as it now stands (with the new key), it is filed as a new report.
    again = client.post(REPORT, page_form(description="改了描述再提交", idempotency_key=new_key))
    assert again.status_code == 302
    assert Case.objects.count() == 2


def test_the_report_page_returns_the_first_case_for_the_same_form_sent_twice(cw):
    client = client_for()
    first = client.post(REPORT, page_form())
    second = client.post(REPORT, page_form())
    assert first.status_code == second.status_code == 302
    assert first.url == second.url
    assert Case.objects.count() == 1
