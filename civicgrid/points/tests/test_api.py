"""Points API: the same services and rules as the pages."""

from __future__ import annotations

import pytest

from civicgrid.points import services
from civicgrid.points.models import Account, Award, Redemption
from civicgrid.points.tests.conftest import fund, goods, hours

pytestmark = pytest.mark.django_db
API = "/api/v1/points"


def test_my_balance_and_entries(login, world, rules):
    services.hours_approved(hours(world, record_id=1, minutes=60))
    client = login(world.resident)
    assert client.get(f"{API}/me").json() == {"balance": 15, "household": None}
    entries = client.get(f"{API}/me/entries").json()
    assert [e["amount"] for e in entries["entries"]] == [5, 10] and entries["next"] == ""


def test_anonymous_callers_see_only_the_catalogue_and_boards(client, world, rules):
    goods(world)
    assert client.get(f"{API}/me").status_code == 401
    assert len(client.get(f"{API}/rewards").json()) == 1
    assert client.get(f"{API}/leaderboards").json() == []


def test_redeem_with_one_idempotency_key_is_charged_once(login, world, rules):
    fund(world, world.resident, 30, key="f")
    reward = goods(world, cost=10)
    client = login(world.resident)
    first = client.post(
        f"{API}/rewards/{reward.pk}/redeem",
        {},
        content_type="application/json",
        headers={"Idempotency-Key": "api-key-0001"},
    )
    again = client.post(
        f"{API}/rewards/{reward.pk}/redeem",
        {},
        content_type="application/json",
        headers={"Idempotency-Key": "api-key-0001"},
    )
    assert first.status_code == again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    assert Account.objects.get(pk=world.resident.pk).balance == 20
    missing = client.post(f"{API}/rewards/{reward.pk}/redeem", {}, content_type="application/json")
    assert missing.status_code == 400 and missing.json()["code"] == "invalid_key"
    cancelled = client.post(f"{API}/redemptions/{first.json()['id']}/cancel")
    assert cancelled.json()["state"] == "cancelled"
    assert Account.objects.get(pk=world.resident.pk).balance == 30


def test_not_enough_points_is_a_409(login, world, rules):
    reward = goods(world, cost=10)
    response = login(world.resident).post(
        f"{API}/rewards/{reward.pk}/redeem",
        {"idempotency_key": "api-key-0002"},
        content_type="application/json",
    )
    assert response.status_code == 409 and response.json()["code"] == "insufficient_points"
    assert not Redemption.objects.exists()


def test_office_actions_refuse_the_outsider_and_self_approval(login, world, rules):
    pk = world.village_a1.pk
    body = {"person": "resident", "kind": "award", "points": 4, "reason": "义务巡逻"}
    assert (
        login(world.outsider)
        .post(f"{API}/communities/{pk}/awards", body, content_type="application/json")
        .status_code
        == 403
    )
    created = login(world.village_cadre).post(
        f"{API}/communities/{pk}/awards", body, content_type="application/json"
    )
    assert created.status_code == 201
    award_id = created.json()["id"]
    own = login(world.village_cadre).post(
        f"{API}/awards/{award_id}/decision", {"approve": True}, content_type="application/json"
    )
    assert own.status_code == 403
    assert (
        login(world.outsider)
        .post(f"{API}/awards/{award_id}/decision", {"approve": True}, content_type="application/json")
        .status_code
        == 404
    )
    done = login(world.town_operator).post(
        f"{API}/awards/{award_id}/decision", {"approve": True}, content_type="application/json"
    )
    assert done.json()["state"] == "approved" and Award.objects.get().entry_id


def test_publish_and_object_through_the_api(login, world, rules):
    services.hours_approved(hours(world, record_id=1, minutes=60))
    pk = world.village_a1.pk
    live = login(world.village_cadre).get(f"{API}/communities/{pk}/leaderboard", {"period": "2026-03"}).json()
    assert live[0]["name"] == "王居民"
    bad = login(world.village_cadre).get(f"{API}/communities/{pk}/leaderboard", {"period": "March"})
    assert bad.status_code == 400
    published = login(world.village_cadre).post(
        f"{API}/communities/{pk}/publications",
        {"period": "2026-03", "names": "surname"},
        content_type="application/json",
    )
    assert published.status_code == 201 and published.json()["rows"][0]["name"] == "王**"
    objection = login(world.resident).post(
        f"{API}/leaderboards/{published.json()['id']}/objections",
        {"text": "少记了一次活动"},
        content_type="application/json",
    )
    assert objection.status_code == 201


def test_the_demo_seeds_rules_rewards_awards_and_a_board(world):
    from civicgrid.points import demo
    from civicgrid.points.models import Publication, Reward, RuleSet, Slot

    communities = [world.village_a1, world.village_b1]
    demo.seed_rules(communities)
    demo.seed_rules(communities)
    assert RuleSet.objects.count() == 2
    counts = demo.seed(
        communities,
        {
            "village_cadre": [world.village_cadre],
            "town_operator": world.town_operator,
            "district_admin": [world.city_admin],
            "resident": [world.resident],
            "volunteer": [world.grid_worker],
        },
    )
    assert (
        counts["publications"] == 2 and counts["awards"] == 2
    )  # B1 has one office member: nobody to approve
    assert Reward.objects.count() == 10 and Slot.objects.count() == 10
    assert Publication.objects.count() == 2 and Redemption.objects.exists()
    from civicgrid.points import selectors

    assert selectors.ledger_differences() == []
