"""Who may see and manage places (and the scope resolver under it), persona by persona."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from civicgrid.accounts.access import can_create_token
from civicgrid.accounts.services import role_assign
from civicgrid.core import scopes
from civicgrid.core.errors import PermissionDenied
from civicgrid.places import access
from civicgrid.places.access import Perm


def codes(qs) -> set[str]:
    return set(qs.values_list("code", flat=True))


def test_it_lets_a_grid_worker_see_their_grid_and_the_chain_above_but_not_the_neighbour(world):
    visible = codes(access.scope_places(world.grid_worker))
    assert world.grid_a1a.code in visible
    assert {world.village_a1.code, world.town_a.code, world.district.code, world.city.code} <= visible
    assert world.grid_a1b.code not in visible
    assert world.town_b.code not in visible


def test_it_lets_the_town_operator_see_everything_in_the_town(world):
    visible = codes(access.scope_places(world.town_operator))
    assert {world.village_a1.code, world.grid_a1a.code, world.grid_a1b.code} <= visible
    assert not visible & {world.town_b.code, world.village_b1.code, world.grid_b1a.code}


def test_it_denies_outsider_everything_of_the_other_town(world):
    outsider = world.outsider
    visible = codes(access.scope_places(outsider))
    assert not visible & {world.town_a.code, world.village_a1.code, world.grid_a1a.code, world.grid_a1b.code}
    for place in (world.town_a, world.village_a1, world.grid_a1a):
        assert not access.can(outsider, Perm.PLACE_VIEW, place)
        assert not access.can(outsider, Perm.PLACE_VIEW_CONTACTS, place)
        assert not access.can(outsider, Perm.PLACE_MANAGE, place)
    with pytest.raises(PermissionDenied):
        access.check(outsider, Perm.PLACE_MANAGE, world.grid_a1a)


def test_it_shows_contacts_only_to_staff_within_scope(world):
    assert access.can(world.town_operator, Perm.PLACE_VIEW_CONTACTS, world.grid_a1a)
    assert access.can(world.grid_worker, Perm.PLACE_VIEW_CONTACTS, world.grid_a1a)
    # The chain above is visible to a grid worker, but not the contacts of the whole town.
    assert access.can(world.grid_worker, Perm.PLACE_VIEW, world.town_a)
    assert not access.can(world.grid_worker, Perm.PLACE_VIEW_CONTACTS, world.town_a)
    assert not access.can(world.resident, Perm.PLACE_VIEW_CONTACTS, world.grid_a1a)


def test_it_lets_only_admins_manage_places_within_their_region(world):
    assert access.can(world.city_admin, Perm.PLACE_MANAGE, world.grid_b1a)
    assert not access.can(world.city_admin, Perm.PLACE_MANAGE, world.city)
    assert not access.can(world.town_operator, Perm.PLACE_MANAGE, world.grid_a1a)
    assert not access.can(world.resident, Perm.PLACE_MANAGE)
    assert access.can(world.superuser, Perm.PLACE_MANAGE, world.city)
    assert codes(access.scope_places_managed(world.town_operator)) == set()
    assert world.grid_b1a.code in codes(access.scope_places_managed(world.city_admin))


def test_it_scopes_agency_staff_to_the_region_their_agency_serves(world):
    visible = codes(access.scope_places(world.agency_staff))
    assert {world.grid_a1a.code, world.grid_b1a.code, world.city.code} <= visible
    assert not access.can(world.agency_staff, Perm.PLACE_MANAGE, world.grid_a1a)


def test_it_refuses_anonymous_and_inactive_users(world):
    anonymous = AnonymousUser()
    assert codes(access.scope_places(anonymous)) == set()
    assert not access.can(anonymous, Perm.PLACE_VIEW, world.grid_a1a)
    world.town_operator.is_active = False
    scopes.forget(world.town_operator)
    assert codes(access.scope_places(world.town_operator)) == set()


def test_it_counts_a_role_only_while_it_is_active(world):
    ra = world.outsider.roles.get()
    ra.is_active = False
    ra.save()
    scopes.forget(world.outsider)
    assert codes(access.scope_places(world.outsider)) == set()


def test_it_adds_up_the_scopes_of_a_person_with_several_roles(world):
    role_assign(user=world.outsider, role="village_cadre", place=world.village_a1)
    visible = codes(access.scope_places(world.outsider))
    assert {world.grid_b1a.code, world.grid_a1a.code, world.grid_a1b.code} <= visible
    assert world.town_b.code in visible


def test_it_lets_only_staff_create_tokens(world):
    assert can_create_token(world.grid_worker)
    assert can_create_token(world.agency_staff)
    assert not can_create_token(world.resident)


def test_it_reads_roles_once_per_user_object(world, django_assert_num_queries):
    user = world.town_operator
    scopes.forget(user)
    with django_assert_num_queries(1):
        for place in (world.grid_a1a, world.grid_a1b, world.grid_b1a, world.town_b):
            access.can(user, Perm.PLACE_VIEW, place)


def test_community_affairs_are_run_by_the_cadres_of_the_community_and_the_staff_above(world):
    assert access.can(world.village_cadre, Perm.COMMUNITY_MANAGE, world.village_a1)
    assert access.can(world.town_operator, Perm.COMMUNITY_MANAGE, world.village_a1)
    assert access.can(world.city_admin, Perm.COMMUNITY_MANAGE, world.village_b1)
    assert not access.can(world.village_cadre, Perm.COMMUNITY_MANAGE, world.village_b1)
    assert not access.can(world.grid_worker, Perm.COMMUNITY_MANAGE, world.village_a1)
    assert not access.can(world.resident, Perm.COMMUNITY_MANAGE)
    assert codes(access.communities_managed(world.village_cadre)) == {world.village_a1.code}
    assert codes(access.communities_managed(world.town_operator)) == {world.village_a1.code}
    assert codes(access.communities_managed(world.grid_worker)) == set()
    assert world.village_b1.code in codes(access.communities_managed(world.superuser))
