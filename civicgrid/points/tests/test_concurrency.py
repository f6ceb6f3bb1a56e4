"""Races on PostgreSQL: many people redeeming the last units, and one person pressing redeem ten times."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from civicgrid.accounts.services import user_create
from civicgrid.core.errors import Conflict
from civicgrid.points import services
from civicgrid.points.models import Account, Entry, Redemption, Reward
from civicgrid.points.tests.conftest import fund, goods
from conftest import PASSWORD

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks under real concurrency: PostgreSQL"
    ),
]


def run_together(functions):
    barrier = threading.Barrier(len(functions))
    results: list = [None] * len(functions)

    def worker(i, fn):
        try:
            barrier.wait()
            results[i] = fn()
        except Exception as exc:  # the test inspects what each thread got
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, fn)) for i, fn in enumerate(functions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def test_fifty_people_redeeming_the_last_five_units_get_exactly_five(world, rules):
    reward = goods(world, stock=5, cost=10)
    people = []
    for i in range(50):
        person = user_create(username=f"buyer{i}", password=PASSWORD, display_name=f"买家{i}")
        fund(world, person, 10, key=f"f{i}")
        people.append(person)
    results = run_together(
        [lambda p=p: services.reward_redeem(user=p, reward=reward, key=f"race-key-{p.pk}") for p in people]
    )
    won = [r for r in results if isinstance(r, Redemption)]
    lost = [r for r in results if isinstance(r, Conflict)]
    assert len(won) == 5 and len(lost) == 45, [r for r in results if not isinstance(r, Redemption | Conflict)]
    assert {r.code for r in lost} == {"out_of_stock"}
    assert Reward.objects.get(pk=reward.pk).stock == 0
    assert Redemption.objects.count() == 5
    assert Entry.objects.filter(kind="redeem").count() == 5
    assert (
        sorted(Account.objects.filter(pk__in=[p.pk for p in people]).values_list("balance", flat=True))
        == [0] * 5 + [10] * 45
    )


def test_one_person_pressing_redeem_ten_times_with_one_key_is_charged_once(world, rules):
    fund(world, world.resident, 100, key="f")
    reward = goods(world, stock=5, cost=10)
    results = run_together(
        [
            lambda: services.reward_redeem(user=world.resident, reward=reward, key="one-press-key")
            for _ in range(10)
        ]
    )
    assert all(isinstance(r, Redemption) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert Account.objects.get(pk=world.resident.pk).balance == 90
    assert Reward.objects.get(pk=reward.pk).stock == 4
    assert Entry.objects.filter(kind="redeem").count() == 1
