"""Helpers of the register's tests: addresses added through the service, as the pages add them."""

from __future__ import annotations

import pytest

from civicgrid.accounts.services import role_assign, user_create
from civicgrid.addresses import matching, services
from civicgrid.addresses.models import Address

PASSWORD = "Grid-Pass-2026"


def add(grid, *, road="解放路", number="88", user=None, **parts) -> Address:
    """Add an address as the system (no user), so a test's own checks start from a known register."""
    return services.address_add(user=user, grid=grid, road=road, number=number, **parts)


@pytest.fixture
def grid_leader(world):
    user = user_create(username="leader", password=PASSWORD, display_name="郑组长", phone="13800000009")
    role_assign(user=user, role="grid_leader", place=world.grid_a1b)
    return user


@pytest.fixture(autouse=True)
def _fresh_vocabulary():
    """Each test starts with no cached vocabulary (tests roll back the register and its revision)."""
    matching.invalidate()
    yield
    matching.invalidate()
