"""Going out to a case from its page: "navigate here" and "call the reporter" for the staff handling it.

Who may call is one rule (`access.can_contact_reporter`); the reporter's whole phone is in the page (and
the API) of those people only, masked for everyone else who may see the case.
"""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from civicgrid.cases import access
from civicgrid.cases.tests.conftest import PATHS, report, walk

PHONE = "13912345678"
MASKED = "139****5678"
# The case's point (WGS-84) and where AMap and Apple Maps show it (GCJ-02): written out, from the formula
# lib/tests/test_geo.py pins against published pairs, so the test fails if the page sends the stored point.
LON, LAT = 120.705, 31.605
GCJ_LON, GCJ_LAT = 120.709352, 31.603027


def page(login, user, case):
    return login(user).get(reverse("cases:detail", args=[case.tracking_number]))


def hrefs(response) -> dict[str, str]:
    """Return the page's map links by app."""
    found = re.findall(r'<a [^>]*href="([^"]+)"[^>]*data-map-app="([a-z]+)"', response.text)
    return {app: unescape(href) for href, app in found}


def query(href: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(href).query).items()}


@pytest.fixture
def phoned(cw, category):
    return report(cw, category, reporter_phone=PHONE, address="甲一村路口", lon=LON, lat=LAT)


# --- Calling the reporter ----------------------------------------------------------------------------


def test_the_grid_worker_handling_the_case_gets_a_call_button(login, cw, phoned):
    response = page(login, cw.grid_worker, phoned)
    assert response.status_code == 200
    assert f'href="tel:{PHONE}"' in response.text
    assert "data-call-reporter" in response.text
    assert "Call the reporter" in response.text


@pytest.mark.parametrize("persona", ["grid_leader", "village_cadre", "town_operator"])
def test_the_grid_village_and_town_handling_it_may_call_too(login, cw, phoned, persona):
    response = page(login, getattr(cw, persona), phoned)
    assert "data-call-reporter" in response.text and f"tel:{PHONE}" in response.text


def test_the_resident_who_reported_it_gets_no_call_button_and_their_phone_masked(login, cw, phoned):
    response = page(login, cw.resident, phoned)
    assert response.status_code == 200
    assert "tel:" not in response.text and "data-call-reporter" not in response.text
    assert PHONE not in response.text
    assert MASKED in response.text


def test_the_outsider_grid_worker_of_another_town_gets_nothing(login, cw, phoned):
    response = page(login, cw.outsider, phoned)
    assert response.status_code == 404
    assert PHONE not in response.text and "tel:" not in response.text


def test_an_agency_not_on_the_case_gets_nothing(login, cw, phoned):
    walk(cw, phoned, PATHS["dispatched"])  # dispatched to the water bureau, with no co-handler
    response = page(login, cw.agency_b_staff, phoned)
    assert response.status_code == 404
    assert PHONE not in response.text and "tel:" not in response.text


def test_the_agency_handling_it_navigates_but_does_not_call(login, cw, phoned):
    walk(cw, phoned, PATHS["dispatched"])
    response = page(login, cw.agency_staff, phoned)
    assert response.status_code == 200
    assert "tel:" not in response.text and PHONE not in response.text
    assert set(hrefs(response)) == {"amap", "baidu", "apple", "geo"}


@pytest.mark.parametrize("persona", ["city_admin", "superuser"])
def test_who_oversees_but_does_not_handle_sees_the_phone_masked(login, cw, phoned, persona):
    response = page(login, getattr(cw, persona), phoned)
    assert response.status_code == 200
    assert cw.resident.display_name in response.text  # they may still see who reported it
    assert PHONE not in response.text and "tel:" not in response.text
    assert MASKED in response.text


def test_nobody_calls_about_a_finished_case(login, cw, phoned):
    walk(cw, phoned, PATHS["rejected"])
    response = page(login, cw.grid_worker, phoned)
    assert PHONE not in response.text and "data-call-reporter" not in response.text


def test_a_reporter_who_left_no_phone_gets_no_call_button(login, cw, category):
    case = report(cw, category, reporter_phone="")
    response = page(login, cw.grid_worker, case)
    assert response.status_code == 200
    assert "tel:" not in response.text and "data-call-reporter" not in response.text
    assert "data-map-app=" in response.text


def test_the_api_gives_the_phone_by_the_same_rule(cw, phoned, client):
    url = f"/api/v1/cases/{phoned.tracking_number}"
    client.force_login(cw.grid_worker)
    assert client.get(url).json()["reporter"]["phone"] == PHONE
    client.force_login(cw.resident)
    assert client.get(url).json()["reporter"]["phone"] == MASKED
    client.force_login(cw.city_admin)
    assert client.get(url).json()["reporter"]["phone"] == MASKED


@pytest.mark.parametrize(
    ("persona", "may"),
    [
        ("grid_worker", True),
        ("grid_leader", True),
        ("village_cadre", True),
        ("town_operator", True),
        ("city_admin", False),
        ("agency_staff", False),
        ("agency_b_staff", False),
        ("outsider", False),
        ("resident", False),
        ("superuser", False),
    ],
)
def test_the_rule_written_out_by_hand(cw, phoned, persona, may):
    walk(cw, phoned, PATHS["dispatched"])
    phoned.refresh_from_db()
    assert access.can_contact_reporter(getattr(cw, persona), phoned) is may


# --- Navigating there --------------------------------------------------------------------------------


def test_the_map_links_carry_the_point_in_each_apps_coordinates(login, cw, phoned):
    links = hrefs(page(login, cw.grid_worker, phoned))
    assert list(links) == ["amap", "baidu", "apple", "geo"]
    amap_lon, amap_lat = (float(v) for v in query(links["amap"])["position"].split(","))
    assert (amap_lon, amap_lat) == (pytest.approx(GCJ_LON, abs=2e-6), pytest.approx(GCJ_LAT, abs=2e-6))
    apple_lat, apple_lon = (float(v) for v in query(links["apple"])["ll"].split(","))
    assert (apple_lon, apple_lat) == (pytest.approx(GCJ_LON, abs=2e-6), pytest.approx(GCJ_LAT, abs=2e-6))
    baidu = query(links["baidu"])
    assert baidu["location"] == f"{LAT:.6f},{LON:.6f}" and baidu["coord_type"] == "wgs84"
    assert baidu["content"] == "甲一村路口"
    assert links["geo"].startswith(f"geo:{LAT:.6f},{LON:.6f}?q={LAT:.6f},{LON:.6f}(")
    assert phoned.tracking_number in query(links["amap"])["name"]


def test_the_reporter_gets_no_map_links(login, cw, phoned):
    assert hrefs(page(login, cw.resident, phoned)) == {}
