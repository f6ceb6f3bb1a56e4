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
        ("town_operator", "more"),
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


def test_an_anonymous_visitor_gets_the_public_board():
    assert navigation.nav_entries(AnonymousUser()) == [
        ("Task board", "/governance/board/", "gov_board", "main")
    ]


def keys(user) -> list[str]:
    return [link.key for link in navigation.hub_links(user)]


def test_the_hub_offers_each_role_its_parts(pw):
    assert keys(pw.town_operator) == ["meetings", "forum", "board", "board_mine", "pairings", "figures"]
    assert keys(pw.village_cadre) == ["meetings", "forum", "board", "board_mine", "pairings", "figures"]
    assert keys(pw.city_admin) == ["meetings", "forum", "board", "pairings", "figures"]
    assert keys(pw.agency_staff) == ["meetings", "forum", "board", "board_mine", "pairings"]
    assert keys(pw.grid_worker) == ["meetings", "forum", "board", "pairings", "figures"]
    assert keys(pw.resident) == ["meetings", "forum", "board"]
    assert keys(AnonymousUser()) == ["board"]


def test_the_hub_takes_a_part_registered_later(pw, monkeypatch):
    monkeypatch.setattr(navigation, "HUB", list(navigation.HUB))
    extra = navigation.HubEntry("extra", "Extra", "", "governance:pairings_index", lambda u: True)
    navigation.register(extra, before="pairings")
    assert keys(pw.grid_worker) == ["meetings", "forum", "board", "extra", "pairings", "figures"]


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
    (link,) = [link for link in navigation.hub_links(pw.party_member) if link.key == "envoy"]
    assert link.key == "envoy" and link.url == f"/governance/pairings/envoys/{envoy.pk}/"
