"""The request body limit is small everywhere and raised only where uploads are accepted.

The limits are shrunk in each test (the same views, smaller numbers) so the bodies stay small.
"""

from __future__ import annotations

import base64
import io
import json
import random

import pytest
from django.conf import settings as real_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from civicgrid.cases.models import Case, CasePhoto
from civicgrid.places.models import Place
from civicgrid.places.tests.test_import import new_town_file
from tests.api.conftest import session_client
from tests.api.test_errors import error_of

GENERAL = 20_000
UPLOADS = 400_000


def noisy_jpeg(side: int, seed: int = 1) -> bytes:
    """Return a JPEG that does not compress much: about `side`² × 1.5 bytes."""
    pixels = random.Random(seed).randbytes(side * side * 3)
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), pixels).save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


@pytest.fixture
def small_limits(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = GENERAL
    settings.REQUEST_MAX_BYTES_BY_VIEW = dict.fromkeys(real_settings.REQUEST_MAX_BYTES_BY_VIEW, UPLOADS)


def test_the_general_limit_is_small_and_the_upload_views_take_their_photos():
    assert real_settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= 2_621_440
    photos = real_settings.CASE_PHOTO_MAX_COUNT * real_settings.CASE_PHOTO_MAX_BYTES * 4 // 3
    limits = real_settings.REQUEST_MAX_BYTES_BY_VIEW
    for name in ("api:case_create", "api:case_action", "cases:report", "cases:act"):
        assert limits[name] >= photos
    assert limits["places:import"] >= real_settings.PLACES_UPLOAD_MAX_BYTES


def test_a_json_body_over_the_general_limit_is_refused_413(world, small_limits):
    client, csrf = session_client(world.resident)
    body = json.dumps({"ids": list(range(1, 5000))})
    assert len(body) > GENERAL
    response = client.post(
        "/api/v1/cases/notifications/read", body, content_type="application/json", headers=csrf
    )
    assert error_of(response, 413)["code"] == "too_large"


def test_a_json_report_with_base64_photos_over_the_general_limit_is_filed(world, small_limits):
    client, csrf = session_client(world.resident)
    photo = base64.b64encode(noisy_jpeg(120)).decode()
    body = {
        "category": "C0201",
        "description": "路面有一个大坑",
        "lon": 120.705,
        "lat": 31.605,
        "photos": [photo, photo],
    }
    assert GENERAL < len(json.dumps(body)) < UPLOADS
    response = client.post("/api/v1/cases/", json.dumps(body), content_type="application/json", headers=csrf)
    assert response.status_code == 201, response.content[:300]
    assert CasePhoto.objects.filter(case__tracking_number=response.json()["tracking_number"]).count() == 2


def test_a_multipart_report_over_the_general_limit_is_filed(world, small_limits):
    client, csrf = session_client(world.resident)
    photo = SimpleUploadedFile("a.jpg", noisy_jpeg(120), content_type="image/jpeg")
    response = client.post(
        "/api/v1/cases/",
        {"category": "C0201", "description": "坑", "lon": "120.705", "lat": "31.605", "photos": [photo]},
        headers=csrf,
    )
    assert response.status_code == 201, response.content[:300]


@pytest.mark.parametrize("as_form", [False, True])
def test_a_report_over_its_own_limit_is_refused_413_and_nothing_is_filed(world, small_limits, as_form):
    client, csrf = session_client(world.resident)
    big = noisy_jpeg(620)
    assert len(big) > UPLOADS
    if as_form:
        photo = SimpleUploadedFile("a.jpg", big, content_type="image/jpeg")
        data = {
            "category": "C0201",
            "description": "坑",
            "lon": "120.705",
            "lat": "31.605",
            "photos": [photo],
        }
        response = client.post("/api/v1/cases/", data, headers=csrf)
    else:
        body = {"category": "C0201", "description": "坑", "lon": 120.705, "lat": 31.605}
        body["photos"] = [base64.b64encode(big).decode()]
        response = client.post(
            "/api/v1/cases/", json.dumps(body), content_type="application/json", headers=csrf
        )
    assert error_of(response, 413)["code"] == "too_large"
    assert Case.objects.count() == 0


def test_an_action_with_photos_over_the_general_limit_is_applied(world, cases, small_limits):
    case = cases["dispatched"]
    client, csrf = session_client(world.agency_staff)
    client.post(
        f"/api/v1/cases/{case.tracking_number}/actions/sign",
        "{}",
        content_type="application/json",
        headers=csrf,
    )
    body = {"note": "已修复", "photos": [base64.b64encode(noisy_jpeg(120)).decode()]}
    response = client.post(
        f"/api/v1/cases/{case.tracking_number}/actions/resolve",
        json.dumps(body),
        content_type="application/json",
        headers=csrf,
    )
    assert response.status_code == 200, response.content[:300]
    assert response.json()["state"] == "checking"


# --- Pages --------------------------------------------------------------------------------------


def test_the_report_page_takes_photos_over_the_general_limit(client, world, small_limits):
    photo = SimpleUploadedFile("a.jpg", noisy_jpeg(120), content_type="image/jpeg")
    response = client.post(
        reverse("cases:report"),
        {
            "lon": "120.705",
            "lat": "31.605",
            "category": "C0201",
            "description": "路面有一个大坑",
            "idempotency_key": "9f1c2b7e4a5d4c3b8e6f0a1b2c3d4e5f",
            "photos": [photo],
        },
    )
    assert response.status_code == 302, response.content[:500]
    assert Case.objects.count() == 1


def test_a_page_form_over_the_general_limit_gets_a_413_page(client, world, small_limits):
    response = client.post(reverse("accounts:login"), {"login": "x" * GENERAL, "password": "x"})
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    assert "The request is too large" in response.text


def test_the_import_page_takes_a_file_over_the_general_limit(login, world, small_limits):
    raw = json.dumps(new_town_file(), ensure_ascii=False).encode()
    padded = raw[:-1] + b" " * (GENERAL * 2) + raw[-1:]
    upload = SimpleUploadedFile("places.geojson", padded, content_type="application/geo+json")
    response = login(world.city_admin).post(reverse("places:import"), {"file": upload, "mode": "commit"})
    assert response.status_code == 200, response.content[:500]
    assert Place.objects.filter(parent=world.district).count() == 3


def test_the_import_page_refuses_a_file_over_its_limit_with_a_413_page(login, world, small_limits):
    upload = SimpleUploadedFile("places.geojson", b" " * (UPLOADS + 1), content_type="application/geo+json")
    response = login(world.city_admin).post(reverse("places:import"), {"file": upload, "mode": "dry_run"})
    assert response.status_code == 413
    assert "The request is too large" in response.text
