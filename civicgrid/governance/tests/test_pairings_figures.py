"""The town's co-governance figures on a hand-built example (May 2026 in town A), their periods, who may
read them, and how many queries they cost."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from civicgrid.core.errors import ApplicationError, PermissionDenied
from civicgrid.governance import access, figures, services_pairings
from civicgrid.governance.models import Decision, Matter, Meeting, Pairing
from civicgrid.governance.tests.helpers_pairings import at, decision, matter, meeting, pair, pw_fixture  # noqa: F401

MAY = figures.period_of("month", month="2026-05")


def local(*args) -> datetime:
    return timezone.make_aware(datetime(*args))


@pytest.fixture
def may(pw):
    """Town A's May 2026, built by hand; the expected figures are in the tests."""
    a1, a2 = pw.village_a1, pw.village_a2
    # Meetings: A1 held two in May (one in April, one planned, one cancelled); A2 held one on 5 May
    # and one a minute before June; one a minute into June and one of town B do not count.
    m1 = meeting(pw, a1, date(2026, 5, 5))
    meeting(pw, a1, date(2026, 5, 15))
    meeting(pw, a1, date(2026, 4, 25))
    meeting(pw, a1, date(2026, 5, 25), state=Meeting.State.PLANNED)
    meeting(pw, a1, date(2026, 5, 20), state=Meeting.State.CANCELLED)
    m2 = meeting(pw, a2, date(2026, 5, 5))
    Meeting.objects.filter(pk=meeting(pw, a2, date(2026, 5, 30)).pk).update(
        starts_at=local(2026, 5, 31, 23, 59)
    )
    Meeting.objects.filter(pk=meeting(pw, a2, date(2026, 5, 30)).pk).update(starts_at=local(2026, 6, 1, 0, 0))
    meeting(pw, pw.village_b1, date(2026, 5, 5), town=pw.town_b)
    # Decisions due in May: A1 four (one done on its day, one a day late, one open, one done at 00:30
    # the day after: late in local time though still the due day in UTC), one dropped, and two due
    # outside May; A2 one done on its day.
    decision(pw, m1, date(2026, 5, 10), done_on=date(2026, 5, 10))
    decision(pw, m1, date(2026, 5, 10), done_on=date(2026, 5, 11))
    decision(pw, m1, date(2026, 5, 20))
    late = decision(pw, m1, date(2026, 5, 20), done_on=date(2026, 5, 20))
    Decision.objects.filter(pk=late.pk).update(done_at=local(2026, 5, 21, 0, 30))
    decision(pw, m1, date(2026, 5, 20), state=Decision.State.DROPPED)
    decision(pw, m1, date(2026, 6, 5), done_on=date(2026, 5, 1))
    decision(pw, m1, date(2026, 4, 30), done_on=date(2026, 4, 30))
    decision(pw, m2, date(2026, 5, 31), done_on=date(2026, 5, 31))
    # Matters: A1 one claimed, completed and verified in May, one claimed in April and completed in
    # May; A2 one claimed on 30 May; a town-wide one claimed in May, completed in June.
    matter(
        pw,
        village=a1,
        state=Matter.State.VERIFIED,
        claimed_at=at(date(2026, 5, 3)),
        completed_at=at(date(2026, 5, 20)),
        verified_at=at(date(2026, 5, 25)),
    )
    matter(
        pw,
        village=a1,
        state=Matter.State.COMPLETED,
        claimed_at=at(date(2026, 4, 28)),
        completed_at=at(date(2026, 5, 2)),
    )
    a2_matter = matter(pw, village=a2, state=Matter.State.CLAIMED, claimed_at=at(date(2026, 5, 30)))
    matter(
        pw, state=Matter.State.COMPLETED, claimed_at=at(date(2026, 5, 15)), completed_at=at(date(2026, 6, 2))
    )
    # Support: the water bureau with A1 (two visits and 50,000 of funds in May; a visit in April and
    # funds in June); a bank with A2 (a loan of 2,000,000, a visit, the A2 matter taken up); the power
    # company paired with A2 from June and a bank's pairing with A1 that ended in April are not listed.
    op = pw.town_operator
    pw.water = pair(pw)
    pw.bank = pair(pw, kind=Pairing.Kind.FINANCE, partner_name="甲镇农商银行", village=a2)
    pair(pw, agency=pw.power, village=a2, starts_on=date(2026, 6, 1))
    pair(pw, kind=Pairing.Kind.FINANCE, partner_name="旧银行", ends_on=date(2026, 4, 30))
    record = services_pairings.support_record
    record(actor=op, pairing=pw.water, kind="visit", on=date(2026, 5, 6))
    record(actor=op, pairing=pw.water, kind="visit", on=date(2026, 5, 20))
    record(actor=op, pairing=pw.water, kind="funds", on=date(2026, 5, 12), amount="50000")
    record(actor=op, pairing=pw.water, kind="visit", on=date(2026, 4, 30))
    record(actor=op, pairing=pw.water, kind="funds", on=date(2026, 6, 1), amount="10000")
    record(actor=op, pairing=pw.bank, kind="loan", on=date(2026, 5, 18), amount="2000000")
    record(actor=op, pairing=pw.bank, kind="visit", on=date(2026, 5, 18))
    record(actor=op, pairing=pw.bank, kind="matter", on=date(2026, 5, 31), matter=a2_matter)
    return pw


def counts(row: figures.Row) -> tuple:
    return (
        row.meetings_held,
        row.decisions_due,
        row.decisions_on_time,
        row.matters_claimed,
        row.matters_completed,
        row.matters_verified,
    )


