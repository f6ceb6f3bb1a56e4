"""Where co-governance shows in each role's navigation, and the hub's links."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import AnonymousUser

from civicgrid.accounts.services import role_assign, user_create
from civicgrid.governance import navigation, services_pairings
from civicgrid.governance.tests.helpers_pairings import pw_fixture  # noqa: F401
from civicgrid.site.navigation import nav_items
from conftest import PASSWORD


@pytest.mark.parametrize(
    ("who", "group"),
    [
        ("village_cadre", "main"),
        ("town_operator", "main"),
        ("grid_worker", "main"),
        ("grid_leader", "main"),
        ("outsider", "main"),
        ("resident", "main"),
        ("resident_b", "main"),
        ("city_admin", "more"),
        ("agency_staff", "more"),
        ("superuser", "more"),
    ],
)
def test_co_governance_sits_in_the_main_bar_or_under_more_by_role(pw, who, group):
    assert navigation.nav_entries(getattr(pw, who)) == [
        ("Govern together", "/governance/", "governance", group)
    ]
    items = {item.key: item for item in nav_items(getattr(pw, who))}
    assert items["governance"].group == group


def test_a_volunteer_without_a_place_gets_no_entry(pw):
    volunteer = user_create(username="vol", password=PASSWORD, display_name="志愿者")
    role_assign(user=volunteer, role="volunteer")
    assert navigation.nav_entries(volunteer) == []


def test_an_anonymous_visitor_gets_the_public_board_once_it_exists(monkeypatch):
    assert navigation.nav_entries(AnonymousUser()) == []
    board = navigation.HubEntry("board", "Task board", "", "governance:hub", lambda user: True)
    monkeypatch.setattr(navigation, "HUB", [board])
    assert navigation.nav_entries(AnonymousUser()) == [
        ("Public task board", "/governance/", "governance_board", "main")
    ]


def keys(user) -> list[str]:
    return [link.key for link in navigation.hub_links(user)]


def test_the_hub_offers_each_role_its_parts(pw):
    # Meetings, the forum and the board are other parts' pages: not merged here, so left out.
    assert keys(pw.town_operator) == ["pairings", "figures"]
    assert keys(pw.village_cadre) == ["pairings", "figures"]
    assert keys(pw.city_admin) == ["pairings", "figures"]
    assert keys(pw.agency_staff) == ["pairings"]
    assert keys(pw.grid_worker) == ["pairings", "figures"]
    assert keys(pw.resident) == []
    assert keys(AnonymousUser()) == []


def test_the_hub_takes_the_other_parts_as_they_register(pw, monkeypatch):
    monkeypatch.setattr(navigation, "HUB", list(navigation.HUB))
    calendar = navigation.HubEntry("meetings", "Meetings", "", "governance:pairings_index", lambda u: True)
    forum = navigation.HubEntry(
        "forum", "Forum", "", "governance:pairings_place", navigation._has_grid, navigation._home_grid_code
    )
    navigation.register(calendar)
    navigation.register(forum, before="pairings")
    assert keys(pw.grid_worker) == ["meetings", "forum", "pairings", "figures"]
    assert keys(pw.resident) == ["meetings"]
    (link,) = [link for link in navigation.hub_links(pw.grid_leader) if link.key == "forum"]
    assert link.url == f"/governance/pairings/place/{pw.grid_a1a.code}/"


def test_a_person_sent_down_finds_their_own_record_on_the_hub(pw):
    assert "envoy" not in keys(pw.party_member)
    envoy = services_pairings.envoy_create(
        actor=pw.town_operator,
        grid=pw.grid_a1a,
        kind="party_member",
        name="党员老韩",
        user=pw.party_member,
        starts_on=date(2026, 1, 1),
    )
    (link,) = navigation.hub_links(pw.party_member)
    assert link.key == "envoy" and link.url == f"/governance/pairings/envoys/{envoy.pk}/"
