"""Tests that start from the demo county as `load_demo` leaves it, loaded once for the module (both
databases): what it holds, a second load and a reset, and `manage.py generate_cases` on it.

What a test writes is rolled back after it.
"""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone

from civicgrid.accounts.models import Agency, RoleAssignment, User
from civicgrid.accounts.services import user_create
from civicgrid.cases import demo_hotline
from civicgrid.cases.models import Case, HotlineOrder
from civicgrid.core.roles import Role
from civicgrid.lib.geo import parse_boundary
from civicgrid.places.models import Boundary, Place
from civicgrid.places.services import place_create
from civicgrid.site import demo, generate, generate_places
from civicgrid.site.tests.test_demo import load, snapshot
from civicgrid.site.tests.test_generate_cases import index_names
from civicgrid.site.tests.test_generate_grids import new_places

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("demo_county"),
]


def run(**kwargs) -> str:
    out = StringIO()
    call_command("generate_cases", no_progress=True, stdout=out, **kwargs)
    return out.getvalue()


def test_load_demo_wrote_the_generated_county_and_a_user_for_every_role_once():
    county = demo.build_county()
    from civicgrid.orgs import demo as orgs_demo

    assert Place.objects.count() == len(county.places) + len(orgs_demo.added_place_codes(demo.CITY_CODE))
    assert Boundary.objects.filter(valid_to__isnull=True).count() == len(county.places)
    stored = {code: (name, geometry) for code, name, geometry in
              Boundary.objects.values_list("place__code", "place__name", "geometry")}  # fmt: skip
    assert stored == {p.code: (p.name, p.geometry) for p in county.places}
    assert Agency.objects.filter(region__code=demo.DISTRICT_CODE).count() == len(county.agencies) >= 10
    assert set(RoleAssignment.objects.values_list("role", flat=True)) == set(Role.values)
    grids = Place.objects.filter(level="grid")
    assert RoleAssignment.objects.filter(role="grid_worker", place__in=grids).values(
        "place"
    ).distinct().count() == (grids.count())
    assert User.objects.get(username="admin").is_superuser
    grid_worker = RoleAssignment.objects.get(user__username="grid", role="grid_worker")
    assert grid_worker.place.parent == RoleAssignment.objects.get(user__username="village").place
    # The hotline's demo orders, imported by the town operator: routed, unrouted, some closed.
    orders = HotlineOrder.objects.filter(order_number__startswith=demo_hotline.PREFIX)
    assert orders.filter(case__routed=True).exists() and orders.filter(case__routed=False).exists()
    assert orders.filter(case__state="closed").exists()

    # A second load changes nothing, and prints the logins again.
    before = snapshot()
    out = load()
    assert "329800" in out
    assert snapshot() == before
    for username, _role, _scope in demo.demo_logins():
        assert authenticate(username=username, password=demo.DEMO_PASSWORD) is not None, username
        assert username in out


def test_reset_reloads_the_demo_and_keeps_everything_else():
    before = snapshot()
    # Someone else's region and account beside the demo.
    city = place_create(code="329900", name="测试市", name_en="Test City", level="city")
    place_create(code="329981", name="海棠市", level="district", kind="county_city", parent=city)
    user_create(username="extra", password=None)

    call_command("load_demo", "--reset", stdout=StringIO())

    after = snapshot()
    assert [p for p in after["places"] if not p[0].startswith("3299")] == before["places"]
    assert [u[:3] for u in after["users"] if u[0] != "extra"] == [u[:3] for u in before["users"]]
    assert User.objects.filter(username="extra").exists()
    assert Place.objects.filter(code__in=["329900", "329981"]).count() == 2


def test_every_grid_routes_its_own_points_back_to_itself():
    from civicgrid.places import routing

    for spec in demo.build_county().places:
        if spec.level == "grid":
            point = parse_boundary(spec.geometry).representative_point()
            located = routing.locate(point.x, point.y)
            assert located.grid is not None and located.grid.code == spec.code, spec.code
            assert located.village.code == spec.parent_code


def test_a_large_load_builds_the_indexes_afterwards_and_keeps_them_all():
    before = index_names()
    result = generate.generate_cases(generate.GenerateOptions(count=100, days=20, rebuild_indexes=True))
    assert result.timings["indexes"] >= 0
    assert index_names() == before
    assert Case.objects.filter(pk__gte=result.first_id).count() == 100


def test_a_second_run_is_refused():
    run(count=20, days=5)
    with pytest.raises(CommandError, match=generate.GEN_PREFIX):
        run(count=20, days=5)


def test_reports_of_the_last_minutes_wait_to_be_verified():
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    now = midnight + timedelta(minutes=5)
    result = generate.generate_cases(generate.GenerateOptions(count=60, days=1, now=now))
    assert result.cases == 60
    cases = Case.objects.filter(pk__gte=result.first_id)
    assert cases.filter(created_at__gte=midnight).count() > 20
    assert set(cases.filter(created_at__gte=midnight).values_list("state", flat=True)) == {
        Case.State.REPORTED
    }


def test_it_refuses_more_grids_than_it_can_lay_out():
    with pytest.raises(CommandError, match="grids"):
        run(count=20, days=60, grids=generate_places.MAX_GRIDS + 1)
    assert not new_places().exists()


def _generated_rows(first_id: int) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, tracking_number, grid_id, lon, lat, state, description FROM cases_case WHERE id >= %s "
            "ORDER BY id",
            [first_id],
        )
        return cursor.fetchall()


def test_grids_at_or_below_the_demos_change_nothing():
    now = timezone.now()
    runs = []
    for grids in (None, 300):
        with transaction.atomic():
            result = generate.generate_cases(
                generate.GenerateOptions(count=80, days=10, now=now, grids=grids)
            )
            runs.append((result.grown.grids, _generated_rows(result.first_id)))
            transaction.set_rollback(True)
    assert runs[0] == runs[1] and runs[0][0] == 0
