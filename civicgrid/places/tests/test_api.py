"""The places API: locate, tree, search, detail and export, through the permission module."""

from __future__ import annotations

import pytest

from civicgrid.accounts.services import api_token_create
from civicgrid.places.models import Boundary, Place


def test_it_locates_a_point_for_anyone(client, world):
    response = client.get("/api/v1/places/locate", {"lon": 120.705, "lat": 31.605})
    assert response.status_code == 200
    body = response.json()
    assert body["routed"] is True
    assert body["grid"]["code"] == world.grid_a1a.code
    assert body["village"]["code"] == world.village_a1.code
    assert body["town"]["code"] == world.town_a.code
    assert body["district"]["code"] == world.district.code


def test_it_keeps_a_point_outside_every_grid_with_the_nearest_region(client, world):
    body = client.get("/api/v1/places/locate", {"lon": 120.725, "lat": 31.605}).json()
    assert body["routed"] is False
    assert body["grid"] is None
    assert body["town"]["code"] == world.town_a.code


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"lon": 200, "lat": 31.6}, "out_of_range"),
        ({"lon": 120.7, "lat": -95}, "out_of_range"),
        ({"lon": "east", "lat": 31.6}, "invalid"),
        ({"lat": 31.6}, "invalid"),
        ({"lon": 120.7, "lat": 31.6, "crs": "utm"}, "invalid"),
        # A Baidu (BD-09) point of Beijing sent as WGS-84: far outside this city.
        ({"lon": 116.404, "lat": 39.915, "crs": "wgs84"}, "outside_service_area"),
        # Latitude and longitude swapped.
        ({"lon": 31.605, "lat": 120.705 - 90}, "outside_service_area"),
    ],
)
def test_it_refuses_bad_coordinates_with_a_clear_message(client, world, params, code):
    response = client.get("/api/v1/places/locate", params, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == code
    assert body["message"]


def test_it_answers_in_chinese_by_default(world):
    from django.test import Client

    body = Client().get("/api/v1/places/locate", {"lon": 116.404, "lat": 39.915}).json()
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"])


def test_it_converts_gcj02_and_bd09_points(client, world):
    from civicgrid.lib.geo import gcj02_to_bd09, wgs84_to_gcj02

    gcj = wgs84_to_gcj02(120.705, 31.605)
    bd = gcj02_to_bd09(*gcj)
    for crs, (lon, lat) in (("gcj02", gcj), ("bd09", bd)):
        body = client.get("/api/v1/places/locate", {"lon": lon, "lat": lat, "crs": crs}).json()
        assert body["grid"]["code"] == world.grid_a1a.code
        assert abs(body["lon"] - 120.705) < 1e-5 and abs(body["lat"] - 31.605) < 1e-5


def test_it_requires_sign_in_for_the_tree(client, world):
    response = client.get("/api/v1/places/tree")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_it_returns_the_tree_within_scope(login, world):
    client = login(world.town_operator)
    roots = client.get("/api/v1/places/tree").json()
    assert [p["code"] for p in roots] == [world.city.code]
    towns = client.get("/api/v1/places/tree", {"parent": world.district.code}).json()
    assert [p["code"] for p in towns] == [world.town_a.code]
    assert towns[0]["child_count"] == 1


def test_it_denies_outsider_the_places_of_another_town(login, world):
    client = login(world.outsider)
    assert client.get(f"/api/v1/places/{world.grid_a1a.code}").status_code == 404
    assert client.get("/api/v1/places/tree", {"parent": world.town_a.code}).status_code == 404
    assert client.get(f"/api/v1/places/{world.town_a.code}/export.geojson").status_code == 404
    found = client.get("/api/v1/places/search", {"q": "甲"}).json()
    assert found == []
    towns = client.get("/api/v1/places/tree", {"parent": world.district.code}).json()
    assert [p["code"] for p in towns] == [world.town_b.code]


def test_it_returns_a_grid_with_its_boundary_chain_and_masked_people(login, world):
    body = login(world.resident).get(f"/api/v1/places/{world.grid_a1a.code}").json()
    assert body["place"]["parent_code"] == world.village_a1.code
    assert [p["code"] for p in body["chain"]] == [
        world.city.code,
        world.district.code,
        world.town_a.code,
        world.village_a1.code,
    ]
    assert body["boundary"]["geometry"]["type"] == "Polygon"
    assert body["boundary"]["area_m2"] > 900_000
    phones = {p["name"]: p["phone"] for p in body["people"]}
    assert phones["李网格"] == "138****0002"


def test_it_shows_phones_to_staff_of_the_town(login, world):
    body = login(world.town_operator).get(f"/api/v1/places/{world.grid_a1a.code}").json()
    phones = {p["name"]: p["phone"] for p in body["people"]}
    assert phones["李网格"] == "13800000002"


def test_it_accepts_an_api_token(client, world):
    _token, plain = api_token_create(user=world.town_operator, name="dashboard")
    response = client.get(f"/api/v1/places/{world.village_a1.code}", HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert response.status_code == 200
    bad = client.get(f"/api/v1/places/{world.village_a1.code}", HTTP_AUTHORIZATION="Bearer cg_x_y")
    assert bad.status_code == 401


def test_it_searches_by_name_and_code(login, world):
    client = login(world.town_operator)
    assert [p["code"] for p in client.get("/api/v1/places/search", {"q": "第2网格"}).json()] == [
        world.grid_a1b.code
    ]
    by_code = client.get("/api/v1/places/search", {"q": world.village_a1.code}).json()
    assert {p["code"] for p in by_code} == {world.village_a1.code, world.grid_a1a.code, world.grid_a1b.code}


def test_it_exports_the_subtree_as_geojson_that_the_importer_reads(login, world):
    response = login(world.town_operator).get(f"/api/v1/places/{world.town_a.code}/export.geojson")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/geo+json")
    data = response.json()
    codes = [f["properties"]["code"] for f in data["features"]]
    assert codes == [world.town_a.code, world.village_a1.code, world.grid_a1a.code, world.grid_a1b.code]
    grid = data["features"][2]
    assert grid["properties"]["parent_code"] == world.village_a1.code
    assert grid["geometry"]["type"] == "Polygon"
    assert Place.objects.count() == 9 and Boundary.objects.count() == 3


def test_it_publishes_an_openapi_schema(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/places/locate" in schema["paths"]


def test_geojson_export_is_a_staff_tool(login, world):
    """A resident may look at their village but not export it; the page offers them no button."""
    client = login(world.resident)
    assert client.get(f"/api/v1/places/{world.village_a1.code}/export.geojson").status_code == 403
    page = client.get(f"/places/{world.village_a1.code}/")
    assert page.status_code == 200 and "Export GeoJSON" not in page.content.decode()
    staff = login(world.village_cadre)
    assert staff.get(f"/api/v1/places/{world.village_a1.code}/export.geojson").status_code == 200
    assert "Export GeoJSON" in staff.get(f"/places/{world.village_a1.code}/").content.decode()
