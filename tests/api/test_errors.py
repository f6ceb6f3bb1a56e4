"""Every door of the API answers bad input with a clean 4xx in its one JSON error shape, never a 500.

Tried as an outside integrator would: HTTP requests with CSRF enforced, reading status, content type
and the body `{"message", "code", "extra"}`.
"""

from __future__ import annotations

import base64
import json
import logging

import pytest

from civicgrid.cases import selectors
from civicgrid.cases.models import Case, Notification
from civicgrid.cases.tests.conftest import jpeg
from tests.api.conftest import api_client, session_client

CASES = "/api/v1/cases/"
INSIDE = {"lon": 120.705, "lat": 31.605}
PHOTO = base64.b64encode(jpeg()).decode()


def error_of(response, status: int) -> dict:
    """Assert the response is the API's error shape with this status; return its body."""
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) == {"message", "code", "extra"}, body
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["code"], str) and body["code"]
    assert isinstance(body["extra"], dict)
    return body


def post_json(client, url: str, body, headers: dict | None = None):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(url, data, content_type="application/json", headers=headers or {})


def new_report(**fields) -> dict:
    return {"category": "C0201", "description": "路面有一个大坑", **INSIDE, "photos": [PHOTO], **fields}


# --- Huge numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        {"offset": "9223372036854775808"},
        {"offset": "1000001"},
        {"page": "9223372036854775808"},
        {"page": "10001"},
        {"limit": "9" * 5000},
    ],
)
def test_a_huge_offset_or_page_is_refused_with_400(world, cases, staff_token, query):
    body = error_of(api_client(token=staff_token).get(CASES, query), 400)
    assert body["code"] == "invalid"
    assert list(body["extra"]["fields"]) == list(query)


def test_the_last_page_allowed_is_still_served(world, cases, staff_token):
    response = api_client(token=staff_token).get(CASES, {"page": "10000", "limit": "100"})
    assert response.status_code == 200
    assert response.json()["offset"] == 999_900
    assert response.json()["items"] == []


def test_a_huge_notification_offset_is_refused(world, staff_token):
    body = error_of(api_client(token=staff_token).get(f"{CASES}notifications", {"offset": 2**63}), 400)
    assert "offset" in body["extra"]["fields"]


def test_a_notification_id_beyond_64_bits_is_refused_and_marks_nothing(world, cases, staff_token):
    unread = Notification.objects.filter(read_at__isnull=True).count()
    response = post_json(
        api_client(token=staff_token),
        f"{CASES}notifications/read",
        '{"ids": [1000000000000000000000000000000]}',
    )
    body = error_of(response, 400)
    assert "ids.0" in body["extra"]["fields"]
    assert Notification.objects.filter(read_at__isnull=True).count() == unread


# --- Text the database cannot store -------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ('"x \\ud800"', "description"),
        ('"x \\u0000 y"', "description"),
        ('"\\udfff"', "address"),
    ],
)
def test_text_with_a_lone_surrogate_or_nul_is_a_field_error(world, raw, field):
    client, csrf = session_client(world.resident)
    body = json.dumps(new_report(**{field: "PLACEHOLDER"})).replace('"PLACEHOLDER"', raw)
    error = error_of(post_json(client, CASES, body, csrf), 400)
    assert error["code"] == "invalid"
    assert list(error["extra"]["fields"]) == [field]
    assert Case.objects.count() == 0


def test_a_nul_in_a_form_field_is_a_field_error(world):
    client, csrf = session_client(world.resident)
    response = client.post(
        CASES,
        "category=C0201&description=a%00b&lon=120.705&lat=31.605",
        content_type="application/x-www-form-urlencoded",
        headers=csrf,
    )
    assert list(error_of(response, 400)["extra"]["fields"]) == ["description"]


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("post", "{case}/comments", {"note": "a\x00b"}),
        ("post", "{case}/actions/dispatch", {"agency": "water\x00"}),
        ("post", "{case}/actions/dispatch", {"agency": "water", "co_agencies": ["\ud800"]}),
        (
            "post",
            "{case}/actions/dispatch",
            {"agency": "water", "appointment": {"starts_at": "2026-12-01T09:00", "place": "\x00"}},
        ),
        (
            "post",
            "hotline/orders",
            {"order_number": "A\x001", "category": "C0201", "description": "x", **INSIDE},
        ),
    ],
)
def test_every_string_the_api_accepts_is_checked(world, cases, staff_token, method, url, body):
    url = CASES + url.format(case=cases["town"].tracking_number)
    raw = json.dumps(body)  # json.dumps escapes NUL as \u0000 and a surrogate as \ud800
    error = error_of(post_json(api_client(token=staff_token), url, raw), 400)
    assert error["code"] == "invalid"


