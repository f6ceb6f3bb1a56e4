"""Property: any sequence of earns, deductions, redemptions, cancellations and reversals keeps every
balance equal to the sum of its entries, and never below zero."""

from __future__ import annotations

from datetime import date

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicgrid.core.errors import ApplicationError
from civicgrid.points import selectors, services
from civicgrid.points.models import Account, Entry, Redemption
from civicgrid.points.tests.conftest import goods, hours

pytestmark = pytest.mark.django_db

step = st.one_of(
    st.tuples(st.just("hours"), st.integers(min_value=-300, max_value=300)),
    st.tuples(st.just("award"), st.integers(min_value=1, max_value=50)),
    st.tuples(st.just("deduct"), st.integers(min_value=1, max_value=50)),
    st.tuples(st.just("redeem"), st.integers(min_value=0, max_value=3)),
    st.tuples(st.just("cancel"), st.integers(min_value=0, max_value=10)),
    st.tuples(st.just("reverse"), st.integers(min_value=0, max_value=30)),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.sampled_from(["resident", "grid_worker"]), step), max_size=25))
def test_balances_always_equal_their_entries_and_stay_at_or_above_zero(world, rules, steps):
    from django.db import transaction

    sid = transaction.savepoint()  # each example starts from the same world
    try:
        rewards = [goods(world, stock=2, cost=c, name=f"r{c}") for c in (5, 15, 40, 90)]
        for number, (who, (action, value)) in enumerate(steps):
            person = getattr(world, who)
            try:
                if action == "hours":
                    kind = "correction" if value < 0 else "manual"
                    services.hours_approved(
                        hours(
                            world, record_id=number, minutes=value, user=person, kind=kind, activity_id=None
                        )
                    )
                elif action in ("award", "deduct"):
                    award = services.award_request(
                        actor=world.village_cadre,
                        community=world.village_a1,
                        user=person,
                        kind="award" if action == "award" else "deduct",
                        points=value,
                        reason="p",
                    )
                    services.award_decide(actor=world.town_operator, award=award, approve=True)
                elif action == "redeem":
                    services.reward_redeem(user=person, reward=rewards[value], key=f"property-{number}")
                elif action == "cancel":
                    booked = list(Redemption.objects.filter(state="booked").order_by("id"))
                    if booked:
                        services.redemption_cancel(
                            actor=world.village_cadre, redemption=booked[value % len(booked)]
                        )
                else:
                    candidates = list(Entry.objects.exclude(kind__in=["reverse", "redeem"]).order_by("id"))
                    if candidates:
                        services.entry_reverse(
                            actor=world.village_cadre, entry=candidates[value % len(candidates)], reason="p"
                        )
            except ApplicationError:
                pass  # a refusal (not enough points, out of stock, reversed already) changes nothing
            for account in Account.objects.all():
                total = Entry.objects.filter(user_id=account.pk).aggregate(s=Sum("amount"))["s"] or 0
                assert account.balance == total >= 0
        assert selectors.ledger_differences() == []
        # Stock plus booked units is what was put in.
        for reward in rewards:
            reward.refresh_from_db()
            assert reward.stock + Redemption.objects.filter(reward=reward, state="booked").count() == 2
    finally:
        transaction.savepoint_rollback(sid)


def test_the_tally_ranks_by_earned_whatever_is_spent(world, rules):
    from civicgrid.points import periods

    services.hours_approved(
        hours(
            world,
            record_id=1,
            minutes=120,
            user=world.resident,
            activity_id=None,
            kind="manual",
            day=date(2026, 3, 2),
        )
    )
    services.hours_approved(
        hours(
            world,
            record_id=2,
            minutes=60,
            user=world.grid_worker,
            activity_id=None,
            kind="manual",
            day=date(2026, 3, 2),
        )
    )
    services.reward_redeem(user=world.resident, reward=goods(world, cost=15), key="spend-all-1")
    board = selectors.leaderboard(community_id=world.village_a1.pk, period=periods.parse("2026-03"))
    assert [(s.rank, s.user_id, s.earned) for s in board] == [
        (1, world.resident.pk, 20),
        (2, world.grid_worker.pk, 10),
    ]
    assert [
        tuple(r)
        for r in selectors.leaderboard_by_sum(
            community_id=world.village_a1.pk, period=periods.parse("2026-03")
        )
    ] == [(world.resident.pk, 20), (world.grid_worker.pk, 10)]
    quarter = selectors.leaderboard(community_id=world.village_a1.pk, period=periods.parse("2026-Q1"))
    assert [s.earned for s in quarter] == [20, 10]
    team = selectors.leaderboard(community_id=world.village_a1.pk, period=periods.parse("2026"), team_id=7)
    assert [s.user_id for s in team] == [world.resident.pk, world.grid_worker.pk]
    assert selectors.leaderboard(community_id=world.village_a1.pk, period=periods.parse("2026-04")) == []
