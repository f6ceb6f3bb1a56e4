"""Personas and a small region shared by every test (after hc/test.py).

A city › district › two towns. Town A has village A1 with grids A1a and A1b (two unit squares sharing
an edge); town B has village B1 with grid B1a. The outsider is a grid worker of grid B1a and must see
and change nothing of town A.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from io import StringIO

import pytest
from django.test import Client
from django.utils import translation

from civicgrid.accounts.models import Agency, User
from civicgrid.accounts.services import agency_create, role_assign, user_create
from civicgrid.places.models import Place
from civicgrid.places.services import boundary_set, place_create

PASSWORD = "Grid-Pass-2026"


def square(lon: float, lat: float, size: float = 0.01) -> dict:
    """Return a GeoJSON Polygon: the square of side `size` degrees with its south-west corner at lon/lat."""
    return {
        "type": "Polygon",
        "coordinates": [
            [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
        ],
    }


@dataclass
class World:
    city: Place
    district: Place
    town_a: Place
    town_b: Place
    village_a1: Place
    village_b1: Place
    grid_a1a: Place
    grid_a1b: Place
    grid_b1a: Place
    agency: Agency
    resident: User
    grid_worker: User
    village_cadre: User
    town_operator: User
    city_admin: User
    agency_staff: User
    outsider: User
    superuser: User


@contextmanager
def rolled_back(django_db_blocker) -> Iterator[None]:
    """Open a transaction for a module's or a class's shared data and roll it back afterwards.

    The tests inside run in savepoints within it (pytest-django's `db` nests), so what one test
    writes is gone for the next, as with Django's `setUpTestData`.
    """
    from django.db import transaction

    with django_db_blocker.unblock(), transaction.atomic():
        yield
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def demo_county(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[None]:
    """The demo county (`manage.py load_demo`), loaded once for the module that asks for it.

    Loading it takes half a minute, so the tests that read it share one load. Every test of such a
    module sees the demo (a module-scoped fixture lasts to the module's end); the suite runs with
    `--dist loadfile`, so a module's tests stay on one xdist worker and it is loaded once.
    """
    from django.core.management import call_command
    from django.test import override_settings

    with (
        translation.override("en"),
        override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("demo-media")),
        rolled_back(django_db_blocker),
    ):
        ensure_seed_data()
        call_command("load_demo", stdout=StringIO())
        yield


def ensure_seed_data() -> None:
    """Restore what data migrations load; a transactional test (live server, threads) flushes it."""
    from civicgrid.cases.models import Category
    from civicgrid.cases.seed import load_categories, load_quick

    if not Category.objects.exists():
        load_categories(Category)
        load_quick(Category)
    from importlib import import_module

    from django.apps import apps

    # The seed's "6个1" set-up checklist (orgs migration 0002): new organisations get its tasks.
    import_module("civicgrid.orgs.migrations.0002_six_ones").seed(apps, None)


@pytest.fixture
def world(db) -> World:
    ensure_seed_data()
    city = place_create(code="329900", name="测试市", name_en="Test City", level="city")
    district = place_create(
        code="329981", name="海棠市", name_en="Haitang", level="district", kind="county_city", parent=city
    )
    town_a = place_create(code="329981001", name="甲镇", name_en="Town A", level="town", parent=district)
    town_b = place_create(
        code="329981002", name="乙街道", name_en="Street B", level="town", kind="street", parent=district
    )
    village_a1 = place_create(
        code="329981001001", name="甲一村", name_en="Village A1", level="village", parent=town_a
    )
    village_b1 = place_create(
        code="329981002001",
        name="乙一社区",
        name_en="Community B1",
        level="village",
        kind="community",
        parent=town_b,
    )
    grid_a1a = place_create(code="329981001001001", name="甲一村第1网格", level="grid", parent=village_a1)
    grid_a1b = place_create(code="329981001001002", name="甲一村第2网格", level="grid", parent=village_a1)
    grid_b1a = place_create(code="329981002001001", name="乙一社区第1网格", level="grid", parent=village_b1)
    # Grids A1a and A1b share the edge lon = 120.71; B1a lies 0.1° east.
    boundary_set(place=grid_a1a, geometry=square(120.70, 31.60))
    boundary_set(place=grid_a1b, geometry=square(120.71, 31.60))
    boundary_set(place=grid_b1a, geometry=square(120.80, 31.60))
    agency = agency_create(code="water", name="市水务局", name_en="Water Bureau", region=district)

    def person(username: str, name: str, phone: str, role: str | None = None, **scope) -> User:
        user = user_create(username=username, password=PASSWORD, display_name=name, phone=phone)
        if role:
            role_assign(user=user, role=role, **scope)
        return user

    return World(
        city=city,
        district=district,
        town_a=town_a,
        town_b=town_b,
        village_a1=village_a1,
        village_b1=village_b1,
        grid_a1a=grid_a1a,
        grid_a1b=grid_a1b,
        grid_b1a=grid_b1a,
        agency=agency,
        resident=person("resident", "王居民", "13800000001", "resident", place=village_a1),
        grid_worker=person("gridworker", "李网格", "13800000002", "grid_worker", place=grid_a1a),
        village_cadre=person("cadre", "赵村干", "13800000003", "village_cadre", place=village_a1),
        town_operator=person("operator", "钱指挥", "13800000004", "town_operator", place=town_a),
        city_admin=person("cityadmin", "孙管理", "13800000005", "district_admin", place=district),
        agency_staff=person("agency", "周水务", "13800000006", "agency_staff", agency=agency),
        outsider=person("outsider", "吴外人", "13800000007", "grid_worker", place=grid_b1a),
        superuser=user_create(
            username="root", password=PASSWORD, display_name="系统管理员", is_superuser=True
        ),
    )


@pytest.fixture
def login(client):
    """Return a function that signs the test client in as a user."""

    def _login(user: User):
        client.force_login(user)
        return client

    return _login


@pytest.fixture(autouse=True)
def _fresh_routing_index():
    """Drop the per-process routing index and category list around each test: each test has its own
    boundaries, and categories written by a test are rolled back (or flushed) after it."""
    from civicgrid.cases import categories
    from civicgrid.places import mapindex, routing

    routing.invalidate()
    mapindex.invalidate()
    categories.invalidate()
    yield
    routing.invalidate()
    mapindex.invalidate()
    categories.invalidate()


@pytest.fixture
def client() -> Client:
    """A test client that asks for English, so assertions read the English msgids.

    Tests of the Chinese default make their own `Client()`, which sends no Accept-Language.
    """
    return Client(headers={"Accept-Language": "en"})


@pytest.fixture(autouse=True)
def _english():
    """Run code outside requests (services, commands) in English too; requests follow their headers."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: what one test's users cached (their repeat locations,
    rate-limit buckets) must not reach the next test's users, who may get the same ids."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _case_counts_agree(request):
    """After every test that used the database, the kept case counts and figures must equal a recount.

    Any path that writes a case's state, places or day without `civicgrid.cases.counts.move`, or an
    event without `civicgrid.cases.figures.record`, fails the test that took it. The database fixture is requested first, so this check runs before the
    test's transaction is rolled back (or its tables flushed).
    """
    if "_django_db_helper" not in request.fixturenames and not request.node.get_closest_marker("django_db"):
        yield
        return
    request.getfixturevalue("_django_db_helper")
    yield
    from django.db import connection

    from civicgrid.cases import counts, figures

    if _transaction_failed(connection):
        # A test that ends inside a failed PostgreSQL transaction (a statement refused outside a
        # savepoint) can read nothing more, and everything it wrote is rolled back.
        return
    found = counts.differences()
    assert not found, "kept case counts differ from a recount:\n" + "\n".join(map(str, found[:20]))
    found = figures.differences()
    assert not found, "kept case figures differ from a recount:\n" + "\n".join(map(str, found[:20]))


def _transaction_failed(connection) -> bool:
    """Return whether the connection is inside a PostgreSQL transaction that a failed statement aborted."""
    if connection.vendor != "postgresql" or connection.connection is None:
        return False
    from psycopg.pq import TransactionStatus

    return connection.connection.info.transaction_status == TransactionStatus.INERROR