def test_the_towns_figures_for_may(may):
    data = figures.town_figures(may.town_operator, may.town_a, MAY)
    assert [r.place for r in data.villages] == [may.village_a1, may.village_a2]
    a1, a2 = data.villages
    assert counts(a1) == (2, 4, 1, 1, 2, 1)
    assert counts(a2) == (2, 1, 1, 1, 0, 0)
    assert counts(data.town_wide) == (0, 0, 0, 1, 0, 0)
    assert counts(data.total) == (4, 5, 2, 3, 2, 1)
    assert (a1.on_time_percent, a2.on_time_percent, data.total.on_time_percent) == (25.0, 100.0, 40.0)
    assert data.town_wide.on_time_percent is None
    rows = {r.pairing.partner_name: r.totals for r in data.pairings}
    assert list(rows) == ["市水务局", "甲镇农商银行"]
    water, bank = rows["市水务局"], rows["甲镇农商银行"]
    assert (water.visits, water.funds, water.loans, water.matters) == (2, Decimal("50000"), 0, 0)
    assert (bank.visits, bank.funds, bank.loans, bank.matters) == (1, 0, Decimal("2000000"), 1)
    assert (data.support.visits, data.support.funds, data.support.loans, data.support.matters) == (
        3,
        Decimal("50000"),
        Decimal("2000000"),
        1,
    )


def test_a_quarter_takes_in_april_and_june(may):
    data = figures.town_figures(
        may.town_operator, may.town_a, figures.period_of("quarter", quarter="2026-Q2")
    )
    a1, a2 = data.villages
    assert a1.meetings_held == 3 and a2.meetings_held == 3
    assert a1.decisions_due == 6 and a1.decisions_on_time == 3
    assert data.total.matters_claimed == 4 and data.total.matters_completed == 3
    partners = {r.pairing.partner_name: r.totals for r in data.pairings}
    assert set(partners) == {"市水务局", "甲镇农商银行", "供电公司", "旧银行"}
    assert partners["市水务局"].visits == 3 and partners["市水务局"].funds == Decimal("60000")


def test_the_figures_cost_six_queries_whatever_the_town_holds(may, django_assert_num_queries):
    operator = type(may.town_operator).objects.get(pk=may.town_operator.pk)
    assert access.can_view_figures(operator, may.town_a)  # the viewer's scopes, read once a request
    with django_assert_num_queries(6):
        figures.town_figures(operator, may.town_a, MAY)


@pytest.mark.parametrize("who", ["village_cadre", "grid_worker", "city_admin", "superuser"])
def test_the_towns_staff_and_those_above_read_the_figures(may, who):
    assert figures.town_figures(getattr(may, who), may.town_a, MAY).total.meetings_held == 4


@pytest.mark.parametrize("who", ["outsider", "resident", "resident_b", "agency_staff"])
def test_others_may_not_read_the_towns_figures(may, who):
    with pytest.raises(PermissionDenied):
        figures.town_figures(getattr(may, who), may.town_a, MAY)


def test_the_towns_a_viewer_may_choose(pw):
    assert figures.figure_towns(pw.town_operator) == [pw.town_a]
    assert figures.figure_towns(pw.village_cadre) == [pw.town_a]
    assert figures.figure_towns(pw.outsider) == [pw.town_b]
    assert figures.figure_towns(pw.city_admin) == [pw.town_a, pw.town_b]
    assert figures.figure_towns(pw.resident) == []
    assert figures.figure_towns(pw.agency_staff) == []


# --- Periods --------------------------------------------------------------------------------------


def test_periods():
    today = date(2026, 1, 20)
    feb = figures.period_of("month", month="2026-02")
    assert (feb.start, feb.end, feb.key) == (date(2026, 2, 1), date(2026, 2, 28), "2026-02")
    this = figures.period_of("month", today=today)
    assert (this.start, this.end) == (date(2026, 1, 1), date(2026, 1, 31))
    assert this.previous() == figures.month_period(date(2025, 12, 1))
    assert this.next().start == date(2026, 2, 1)
    q4 = figures.period_of("quarter", quarter="2026-q4")
    assert (q4.start, q4.end, q4.key) == (date(2026, 10, 1), date(2026, 12, 31), "2026-Q4")
    assert q4.next().start == date(2027, 1, 1) and q4.previous().start == date(2026, 7, 1)
    assert figures.period_of("quarter", today=today).end == date(2026, 3, 31)
    days = figures.period_of("custom", since=date(2024, 2, 1), until=date(2025, 1, 31))
    assert days.key == "2024-02-01..2025-01-31" and days.previous() is None


@pytest.mark.parametrize(
    ("kind", "values", "field"),
    [
        ("month", {"month": "2026-13"}, "month"),
        ("month", {"month": "May"}, "month"),
        ("quarter", {"quarter": "2026-Q5"}, "quarter"),
        ("custom", {"since": date(2026, 5, 2), "until": date(2026, 5, 1)}, "until"),
        ("custom", {"since": date(2025, 1, 1), "until": date(2026, 1, 2)}, "until"),
        ("custom", {"until": date(2026, 1, 2)}, "since"),
        ("week", {}, "period"),
    ],
)
def test_a_malformed_period_is_refused_with_its_field(kind, values, field):
    with pytest.raises(ApplicationError) as refused:
        figures.period_of(kind, **values)
    assert field in refused.value.extra["fields"]
