"""Co-governance test personas: the root `world` (resident of village A1, grid worker of grid A1a,
village cadre of A1, town operator of A, agency staff, an outsider grid worker of town B) plus a
grid leader of A1a and a resident of village B1."""

from __future__ import annotations

import pytest

from civicgrid.accounts.services import role_assign, user_create
from conftest import PASSWORD


@pytest.fixture
def gw(world):
    world.grid_leader = user_create(
        username="gleader", password=PASSWORD, display_name="冯网格长", phone="13800000019"
    )
    role_assign(user=world.grid_leader, role="grid_leader", place=world.grid_a1a)
    world.resident_b = user_create(
        username="residentb", password=PASSWORD, display_name="陈乙居民", phone="13800000018"
    )
    role_assign(user=world.resident_b, role="resident", place=world.village_b1)
    return world
