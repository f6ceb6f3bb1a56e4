"""Each role sees in the navigation what it may use, and nothing else."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from civicgrid.core.navigation import nav_items


def keys(user) -> list[str]:
    return [item.key for item in nav_items(user)]


def test_it_shows_anonymous_visitors_only_home(db):
    assert keys(AnonymousUser()) == ["home"]


def test_it_shows_a_resident_their_community_but_no_tools(world):
    assert keys(world.resident) == ["home", "my_place", "places"]
    assert nav_items(world.resident)[1].url == world.village_a1.get_absolute_url()


def test_it_shows_a_grid_worker_their_grid_and_tokens(world):
    items = nav_items(world.grid_worker)
    assert [i.key for i in items] == ["home", "my_place", "places", "tokens"]
    assert items[1].url == world.grid_a1a.get_absolute_url()


def test_it_shows_the_town_operator_their_town(world):
    items = nav_items(world.town_operator)
    assert [i.key for i in items] == ["home", "my_place", "places", "tokens"]
    assert items[1].url == world.town_a.get_absolute_url()


def test_it_shows_administrators_the_import(world):
    assert keys(world.city_admin) == ["home", "my_place", "places", "import", "tokens"]


def test_it_shows_the_superuser_the_admin_site(world):
    assert "admin" in keys(world.superuser)
    assert "admin" not in keys(world.city_admin)


def test_it_links_every_entry_to_a_page_that_answers(world, client):
    for user in (
        world.resident,
        world.grid_worker,
        world.town_operator,
        world.city_admin,
        world.agency_staff,
    ):
        client.force_login(user)
        for item in nav_items(user):
            response = client.get(item.url)
            assert response.status_code == 200, (user.username, item.url, response.status_code)
