"""`manage.py generate_cases --grids N`: a city's tree of places grown beside the demo county (both databases)."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from io import StringIO

import pytest
import shapely
from django.core.management import CommandError, call_command
from shapely.geometry import shape

from civicgrid.accounts.models import Agency, RoleAssignment, User
from civicgrid.cases import services
from civicgrid.cases.models import Case, CaseEvent
from civicgrid.core.roles import Role
from civicgrid.lib.geo import parse_boundary
from civicgrid.places import exports, importer, routing
from civicgrid.places.models import Boundary, Place
from civicgrid.places.services import code_problem, parent_problem
from civicgrid.site import demo, generate, generate_places

GRIDS = 400
COUNT = 300


def run(**kwargs) -> str:
    out = StringIO()
    call_command("generate_cases", days=60, no_progress=True, stdout=out, **kwargs)
    return out.getvalue()


def new_places(level: str | None = None):
    places = Place.objects.filter(code__startswith=demo.CITY_CODE[:4]).exclude(
        code__startswith=demo.DISTRICT_CODE
    )
    places = places.exclude(code=demo.CITY_CODE)
    from civicgrid.orgs import demo as orgs_demo

    places = places.exclude(code__in=orgs_demo.added_place_codes(demo.CITY_CODE))
    return places.filter(level=level) if level else places


def current_shapes() -> dict[int, shapely.Geometry]:
    return {b.place_id: shape(b.geometry) for b in Boundary.objects.filter(valid_to__isnull=True)}


pytestmark = [pytest.mark.django_db]


@pytest.fixture(scope="module")
def grown(demo_county) -> str:
    """The demo county grown to GRIDS grids with COUNT cases, once for the module (rolled back after it)."""
    return run(count=COUNT, grids=GRIDS, batch=120)


def test_it_adds_districts_towns_villages_and_grids_in_the_demos_code_scheme(grown):
    assert Place.objects.filter(level="grid", code__startswith=demo.CITY_CODE[:4]).count() == GRIDS
    added = GRIDS - Place.objects.filter(level="grid", code__startswith=demo.DISTRICT_CODE).count()
    assert f"{added} grids" in grown and f"{GRIDS} grids in all" in grown
    assert "places" in grown.rstrip().splitlines()[-1]  # the time it took, among the steps'
    districts = list(new_places("district"))
    assert len(districts) == 1
    district = districts[0]
    assert district.parent.code == demo.CITY_CODE and district.kind == "district"
    assert district.name.endswith("区") and district.name_en.endswith(" District")
    places = list(new_places().select_related("parent"))
    assert Counter(p.level for p in places)["grid"] == added
    for place in places:
        assert not code_problem(place.code, place.level), place.code
        assert not parent_problem(place.code, place.level, place.parent), place.code
        assert place.name and place.name_en
        number = int(place.code[-3:])
        if place.level == "town":
            assert (place.kind, place.name[-2:] if place.kind == "street" else place.name[-1]) in (
                ("street", "街道"),
                ("town", "镇"),
            )
            assert 1 <= number <= 99 if place.kind == "street" else 100 <= number <= 199
        elif place.level == "village":
            assert place.kind in ("community", "village")
            assert place.name.endswith("社区" if place.kind == "community" else "村")
            assert 1 <= number <= 199 if place.kind == "community" else 201 <= number <= 399
        elif place.level == "grid":
            assert place.name.endswith("网格") and place.name_en.endswith(("Grid", *"0123456789"))
    # Realistic proportions: 8-15 grids a village, 8-20 villages a town.
    grids_per_village = Counter(p.parent_id for p in places if p.level == "grid")
    villages_per_town = Counter(p.parent_id for p in places if p.level == "village")
    assert min(grids_per_village.values()) >= 8 and max(grids_per_village.values()) <= 15
    assert min(villages_per_town.values()) >= 8 and max(villages_per_town.values()) <= 20
    # Each town's seat is a community, numbered first.
    for town in (p for p in places if p.level == "town"):
        first = next(p for p in places if p.parent_id == town.pk and p.code.endswith("001"))
        assert first.kind == "community"


def test_every_new_place_has_a_boundary_its_children_tile_exactly(grown):
    shapes = current_shapes()
    places = list(new_places())
    children = defaultdict(list)
    for place in places:
        assert place.pk in shapes, place.code
        parse_boundary(Boundary.objects.get(place=place, valid_to__isnull=True).geometry)
        children[place.parent_id].append(place)
    for place in places:
        kids = children.get(place.pk)
        if not kids:
            continue
        parent = shapes[place.pk]
        kid_shapes = [shapes[k.pk] for k in kids]
        assert all(shapely.covers(parent, s) for s in kid_shapes), place.code
        # Together they cover the parent, and no two overlap.
        assert shapely.union_all(kid_shapes).symmetric_difference(parent).area < 1e-12, place.code
        tree = shapely.STRtree(kid_shapes)
        left, right = tree.query(kid_shapes, predicate="intersects")
        for i, j in zip(left.tolist(), right.tolist(), strict=True):
            if i < j:
                assert shapes[kids[i].pk].intersection(shapes[kids[j].pk]).area == 0, (
                    kids[i].code,
                    kids[j].code,
                )
    # The city's boundary holds the county and every new district, which lie apart from the county.
    city = shapes[Place.objects.get(code=demo.CITY_CODE).pk]
    county = shapes[Place.objects.get(code=demo.DISTRICT_CODE).pk]
    for district in new_places("district"):
        assert shapely.covers(city, shapes[district.pk])
        assert not shapely.intersects(county, shapes[district.pk])


def test_the_new_places_pass_the_import_checks(grown):
    district = new_places("district").get()
    data = exports.places_feature_collection(user=User.objects.get(username="admin"), root=district)
    assert len(data["features"]) == new_places().count()
    plan = importer.check_places(data)
    assert plan.problems == []
    assert plan.unchanged == len(data["features"])


def test_a_point_of_each_new_grid_routes_to_it_and_intake_files_it_there(grown):
    shapes = current_shapes()
    grids = list(new_places("grid").select_related("parent__parent__parent"))
    for grid in grids:
        point = shapes[grid.pk].representative_point()
        found = routing.locate(point.x, point.y)
        assert found.routed and found.grid.code == grid.code
        assert found.village.id == grid.parent_id and found.town.id == grid.parent.parent_id
        assert found.district.id == grid.parent.parent.parent_id
    grid = random.Random(1).choice(grids)
    point = shapes[grid.pk].representative_point()
    intake = services.case_create(
        reporter=None,
        source=Case.Source.RESIDENT,
        category="E0104",
        description="夜间噪声",
        lon=point.x,
        lat=point.y,
    )
    assert intake.case.grid_id == grid.pk and intake.case.district_id == grid.parent.parent.parent_id


def test_every_new_place_has_its_staff_and_each_district_its_agencies(grown):
    holders = defaultdict(set)
    for role, place_id, username in RoleAssignment.objects.filter(is_active=True).values_list(
        "role", "place_id", "user__username"
    ):
        holders[(role, place_id)].add(username)
    wanted = {
        "district": Role.DISTRICT_ADMIN,
        "town": Role.TOWN_OPERATOR,
        "village": Role.VILLAGE_CADRE,
        "grid": Role.GRID_WORKER,
    }
    for place in new_places():
        names = holders[(wanted[place.level], place.pk)]
        assert names and all(n.startswith(generate.GEN_PREFIX) for n in names), place.code
        assert User.objects.filter(
            username__in=names, email__endswith="@" + generate.GEN_EMAIL_DOMAIN
        ).exists()
    for district in new_places("district"):
        agencies = Agency.objects.filter(region=district, is_active=True)
        assert agencies.count() == len(generate_places._AGENCIES)
        for agency in agencies:
            assert agency.name.startswith(("国网澄州市", "澄州市")) or agency.name.startswith(district.name)
            assert RoleAssignment.objects.filter(role=Role.AGENCY_STAFF, agency=agency).exists()


def test_cases_land_in_the_new_grids_too_and_are_handled_by_their_districts_staff(grown, client):
    shapes = current_shapes()
    places = {p.pk: p for p in Place.objects.all()}
    new_ids = set(new_places().values_list("pk", flat=True))
    landed = list(Case.objects.filter(grid_id__in=new_ids))
    assert len(landed) >= COUNT // 10
    for case in landed:
        grid = places[case.grid_id]
        assert case.village_id == grid.parent_id and case.town_id == places[case.village_id].parent_id
        assert case.district_id == places[case.town_id].parent_id
        assert shapely.covers(shapes[grid.pk], shapely.Point(case.lon, case.lat)), case.tracking_number
    # Dispatched only to agencies serving the case's district (the workflow's rule), and reported by
    # mobile grid members of that district.
    regions = dict(Agency.objects.values_list("pk", "region_id"))
    city = Place.objects.get(code=demo.CITY_CODE).pk
    districts = {c.pk: c.district_id for c in landed}
    dispatches = CaseEvent.objects.filter(case_id__in=list(districts), action__in=["dispatch", "redispatch"])
    for case_id, data in dispatches.values_list("case_id", "data"):
        for agency in [data["agency"], *data["co_agencies"]]:
            assert regions[agency] in (districts[case_id], city)
    riders = dict(
        RoleAssignment.objects.filter(role=Role.MOBILE_GRID_MEMBER).values_list("user_id", "place_id")
    )
    for case in landed:
        if case.source == Case.Source.MOBILE:
            assert riders[case.reporter_id] == case.district_id
    # The town's generated operator opens a case of the town.
    case = next(c for c in landed)
    operator = RoleAssignment.objects.get(role=Role.TOWN_OPERATOR, place_id=case.town_id).user
    client.force_login(operator)
    assert client.get(case.get_absolute_url()).status_code == 200


def test_a_second_run_is_refused_and_adds_no_places(grown):
    before = Place.objects.count()
    with pytest.raises(CommandError, match=generate.GEN_PREFIX):
        run(count=20, grids=GRIDS * 2)
    assert Place.objects.count() == before


def test_the_plan_is_the_seeds_and_its_rectangles_tile_the_whole():
    first = generate_places.plan_tree("329800", 1000, {"329881"}, 5)
    assert first == generate_places.plan_tree("329800", 1000, {"329881"}, 5)
    assert first != generate_places.plan_tree("329800", 1000, {"329881"}, 6)
    whole = generate_places._lay_out(first, (120.6, 31.5, 120.9, 31.8))
    grids = [n for n in generate_places._walk(first) if n.level == "grid"]
    assert len(grids) == 1000
    boxes = [shapely.box(*n.rect) for n in grids]
    assert shapely.union_all(boxes).symmetric_difference(shapely.box(*whole)).area < 1e-12
    assert sum(b.area for b in boxes) == pytest.approx(shapely.box(*whole).area, rel=1e-9)
    assert whole[0] > 120.9  # east of the county
