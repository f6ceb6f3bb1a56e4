"""Claimants that race (PostgreSQL, real threads): the compare-and-set on the matter's state and
version lets exactly one claim through; every other claimant gets a 409 naming the winner, and
writes nothing (one "claimed" record, one audit entry)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from civicgrid.accounts.services import role_assign, user_create
from civicgrid.core.errors import Conflict
from civicgrid.core.models import AuditEntry
from civicgrid.governance import services_board
from civicgrid.governance.models import Matter, MatterUpdate
from civicgrid.governance.tests.board_setup import board_world, matter_in
from conftest import PASSWORD

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the compare-and-set under real concurrency"
    ),
]


def _run(workers) -> list:
    barrier = threading.Barrier(len(workers))
    results: list = [None] * len(workers)

    def run(i, work):
        try:
            barrier.wait()
            results[i] = work()
        except Exception as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def _claim(matter_pk: int, actor, plan: str):
    def work():
        # Each claimant read the matter while it was open, as their page or API call did.
        matter = Matter.objects.select_related("region", "town", "village").get(pk=matter_pk)
        return services_board.matter_claim(matter=matter, actor=actor, plan=plan)

    return work


def test_two_agencies_claiming_at_once_one_wins_and_the_other_is_refused(world):
    bw = board_world(world)
    matter = matter_in(bw, "open")
    results = _run(
        [
            _claim(matter.pk, bw.agency_staff, "水务局的计划"),
            _claim(matter.pk, bw.agency_b_staff, "供电公司的计划"),
        ]
    )
    won = [r for r in results if isinstance(r, Matter)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(won) == 1 and len(refused) == 1, results
    assert refused[0].code == "already_claimed" and refused[0].status == 409
    matter.refresh_from_db()
    assert refused[0].message.startswith(matter.claimant_name)
    assert matter.state == "claimed" and matter.version == 2
    assert matter.plan == won[0].plan
    assert MatterUpdate.objects.filter(matter=matter, kind="claimed").count() == 1
    assert AuditEntry.objects.filter(action="governance.matter_claim").count() == 1


def test_many_claimants_at_once_leave_exactly_one_claim(world):
    bw = board_world(world)
    matter = matter_in(bw, "open")
    staff = []
    for n in range(6):
        user = user_create(
            username=f"racer{n}", password=PASSWORD, display_name=f"抢{n}", phone=f"1390000010{n}"
        )
        role_assign(user=user, role="agency_staff", agency=bw.agency if n % 2 else bw.agency_b)
        staff.append(user)
    results = _run([_claim(matter.pk, user, f"计划{n}") for n, user in enumerate(staff)])
    assert sum(isinstance(r, Matter) for r in results) == 1, results
    assert all(isinstance(r, Matter | Conflict) for r in results), results
    assert MatterUpdate.objects.filter(matter=matter, kind="claimed").count() == 1
    assert AuditEntry.objects.filter(action="governance.matter_claim").count() == 1