@pytest.mark.parametrize(
    "url",
    [
        f"{CASES}?text=a%00b",
        f"{CASES}a%00b",
        f"{CASES}public/a%00b",
        "/api/v1/places/search?q=a%00b",
        "/api/v1/places/a%00b",
    ],
)
def test_a_nul_in_the_address_is_refused_with_400(world, staff_token, url):
    assert error_of(api_client(token=staff_token).get(url), 400)["code"] == "invalid_text"


@pytest.mark.parametrize(
    "url", ["/cases/status/a%00b/", "/places/a%00b/", "/cases/work/?q=a%00b", "/accounts/login/?next=%00"]
)
def test_a_nul_in_a_page_address_is_a_400_page_not_a_500(world, login, url):
    response = login(world.town_operator).get(url)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("until", "0001-01-01T00:00:00"),
        ("until", "9999-12-31T23:59:59"),
        ("appointment", {"starts_at": "0001-01-01T00:00", "place": "x"}),
    ],
)
def test_a_date_out_of_range_is_a_field_error(world, cases, staff_token, field, value):
    url = f"{CASES}{cases['dispatched'].tracking_number}/actions/request_extension"
    error = error_of(post_json(api_client(token=staff_token), url, {"note": "x", field: value}), 400)
    assert error["code"] == "invalid"


def test_a_date_filter_out_of_range_is_a_field_error(world, staff_token):
    body = error_of(api_client(token=staff_token).get(CASES, {"date_to": "9999-12-31"}), 400)
    assert list(body["extra"]["fields"]) == ["date_to"]


# --- Bodies that cannot be read -----------------------------------------------------------------


@pytest.mark.parametrize("url", ["", "notifications/read", "{case}/actions/accept", "{case}/comments"])
def test_multipart_without_a_boundary_is_refused_with_400(world, cases, url):
    client, csrf = session_client(world.grid_worker)
    url = CASES + url.format(case=cases["reported"].tracking_number)
    response = client.post(url, b"--x\r\n", content_type="multipart/form-data", headers=csrf)
    assert error_of(response, 400)["code"] == "invalid_form"


@pytest.mark.parametrize("body", [b"{", b"[]", b"null", b'"text"', b"\xff\xfe", b""])
@pytest.mark.parametrize("url", ["", "notifications/read", "hotline/orders"])
def test_a_body_that_is_not_a_json_object_is_refused_with_400(world, staff_token, url, body):
    response = post_json(api_client(token=staff_token), CASES + url, body)
    assert error_of(response, 400)["code"] in ("invalid_json", "invalid")


def test_a_body_sent_as_text_plain_is_refused_with_400(world, staff_token):
    response = api_client(token=staff_token).post(f"{CASES}hotline/orders", b"{}", content_type="text/plain")
    assert error_of(response, 400)["code"] in ("invalid_json", "invalid")


@pytest.mark.parametrize(
    "body",
    [
        {"ids": "all"},
        {"ids": [{"id": 1}]},
        {"ids": [1.5]},
        {"all": "yes please"},
    ],
)
def test_wrong_types_are_field_errors(world, staff_token, body):
    response = post_json(api_client(token=staff_token), f"{CASES}notifications/read", body)
    assert error_of(response, 400)["code"] == "invalid"


def test_field_errors_name_the_field_not_the_parameter(world, staff_token):
    response = post_json(api_client(token=staff_token), f"{CASES}notifications/read", {"ids": "x"})
    assert error_of(response, 400)["extra"]["fields"] == {"ids": "Send a list."}


# --- Wrong method, unknown address, unexpected errors --------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("delete", CASES),
        ("put", f"{CASES}categories"),
        ("patch", "/api/v1/places/locate"),
        ("get", f"{CASES}hotline/orders"),
    ],
)
def test_a_wrong_method_answers_405_in_json(world, staff_token, method, url):
    response = getattr(api_client(token=staff_token), method)(url)
    body = error_of(response, 405)
    assert body["code"] == "method_not_allowed"
    assert body["extra"]["allowed"]
    assert response["Allow"]


@pytest.mark.parametrize("url", ["/api/v1/nope", "/api/v1/cases/x/y/z", "/api/v2/cases/", "/api/"])
def test_an_unknown_api_address_answers_404_in_json(world, url):
    assert error_of(api_client().get(url), 404)["code"] == "not_found"


def test_an_unexpected_error_answers_500_in_json_logged_without_a_traceback(world, monkeypatch, caplog):
    def broken(**kwargs):
        raise RuntimeError("secret internals: /srv/civicgrid/settings.py line 12")

    monkeypatch.setattr(selectors, "categories_for_point", broken)
    with caplog.at_level(logging.ERROR, logger="civicgrid.api"):
        response = api_client().get(f"{CASES}categories")
    body = error_of(response, 500)
    assert body["code"] == "server_error"
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text
    assert any("secret internals" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)


