"""Races: two people acting on one case at once, and one report retried concurrently.

These run with real transactions and one database connection per thread, on SQLite (WAL,
immediate transactions) and on PostgreSQL.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from civicgrid.accounts.services import role_assign, user_create
from civicgrid.cases import services
from civicgrid.cases.models import Case, CaseEvent, Category
from civicgrid.cases.tests.conftest import PATHS, jpeg, report, walk
from civicgrid.core.errors import Conflict
from conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(functions):
    """Run the functions in threads released at the same moment; return their results or exceptions."""
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
        t.join(60)
    return results


def test_it_lets_exactly_one_of_two_operators_dispatch(cw):
    category = Category.objects.get(code="C0201")  # seeded again by `world` after a flush
    second = user_create(username="operator2", password=PASSWORD, display_name="第二值班员")
    role_assign(user=second, role="town_operator", place=cw.town_a)
    case = walk(cw, report(cw, category), PATHS["town"])
    copies = [Case.objects.get(pk=case.pk), Case.objects.get(pk=case.pk)]
    results = run_together(
        [
            lambda: services.case_act(
                case=copies[0], action="dispatch", actor=cw.town_operator, agency=cw.agency
            ),
            lambda: services.case_act(case=copies[1], action="dispatch", actor=second, agency=cw.agency_b),
        ]
    )
    succeeded = [r for r in results if isinstance(r, Case)]
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert len(succeeded) == 1, results
    assert len(conflicts) == 1, results
    # The loser either lost the compare-and-set or read the case after the winner committed.
    assert conflicts[0].code in ("conflict", "invalid_action")
    assert CaseEvent.objects.filter(case=case, action="dispatch").count() == 1
    final = Case.objects.get(pk=case.pk)
    assert final.state == "dispatched"
    assert final.lead_agency_id == succeeded[0].lead_agency_id


def test_it_creates_one_case_for_one_idempotency_key_sent_ten_times_at_once(cw):
    category = Category.objects.get(code="C0201")  # seeded again by `world` after a flush
    photo = jpeg()

    def submit():
        return services.case_create(
            reporter=cw.resident,
            source="resident",
            category=category,
            description="同一个坑，重复提交",
            lon=120.705,
            lat=31.605,
            photos=[photo],
            idempotency_key="phone-retry-0001",
        )

    results = run_together([submit] * 10)
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors
    assert len({r.case.pk for r in results}) == 1
    assert sum(r.created for r in results) == 1
    assert Case.objects.filter(description="同一个坑，重复提交").count() == 1
    assert CaseEvent.objects.filter(action="report", case__description="同一个坑，重复提交").count() == 1


def test_it_gives_distinct_tracking_numbers_to_concurrent_reports(cw):
    category = Category.objects.get(code="C0201")  # seeded again by `world` after a flush

    def submit(n):
        return lambda: services.case_create(
            reporter=None,
            source="resident",
            category=category,
            description=f"并发 {n}",
            lon=120.705,
            lat=31.605,
            photos=[jpeg()],
        )

    results = run_together([submit(n) for n in range(8)])
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors
    numbers = [r.case.tracking_number for r in results]
    assert len(set(numbers)) == 8
    assert Case.objects.filter(description__startswith="并发").count() == 8
