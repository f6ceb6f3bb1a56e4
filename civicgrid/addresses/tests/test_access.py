"""Who reads and keeps which addresses: each role its part; outsiders nothing (403 or 404)."""

from __future__ import annotations

import pytest

from civicgrid.addresses import access, services
from civicgrid.addresses.models import Address
from civicgrid.addresses.tests.conftest import add
from civicgrid.core.errors import NotFound, PermissionDenied


@pytest.fixture
def addresses(world):
    return {
        "a1a": add(world.grid_a1a, number="1"),
        "a1b": add(world.grid_a1b, number="2"),
        "b1a": add(world.grid_b1a, number="3"),
    }


def _readable(user) -> set[str]:
    codes = {
        "329981001001001": "a1a",
        "329981001001002": "a1b",
        "329981002001001": "b1a",
    }
    return {codes[a.grid_code] for a in access.scope_addresses(user)}


def test_each_role_reads_only_its_part_of_the_register(world, addresses, grid_leader):
    assert _readable(world.grid_worker) == {"a1a"}
    assert _readable(grid_leader) == {"a1b"}
    assert _readable(world.village_cadre) == {"a1a", "a1b"}
    assert _readable(world.town_operator) == {"a1a", "a1b"}
    assert _readable(world.city_admin) == {"a1a", "a1b", "b1a"}
    assert _readable(world.superuser) == {"a1a", "a1b", "b1a"}
    assert _readable(world.outsider) == {"b1a"}


def test_people_without_a_keeping_role_read_nothing(world, addresses):
    for user in (world.resident, world.agency_staff):
        assert not access.can_use(user)
        assert _readable(user) == set()
        with pytest.raises(PermissionDenied):
            access.address_for(user, addresses["a1a"].pk)


def test_an_address_outside_the_users_places_is_not_found(world, addresses):
    with pytest.raises(NotFound):
        access.address_for(world.outsider, addresses["a1a"].pk)
    with pytest.raises(NotFound):
        access.address_for(world.grid_worker, addresses["a1b"].pk)
    assert access.address_for(world.village_cadre, addresses["a1b"].pk) == addresses["a1b"]


def test_a_grid_worker_keeps_only_their_grid(world, addresses):
    assert access.can_keep(world.grid_worker, world.grid_a1a)
    assert not access.can_keep(world.grid_worker, world.grid_a1b)
    assert not access.can_keep(world.grid_worker, world.village_a1)
    with pytest.raises(PermissionDenied):
        services.address_add(user=world.grid_worker, grid=world.grid_a1b, road="人民路", number="5")
    with pytest.raises(PermissionDenied):
        services.address_retire(user=world.outsider, address=addresses["a1a"])
    assert Address.objects.get(pk=addresses["a1a"].pk).status == Address.Status.ACTIVE


def test_only_the_town_and_administrators_import(world):
    assert access.can_import(world.town_operator, world.town_a)
    assert not access.can_import(world.town_operator, world.town_b)
    assert access.can_import(world.city_admin, world.town_b)
    assert not access.can_import(world.village_cadre)
    assert not access.can_import(world.grid_worker)
    assert not access.can_import(world.resident)
