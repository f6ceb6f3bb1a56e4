"""The cases a person sent down handled (read from the case loop's events, never written), their
counts on the grid page, and the indexes those reads use."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from civicgrid.cases import services as case_services
from civicgrid.cases.models import Case, CaseEvent, Category
from civicgrid.cases.tests.conftest import jpeg
from civicgrid.governance import presenters_pairings, selectors_pairings, services_pairings
from civicgrid.governance.tests.helpers_pairings import pw_fixture  # noqa: F401


def report(pw, lon: float = 120.705, *, reporter=None, source=Case.Source.RESIDENT) -> Case:
    return case_services.case_create(
        reporter=reporter or pw.resident,
        source=source,
        category=Category.objects.get(code="C0201"),
        description="路面有一个大坑",
        lon=lon,
        lat=31.605,
        photos=[jpeg()],
    ).case


def send(pw, user, **kw):
    values = {
        "grid": pw.grid_a1a,
        "kind": "party_member",
        "name": "冯网格长",
        "starts_on": timezone.localdate(),
    }
    return services_pairings.envoy_create(actor=pw.town_operator, user=user, **{**values, **kw})


@pytest.fixture
def handled(pw):
    """Grid A1a: one case the grid leader (sent down as a party member) accepted, one the grid worker
    accepted; grid A1b: one case the grid leader reported on patrol."""
    pw.theirs = report(pw)
    case_services.case_act(case=pw.theirs, action="accept", actor=pw.grid_leader)
    pw.workers = report(pw)
    case_services.case_act(case=pw.workers, action="accept", actor=pw.grid_worker)
    pw.other_grid = report(pw, 120.715, reporter=pw.grid_leader, source=Case.Source.PATROL)
    assert pw.other_grid.grid == pw.grid_a1b
    return pw


def test_an_envoys_cases_are_their_grids_cases_they_acted_on_in_their_term(handled):
    pw = handled
    envoy = send(pw, pw.grid_leader)
    assert [c.pk for c in selectors_pairings.envoy_cases(envoy)] == [pw.theirs.pk]
    assert selectors_pairings.cases_handled_counts(pw.grid_a1a, [envoy]) == {envoy.pk: 1}
    # The worker's case joins once the envoy acts on it too; a case counts once however many steps.
    case_services.case_act(case=pw.workers, action="handle_in_grid", actor=pw.grid_leader)
    case_services.case_act(case=pw.theirs, action="handle_in_grid", actor=pw.grid_leader)
    assert [c.pk for c in selectors_pairings.envoy_cases(envoy)] == [pw.workers.pk, pw.theirs.pk]
    assert selectors_pairings.cases_handled_counts(pw.grid_a1a, [envoy]) == {envoy.pk: 2}


def test_steps_outside_the_term_do_not_count(handled):
    pw = handled
    later = send(pw, pw.grid_leader, starts_on=timezone.localdate() + timedelta(days=1))
    over = send(
        pw,
        pw.grid_leader,
        name="另一任",
        starts_on=date(2025, 1, 1),
        ends_on=timezone.localdate() - timedelta(days=1),
    )
    assert selectors_pairings.envoy_cases(later) == []
    assert selectors_pairings.envoy_cases(over) == []
    assert selectors_pairings.cases_handled_counts(pw.grid_a1a, [later, over]) == {later.pk: 0, over.pk: 0}


def test_an_envoy_without_an_account_handled_no_case_and_costs_no_query(handled):
    envoy = send(handled, None)
    with CaptureQueriesContext(connection) as queries:
        assert selectors_pairings.envoy_cases(envoy) == []
        assert selectors_pairings.cases_handled_counts(handled.grid_a1a, [envoy]) == {}
    assert not queries.captured_queries


def test_the_grid_panel_counts_activity_and_cases_in_a_fixed_number_of_queries(
    handled, django_assert_num_queries
):
    pw = handled
    envoys = [send(pw, pw.grid_leader)] + [send(pw, None, name=f"代表{n}", kind="deputy") for n in range(5)]
    for e in envoys[:3]:
        services_pairings.envoy_activity_record(
            actor=pw.grid_worker, envoy=e, kind="visit", on=timezone.localdate(), note="走访"
        )
    grid_worker = type(pw.grid_worker).objects.get(pk=pw.grid_worker.pk)
    # The viewer's scopes, the envoys, their activity counts, their case counts.
    with django_assert_num_queries(4):
        panel = presenters_pairings.grid_envoys_panel(grid_worker, pw.grid_a1a)
    by_name = {e.name: e for e in panel.envoys}
    assert by_name["冯网格长"].case_count == 1 and by_name["冯网格长"].activity_count == 1
    assert by_name["代表4"].activity_count == 0 and not by_name["代表4"].has_account
    assert len(panel.envoys) == 6 and panel.can_add is False


def _envoy_cases_query(envoy):
    """The queryset `selectors_pairings.envoy_cases` runs (captured, to ask for its plan)."""
    with CaptureQueriesContext(connection) as queries:
        selectors_pairings.envoy_cases(envoy)
    (sql,) = [q["sql"] for q in queries.captured_queries]
    return sql


def test_the_cases_are_read_from_the_grids_index_and_the_events_case_index(handled):
    envoy = send(handled, handled.grid_leader)
    sql = _envoy_cases_query(envoy)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}")
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        shown = "\n".join(str(row) for row in cursor.fetchall())
    if connection.vendor == "postgresql":
        # Which index PostgreSQL picks for so few rows follows the statistics other tests left: it must
        # read both tables through one (seq scans are off, so a scan means no index serves the query).
        assert "Seq Scan on cases_case " not in shown and "Seq Scan on cases_case\n" not in shown
    else:
        assert "case_grid_state_idx" in shown
        assert "cases_caseevent_case_id" in shown
    assert "SCAN cases_caseevent" not in shown and "Seq Scan on cases_caseevent" not in shown
    assert CaseEvent.objects.filter(actor=handled.grid_leader).count() >= 2
