"""The boundary import page: who may use it, dry runs, commits and refusals."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from civicgrid.places.models import Boundary, Place
from civicgrid.places.tests.test_import import collection, feature, new_town_file
from conftest import square

pytestmark = [pytest.mark.django_db]

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def upload(data, name: str = "places.geojson") -> SimpleUploadedFile:
    raw = data if isinstance(data, bytes) else json.dumps(data, ensure_ascii=False).encode()
    return SimpleUploadedFile(name, raw, content_type="application/geo+json")


def post(client, data, mode: str = "dry_run", name: str = "places.geojson"):
    return client.post(reverse("places:import"), {"file": upload(data, name), "mode": mode}, **EN)


def counts() -> tuple[int, int]:
    return Place.objects.count(), Boundary.objects.count()


def test_it_sends_anonymous_visitors_to_sign_in(client, world):
    response = client.get(reverse("places:import"), **EN)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_it_denies_a_resident(login, world):
    response = login(world.resident).get(reverse("places:import"), **EN)

    assert response.status_code == 403
    assert "You do not have permission to do this here." in response.content.decode()


def test_it_denies_outsider(login, world):
    before = counts()

    response = post(login(world.outsider), new_town_file(), mode="commit")

    assert response.status_code == 403
    assert counts() == before


def test_it_shows_the_form_to_a_district_admin(login, world):
    response = login(world.city_admin).get(reverse("places:import"), **EN)

    assert response.status_code == 200
    page = response.content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert 'name="mode" value="dry_run"' in page
    assert 'class="btn btn-primary"' in page


def test_a_dry_run_reports_what_would_be_written_and_writes_nothing(login, world):
    before = counts()

    response = post(login(world.city_admin), new_town_file())

    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="alert alert-info"' in page
    assert "No problems found. Nothing was written yet." in page
    assert '<dd data-count="created">4</dd>' in page
    assert counts() == before


def test_a_commit_writes_the_file(login, world):
    places, boundaries = counts()

    response = post(login(world.city_admin), new_town_file(), mode="commit")

    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="alert alert-success"' in page
    assert "Created 4, renamed 0, redrew 0; 0 unchanged." in page
    assert counts() == (places + 4, boundaries + 2)
    source = Boundary.objects.get(place__code="329981003001001").source
    assert source == f"upload places.geojson by {world.city_admin.username}"


def test_it_lists_the_problems_by_feature_and_writes_nothing(login, world):
    data = new_town_file()
    data["features"][2]["properties"]["name"] = ""
    data["features"][3]["geometry"] = square(120.905, 31.60)  # Overlaps its neighbour by half.
    before = counts()

    response = post(login(world.city_admin), data, mode="commit")

    assert response.status_code == 400
    page = response.content.decode()
    assert 'class="alert alert-error"' in page
    assert "The file has 2 problems; nothing was written." in page
    assert '<table class="table' in page
    assert "The feature has no “name”." in page
    assert "The boundary overlaps grid “329981003001001” (feature #3)" in page
    assert counts() == before


def test_a_district_admin_is_refused_outside_their_district(login, world):
    data = collection(
        feature("329982", "邻区", "district", "329900"),
        feature("329982001", "邻区甲镇", "town", "329982"),
    )
    before = counts()

    response = post(login(world.city_admin), data, mode="commit")

    assert response.status_code == 400
    assert "“329982” is outside the area you manage." in response.content.decode()
    assert counts() == before


def test_a_superuser_may_import_anywhere(login, world):
    data = collection(feature("329982", "邻区", "district", "329900"))

    response = post(login(world.superuser), data, mode="commit")

    assert response.status_code == 200
    assert Place.objects.filter(code="329982").exists()


def test_it_explains_a_file_that_is_not_utf8(login, world):
    raw = json.dumps(new_town_file(), ensure_ascii=False).encode("gbk")

    response = post(login(world.city_admin), raw)

    assert response.status_code == 400
    assert "The file is not UTF-8 text" in response.content.decode()


def test_it_explains_malformed_json(login, world):
    response = post(login(world.city_admin), b'{"type": "FeatureCollection",')

    assert response.status_code == 400
    assert "The file is not valid JSON" in response.content.decode()


def test_it_refuses_another_kind_of_file(login, world):
    response = post(login(world.city_admin), new_town_file(), name="places.csv")

    assert response.status_code == 400
    page = response.content.decode()
    assert 'class="errorlist"' in page
    assert "Choose a .geojson or .json file." in page


def test_it_refuses_a_file_over_the_size_limit(login, world, settings):
    settings.PLACES_UPLOAD_MAX_BYTES = 100
    before = counts()

    response = post(login(world.city_admin), new_town_file(), mode="commit")

    assert response.status_code == 400
    assert "the largest accepted is 100" in response.content.decode()
    assert counts() == before


def test_it_requires_a_file(login, world):
    response = login(world.city_admin).post(reverse("places:import"), {"mode": "commit"}, **EN)

    assert response.status_code == 400
    assert 'class="errorlist"' in response.content.decode()