# --- Who is asking: 401 before CSRF, CSRF still for sessions -----------------------------------


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("notifications/read", {"all": True}),
        ("{case}/comments", {"note": "hello"}),
        ("{case}/actions/accept", {}),
        ("hotline/orders", {"order_number": "1"}),
    ],
)
def test_an_anonymous_post_that_needs_sign_in_answers_401(world, cases, url, body):
    url = CASES + url.format(case=cases["reported"].tracking_number)
    assert error_of(post_json(api_client(), url, body), 401)["code"] == "unauthenticated"


def test_an_anonymous_get_that_needs_sign_in_answers_401(world):
    assert error_of(api_client().get(CASES), 401)["code"] == "unauthenticated"


def test_a_wrong_token_answers_401_even_where_anyone_may_come(world):
    client = api_client(token="cg_nope_nope")
    assert error_of(client.get(f"{CASES}categories"), 401)["code"] == "unauthenticated"


@pytest.mark.parametrize(
    ("url", "body"),
    [("notifications/read", {"all": True}), ("{case}/comments", {"note": "hello"}), ("", None)],
)
def test_a_signed_in_session_post_without_the_csrf_token_is_refused_403(world, cases, url, body):
    url = CASES + url.format(case=cases["reported"].tracking_number)
    client = api_client(user=world.resident)
    before = Case.objects.count()
    response = post_json(client, url, body if body is not None else new_report())
    assert error_of(response, 403)["code"] == "csrf"
    assert Case.objects.count() == before


def test_the_same_session_post_with_the_csrf_token_goes_through(world, cases):
    client, csrf = session_client(world.resident)
    response = post_json(client, f"{CASES}notifications/read", {"all": True}, csrf)
    assert response.status_code == 200


# --- No error repeats a large input -------------------------------------------------------------

BIG = "x" * 100_000


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        *[
            ("get", f"{CASES}?{name}={BIG}", None)
            for name in ("queue", "state", "category", "region", "source", "agency", "text")
        ],
        ("get", f"{CASES}categories?lon=1&lat=1&crs={BIG}", None),
        ("get", f"{CASES}{BIG}", None),
        ("get", f"{CASES}public/{BIG}", None),
        ("get", f"/api/v1/places/{BIG}", None),
        ("get", f"/api/v1/places/tree?parent={BIG}", None),
        ("get", f"/api/v1/places/search?q={BIG}", None),
        ("get", f"/api/v1/places/locate?lon=1&lat=1&crs={BIG}", None),
        ("post", "{case}/actions/" + BIG, {}),
        *[
            ("post", "{case}/actions/dispatch", {name: BIG})
            for name in ("agency", "merge_into", "grid", "note", "satisfaction")
        ],
        ("post", "{case}/actions/dispatch", {"agency": "water", "co_agencies": [BIG]}),
        ("post", "{case}/actions/rate", {"solved": True, "satisfaction": BIG}),
        ("post", "{case}/comments", {"note": BIG}),
        *[
            ("post", "", new_report(**{name: BIG}))
            for name in (
                "category",
                "description",
                "crs",
                "address",
                "reporter_phone",
                "source",
                "priority",
                "external_ref",
            )
        ],
        *[
            (
                "post",
                "hotline/orders",
                {"order_number": "1", "category": "C0201", "description": "x", **INSIDE, name: BIG},
            )
            for name in (
                "order_number",
                "category",
                "description",
                "crs",
                "address",
                "caller_phone",
                "caller_name",
            )
        ],
        ("post", "notifications/read", {"ids": BIG}),
    ],
)
def test_no_error_repeats_more_than_a_short_prefix_of_a_large_input(
    world, cases, staff_token, method, url, body
):
    if not url.startswith("/"):
        url = CASES + url.format(case=cases["town"].tracking_number)
    client = api_client(token=staff_token)
    response = client.get(url) if method == "get" else post_json(client, url, body)
    assert response.status_code < 500, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    if response.status_code >= 400:
        assert "x" * 41 not in response.text
        assert len(response.content) < 2000
    else:
        # Accepted: kept cut to the field's length (the 12345 address, a report's description).
        assert response.status_code in (200, 201)


def test_an_idempotency_key_of_100_kb_is_not_repeated(world):
    client, csrf = session_client(world.resident)
    response = post_json(client, CASES, new_report(), {**csrf, "Idempotency-Key": BIG})
    assert error_of(response, 400)
    assert "x" * 41 not in response.text
