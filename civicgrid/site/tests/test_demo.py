"""The demo county: its shape, its people, and `manage.py load_demo`."""

from __future__ import annotations

from collections import defaultdict
from io import StringIO

import pytest
import shapely
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from shapely.geometry import shape

from civicgrid.accounts.models import Agency, RoleAssignment, User
from civicgrid.accounts.services import user_create
from civicgrid.lib.geo import geometry_area_m2, parse_boundary
from civicgrid.places.models import Boundary, Place, RoutingRevision
from civicgrid.places.services import code_problem, parent_problem
from civicgrid.site import demo
from conftest import ensure_seed_data


@pytest.fixture(scope="module")
def county() -> demo.DemoCounty:
    return demo.build_county()


def load() -> str:
    ensure_seed_data()  # a browser test run before on this worker flushed what the migrations load
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def snapshot() -> dict:
    """Return everything load_demo writes, as plain data."""
    return {
        "places": list(Place.objects.values_list("code", "name", "name_en", "level", "kind", "parent__code")),
        "boundaries": list(
            Boundary.objects.filter(valid_to__isnull=True).values_list(
                "place__code", "geometry", "valid_from"
            )
        ),
        "agencies": list(Agency.objects.values_list("code", "name", "kind", "region__code")),
        "users": list(
            User.objects.order_by("username").values_list("username", "display_name", "phone", "password")
        ),
        "roles": sorted(
            RoleAssignment.objects.values_list("user__username", "role", "place__code", "agency__code")
        ),
        "revision": RoutingRevision.objects.get().revision,
    }


def test_it_generates_four_towns_24_villages_and_about_300_grids(county):
    levels = defaultdict(list)
    for spec in county.places:
        levels[spec.level].append(spec)
    assert [len(levels[lv]) for lv in ("city", "district", "town", "village")] == [1, 1, 4, 24]
    assert 250 <= len(levels["grid"]) <= 350
    assert {t.kind for t in levels["town"]} == {"town", "street"}
    assert {v.kind for v in levels["village"]} == {"village", "community"}
    assert levels["district"][0].kind == "county_city"
    assert len({p.code for p in county.places}) == len(county.places)
    assert len(county.agencies) >= 10
    assert {"government", "state_enterprise"} <= {a.kind for a in county.agencies}


def test_every_code_is_valid_and_starts_with_its_parents(county):
    by_code = {p.code: p for p in county.places}
    for spec in county.places:
        assert code_problem(spec.code, spec.level) is None, spec.code
        parent = by_code.get(spec.parent_code) if spec.parent_code else None
        parent_place = Place(code=parent.code, level=parent.level) if parent else None
        assert parent_problem(spec.code, spec.level, parent_place) is None, spec.code


def test_every_level_has_a_valid_boundary(county):
    for spec in county.places:
        geom = parse_boundary(spec.geometry)
        assert geom.geom_type in ("Polygon", "MultiPolygon")
        assert all(
            len(f"{c:.10f}".rstrip("0").split(".")[1]) <= 6 for c in shapely.get_coordinates(geom).ravel()
        )


def test_children_tile_their_parent_without_overlaps(county):
    children = defaultdict(list)
    for spec in county.places:
        if spec.parent_code and spec.level != "district":
            children[spec.parent_code].append(parse_boundary(spec.geometry))
    for parent_code, shapes in children.items():
        tree = shapely.STRtree(shapes)
        for i, j in zip(*tree.query(shapes, predicate="intersects"), strict=True):
            if i < j:
                overlap = shapes[i].intersection(shapes[j])
                assert overlap.is_empty or geometry_area_m2(overlap) < 1, parent_code
        parent_area = geometry_area_m2(parse_boundary(county.place(parent_code).geometry))
        union_area = geometry_area_m2(shapely.union_all(shapes))
        assert abs(union_area - parent_area) <= 0.001 * parent_area, parent_code


def test_the_county_lies_around_lon_120_75_lat_31_65_and_is_about_30_km_across(county):
    min_lon, min_lat, max_lon, max_lat = shape(county.place(demo.DISTRICT_CODE).geometry).bounds
    assert min_lon < 120.75 < max_lon and min_lat < 31.65 < max_lat
    assert 0.2 < max_lon - min_lon < 0.4 and 0.18 < max_lat - min_lat < 0.35


def test_two_runs_generate_the_same_county(county):
    assert demo.build_county().digest() == county.digest()
    assert demo.build_county(seed=1).digest() != county.digest()


def test_it_lists_a_login_for_every_named_persona():
    logins = demo.demo_logins()
    assert [u for u, _role, _scope in logins] == [
        "admin", "city", "county", "town", "village", "grid", "gridleader", "agency", "resident", "rider",
        "volunteer", "federation",
    ]  # fmt: skip
    out = StringIO()
    call_command("load_demo", "--print-logins", stdout=out)
    assert all(u in out.getvalue() for u, _role, _scope in logins)
    assert demo.DEMO_PASSWORD in out.getvalue()


@pytest.mark.django_db
def test_it_leaves_a_taken_account_name_alone():
    user_create(username="admin", password="Someone-Else-1", display_name="真管理员")

    load()

    admin = User.objects.get(username="admin")
    assert admin.display_name == "真管理员" and not admin.is_superuser
    assert authenticate(username="admin", password="Someone-Else-1") == admin


@pytest.mark.django_db
def test_generate_cases_refuses_without_the_demo():
    with pytest.raises(CommandError, match="load_demo"):
        call_command("generate_cases", count=10, days=5, no_progress=True, stdout=StringIO())
