"""The places pages: browse and search the tree, and one place with its map, children and people."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from civicgrid.places.models import Place
from civicgrid.places.services import boundary_set, place_create
from conftest import square

BROWSE = reverse("places:browse")


def geo_data(response) -> dict:
    match = re.search(r'<script id="place-geo" type="application/json">(.*?)</script>', response.text, re.S)
    assert match, "the page carries no map data"
    return json.loads(match.group(1))


# --- Anonymous visitors ----------------------------------------------------------------------------


def test_it_sends_anonymous_visitors_to_sign_in_from_browse(client, world):
    response = client.get(BROWSE)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login") + "?next=")


def test_it_sends_anonymous_visitors_to_sign_in_from_a_place(client, world):
    response = client.get(world.grid_a1a.get_absolute_url())
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


# --- Browse ----------------------------------------------------------------------------------------


def test_it_lists_the_roots_with_their_children_counts(login, world):
    response = login(world.town_operator).get(BROWSE)
    assert response.status_code == 200
    assert "Test City" in response.text
    assert f"?parent={world.city.code}" in response.text
    assert "1 subdivision" in response.text


def test_it_drills_down_to_the_towns_of_the_operators_district(login, world):
    response = login(world.town_operator).get(BROWSE, {"parent": world.district.code})
    assert response.status_code == 200
    assert "Town A" in response.text
    assert "Street B" not in response.text
    # The breadcrumb leads back up the chain.
    assert f"?parent={world.city.code}" in response.text


def test_it_hides_town_a_from_the_outsider_when_browsing(login, world):
    response = login(world.outsider).get(BROWSE, {"parent": world.district.code})
    assert response.status_code == 200
    assert "Street B" in response.text
    assert "Town A" not in response.text
    assert world.town_a.code not in response.text


def test_it_refuses_the_outsider_a_drill_down_into_town_a(login, world):
    response = login(world.outsider).get(BROWSE, {"parent": world.town_a.code})
    assert response.status_code == 404
    assert "甲一村" not in response.text


def test_it_finds_places_by_name_and_by_code(login, world):
    client = login(world.town_operator)
    by_name = client.get(BROWSE, {"q": "网格"})
    assert "甲一村第1网格" in by_name.text
    assert "甲一村第2网格" in by_name.text
    by_code = client.get(BROWSE, {"q": world.grid_a1b.code})
    assert "甲一村第2网格" in by_code.text
    assert "甲一村第1网格" not in by_code.text


def test_it_never_finds_town_a_for_the_outsider(login, world):
    client = login(world.outsider)
    for text in ("甲", "网格", "Town A", world.town_a.code, "3299810010"):
        response = client.get(BROWSE, {"q": text})
        assert response.status_code == 200
        # The query itself is echoed in the search box, so look for links to town A's places.
        for place in (world.town_a, world.village_a1, world.grid_a1a, world.grid_a1b):
            assert place.get_absolute_url() not in response.text
        assert "甲一村" not in response.text
    assert "乙一社区第1网格" in client.get(BROWSE, {"q": "网格"}).text


def test_it_says_so_when_nothing_matches(login, world):
    response = login(world.resident).get(BROWSE, {"q": "不存在的地方"})
    assert response.status_code == 200
    assert "No places match" in response.text


def test_it_returns_only_the_results_fragment_to_htmx(login, world):
    client = login(world.town_operator)
    partial = client.get(BROWSE, {"q": "网格"}, headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert "<html" not in partial.text
    assert 'id="results-title"' in partial.text
    assert "甲一村第1网格" in partial.text
    assert "HX-Request" in partial["Vary"]

    full = client.get(BROWSE, {"q": "网格"})
    assert "<html" in full.text
    assert 'id="place-results"' in full.text
    assert "甲一村第1网格" in full.text


def test_it_gives_a_history_restore_the_full_page(login, world):
    response = login(world.town_operator).get(
        BROWSE, {"q": "网格"}, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in response.text


def test_it_paginates_long_lists(login, world):
    for n in range(2, 32):
        place_create(code=f"329981001{n:03d}", name=f"甲镇第{n}村", level="village", parent=world.town_a)
    client = login(world.town_operator)
    first = client.get(BROWSE, {"parent": world.town_a.code})
    assert "Page 1 of 2" in first.text
    assert first.text.count('class="place-row"') == 25
    second = client.get(BROWSE, {"parent": world.town_a.code, "page": 2})
    assert second.text.count('class="place-row"') == 6
    assert "甲镇第31村" in second.text


def test_it_pins_the_query_count_of_browse(login, world, django_assert_max_num_queries):
    client = login(world.town_operator)
    client.get(BROWSE)  # warm up caches that are not per request (content types, translations)
    # Session, user, roles, unread notifications (the bell), whether the person volunteers (the
    # navigation), the to-do count (the tab bar), the parent, its chain, the count and the page.
    with django_assert_max_num_queries(10):
        client.get(BROWSE, {"parent": world.district.code})
    with django_assert_max_num_queries(8):
        client.get(BROWSE, {"q": "网格"})


# --- Detail ----------------------------------------------------------------------------------------


def test_it_shows_the_resident_their_village_and_its_grids(login, world):
    response = login(world.resident).get(world.village_a1.get_absolute_url())
    assert response.status_code == 200
    assert "甲一村" in response.text
    assert world.grid_a1a.get_absolute_url() in response.text
    assert world.grid_a1b.get_absolute_url() in response.text
    # The chain above: the town, the district and the city, linked.
    assert world.town_a.get_absolute_url() in response.text
    data = geo_data(response)
    assert data["place"] is None  # the village itself has no boundary in the world fixture
    assert {f["properties"]["code"] for f in data["children"]} == {world.grid_a1a.code, world.grid_a1b.code}
    assert data["children"][0]["properties"]["url"].startswith("/places/")


def test_it_masks_phones_for_the_resident(login, world):
    response = login(world.resident).get(world.grid_a1a.get_absolute_url())
    assert response.status_code == 200
    assert "李网格" in response.text
    assert "138****0002" in response.text
    assert "13800000002" not in response.text
    assert "tel:" not in response.text


def test_it_shows_the_operator_the_phones_of_town_a(login, world):
    response = login(world.town_operator).get(world.grid_a1a.get_absolute_url())
    assert response.status_code == 200
    assert 'href="tel:13800000002"' in response.text
    assert "Grid worker" in response.text


def test_it_denies_outsider_the_places_of_town_a(login, world):
    client = login(world.outsider)
    for place in (world.town_a, world.village_a1, world.grid_a1a, world.grid_a1b):
        response = client.get(place.get_absolute_url())
        assert response.status_code == 404
        assert place.name not in response.text
        assert "outside your area" in response.text


def test_it_says_not_found_for_an_unknown_code(login, world):
    response = login(world.town_operator).get(reverse("places:detail", args=["999999"]))
    assert response.status_code == 404


def test_it_draws_the_grid_polygon_on_a_plain_background(login, world, settings):
    settings.MAP_TILE_URL = ""
    response = login(world.grid_worker).get(world.grid_a1a.get_absolute_url())
    assert response.status_code == 200
    data = geo_data(response)
    assert data["place"]["geometry"]["type"] == "Polygon"
    assert data["place"]["geometry"]["coordinates"][0][0] == [120.70, 31.60]
    assert data["children"] == []
    assert 'data-tile-url=""' in response.text
    assert "leaflet-1.9.4/leaflet.js" in response.text


def test_it_uses_the_configured_tile_server(login, world, settings):
    settings.MAP_TILE_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    settings.MAP_TILE_ATTRIBUTION = "© Example Tiles"
    response = login(world.grid_worker).get(world.grid_a1a.get_absolute_url())
    assert 'data-tile-url="https://tiles.example.org/{z}/{x}/{y}.png"' in response.text
    assert "© Example Tiles" in response.text


def test_it_says_when_a_place_has_no_boundary(login, world):
    response = login(world.town_operator).get(world.town_a.get_absolute_url())
    assert response.status_code == 200
    assert "No boundary drawn yet" in response.text
    assert 'id="place-geo"' not in response.text


def test_it_shows_area_history_and_the_export_link(login, world):
    boundary_set(place=world.grid_a1a, geometry=square(120.70, 31.60, 0.02), source="survey 2026")
    response = login(world.grid_worker).get(world.grid_a1a.get_absolute_url())
    assert "Earlier boundaries" in response.text
    assert "survey 2026" in response.text
    assert "km²" in response.text
    assert f"/api/v1/places/{world.grid_a1a.code}/export.geojson" in response.text


def test_it_links_administrators_to_the_import(login, world):
    import_url = reverse("places:import")
    admin_page = login(world.city_admin).get(world.town_a.get_absolute_url())
    assert f'href="{import_url}"' in admin_page.text
    operator_page = login(world.town_operator).get(world.town_a.get_absolute_url())
    assert f'class="btn btn-primary" href="{import_url}"' not in operator_page.text


def test_it_pins_the_query_count_of_a_place(login, world, django_assert_max_num_queries):
    for n in range(3, 13):
        grid = place_create(
            code=f"329981001001{n:03d}", name=f"甲一村第{n}网格", level="grid", parent=world.village_a1
        )
        boundary_set(place=grid, geometry=square(120.70 + n * 0.01, 31.62))
    client = login(world.town_operator)
    client.get(world.village_a1.get_absolute_url())
    # The same number of queries whatever the number of grids: no query per child (one of them is
    # the tab bar's to-do count).
    with django_assert_max_num_queries(13):
        response = client.get(world.village_a1.get_absolute_url())
    assert len(geo_data(response)["children"]) == 12


@pytest.mark.parametrize(
    "persona",
    ["resident", "grid_worker", "village_cadre", "town_operator", "city_admin", "agency_staff", "superuser"],
)
def test_it_shows_grid_a1a_to_everyone_of_town_a(login, world, persona):
    response = login(getattr(world, persona)).get(world.grid_a1a.get_absolute_url())
    assert response.status_code == 200
    assert Place.objects.get(pk=world.grid_a1a.pk).name in response.text
