"""Case fixtures on top of the shared `world`: a category, photos, a case walked to any state."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image

from civicgrid.accounts.services import agency_create, role_assign, user_create
from civicgrid.cases import counts, services
from civicgrid.cases.models import Case, Category
from conftest import PASSWORD


def jpeg(color=(200, 80, 40), size=(64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def category(world) -> Category:
    """A minor class with a 24 h response and 5 working-day resolution deadline."""
    return Category.objects.get(code="C0201")


@pytest.fixture
def cw(world):
    """The world with what case tests need: a co-handling agency and its staff, a grid leader."""
    world.agency_b = agency_create(
        code="power", name="供电公司", name_en="Power", region=world.district, kind="state_enterprise"
    )
    world.agency_b_staff = user_create(
        username="power", password=PASSWORD, display_name="郑供电", phone="13800000008"
    )
    role_assign(user=world.agency_b_staff, role="agency_staff", agency=world.agency_b)
    world.grid_leader = user_create(
        username="leader", password=PASSWORD, display_name="冯网格长", phone="13800000009"
    )
    role_assign(user=world.grid_leader, role="grid_leader", place=world.grid_a1a)
    return world


def report(world, category, *, reporter=None, lon=120.705, lat=31.605, **kw) -> Case:
    return services.case_create(
        reporter=reporter if reporter is not None else world.resident,
        source=kw.pop("source", Case.Source.RESIDENT),
        category=category,
        description=kw.pop("description", "路面有一个大坑"),
        lon=lon,
        lat=lat,
        photos=kw.pop("photos", [jpeg()]),
        **kw,
    ).case


def backdate(case: Case, **delta) -> Case:
    """Move a case's report back in time, and its tallies with it (a case's day is where it is counted)."""
    before = counts.where(case)
    Case.objects.filter(pk=case.pk).update(created_at=case.created_at - timedelta(**delta))
    case.refresh_from_db()
    counts.move(before, counts.where(case))
    return case


# The actions that take a fresh case to each state, by whom (attribute of the world).
PATHS = {
    "reported": [],
    "accepted": [("accept", "grid_worker", {})],
    "rejected": [("reject", "grid_worker", {"note": "不在本网格"})],
    "grid_handling": [("accept", "grid_worker", {}), ("handle_in_grid", "grid_worker", {})],
    "village": [
        ("accept", "grid_worker", {}),
        ("escalate_to_village", "grid_worker", {"note": "需村里协调"}),
    ],
    "village_handling": [
        ("accept", "grid_worker", {}),
        ("escalate_to_village", "grid_worker", {"note": "需村里协调"}),
        ("handle_in_village", "village_cadre", {}),
    ],
    "town": [
        ("accept", "grid_worker", {}),
        ("escalate_to_village", "grid_worker", {"note": "需村里协调"}),
        ("escalate_to_town", "village_cadre", {"note": "需职能部门"}),
    ],
}
PATHS["dispatched"] = [*PATHS["town"], ("dispatch", "town_operator", {"agency": "agency"})]
PATHS["in_progress"] = [*PATHS["dispatched"], ("sign", "agency_staff", {})]
PATHS["suspended"] = [
    *PATHS["in_progress"],
    ("request_suspension", "agency_staff", {"note": "需列入明年计划"}),
    ("approve_request", "town_operator", {}),
]
PATHS["checking"] = [*PATHS["in_progress"], ("resolve", "agency_staff", {"note": "已修复", "photos": "jpeg"})]
PATHS["resolved"] = [*PATHS["checking"], ("pass_check", "grid_worker", {})]
PATHS["closed"] = [
    *PATHS["resolved"],
    ("rate", "resident", {"solved": True, "satisfaction": "satisfied"}),
]


def walk(world, case: Case, steps) -> Case:
    for action, who, kw in steps:
        kw = dict(kw)
        if kw.get("agency") == "agency":
            kw["agency"] = world.agency
        if kw.get("photos") == "jpeg":
            kw["photos"] = [jpeg((10, 200, 10))]
        case = services.case_act(case=case, action=action, actor=getattr(world, who), **kw)
    return case


@pytest.fixture
def case_in(cw, category):
    """Return a function making a case in the given state (by walking the workflow)."""

    def make(state: str) -> Case:
        return walk(cw, report(cw, category), PATHS[state])

    return make


@pytest.fixture
def later():
    return lambda **kw: timezone.now() + timedelta(**kw)
