"""The figures of case handling (civicgrid.cases.figures) on hand-built cases, every value worked out by hand.

Three cases walked through the real services on a clock the test sets (Asia/Shanghai):

1. Agency case across the month's end: reported 31 Jan 10:00, verified 11:00 (on time), dispatched
   31 Jan 23:00, signed 1 Feb 00:30 (on time: due 1 Feb 23:00, and it counts for January, the
   dispatch's month), resolved 3 Feb 10:00, check passed 12:00, rated 4 Feb "satisfied, solved".
   Handling time 72 h (band 72–78).
2. Agency case with everything that undoes a first try: reported 2 Feb 09:00, verified 3 Feb 10:00
   (late: due 3 Feb 09:00), dispatched 12:00, returned 13:00, dispatched again 14:00, signed 5 Feb
   15:00 (late: due 4 Feb 14:00), resolved 6 Feb 10:00, sent back for rework 11:00, resolved 15:00,
   check passed 16:00, rated 7 Feb "unsatisfied" (reopened), resolved 8 Feb 10:00, check passed
   11:00, rated 9 Feb "basically satisfied, not solved". Handling time 145 h (band 144–150).
3. Grid case closed late: reported 10 Feb 08:00, verified 08:30, handled in the grid 08:40 (due five
   working days later), resolved 27 Feb 10:00, rated 27 Feb 12:00 "satisfied, solved". Handling
   time 410 h (band 408–414).

February, everywhere: dispatches 2 (both of case 2), signed on time 0, returned 1; ratings 4 (1: 1,
2: 2, 3: 1), solved 2, satisfied 3; checks 4 (1: 1, 2: 3), reworked 1; closed 3, on time 2 (not case
3), first time 2 (not case 2); handling 72 + 145 + 410 = 627 h, average 209 h, 90th percentile
408 + 6 × (0.9 × 3 − 2) = 412.2 h; verifications 2 (cases 2 and 3), on time 1.
January: dispatches 1, signed on time 1; verifications 1, on time 1; nothing closed or rated.
"""

from __future__ import annotations

from datetime import date, datetime
from importlib import import_module
from io import StringIO
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from civicgrid.cases import figures, services
from civicgrid.cases.models import Case, CaseFigure, CaseFigureMonth
from civicgrid.cases.tests.conftest import jpeg, report

SHANGHAI = ZoneInfo("Asia/Shanghai")
JAN = (date(2026, 1, 1), date(2026, 1, 31))
FEB = (date(2026, 2, 1), date(2026, 2, 28))


@pytest.fixture
def clock(monkeypatch):
    """Set the time every service reads (`timezone.now`): clock("2026-02-03 10:00"), Shanghai time."""

    def set_to(text: str) -> None:
        at = datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=SHANGHAI)
        monkeypatch.setattr(timezone, "now", lambda: at)

    return set_to


@pytest.fixture
def three(cw, category, clock):
    """The three cases of the module's docstring; returns the world."""
    w = cw

    def act(case, at, action, who, **kw):
        clock(at)
        return services.case_act(case=case, action=action, actor=getattr(w, who), **kw)

    def to_town(case, at_accept, at_village, at_town):
        case = act(case, at_accept, "accept", "grid_worker")
        case = act(case, at_village, "escalate_to_village", "grid_worker", note="需村里协调")
        return act(case, at_town, "escalate_to_town", "village_cadre", note="需职能部门")

    photo = {"note": "已修复", "photos": [jpeg((10, 200, 10))]}

    clock("2026-01-31 10:00")
    one = report(w, category)
    one = to_town(one, "2026-01-31 11:00", "2026-01-31 11:30", "2026-01-31 12:00")
    one = act(one, "2026-01-31 23:00", "dispatch", "town_operator", agency=w.agency)
    one = act(one, "2026-02-01 00:30", "sign", "agency_staff")
    one = act(one, "2026-02-03 10:00", "resolve", "agency_staff", **photo)
    one = act(one, "2026-02-03 12:00", "pass_check", "grid_worker")
    one = act(one, "2026-02-04 09:00", "rate", "resident", solved=True, satisfaction="satisfied")
    assert one.state == "closed"

    clock("2026-02-02 09:00")
    two = report(w, category)
    two = to_town(two, "2026-02-03 10:00", "2026-02-03 10:30", "2026-02-03 11:00")
    two = act(two, "2026-02-03 12:00", "dispatch", "town_operator", agency=w.agency)
    two = act(two, "2026-02-03 13:00", "return_dispatch", "agency_staff", note="不属于本部门")
    two = act(two, "2026-02-03 14:00", "dispatch", "town_operator", agency=w.agency)
    two = act(two, "2026-02-05 15:00", "sign", "agency_staff")
    two = act(two, "2026-02-06 10:00", "resolve", "agency_staff", **photo)
    two = act(two, "2026-02-06 11:00", "rework", "grid_worker", note="未修好")
    two = act(two, "2026-02-06 15:00", "resolve", "agency_staff", **photo)
    two = act(two, "2026-02-06 16:00", "pass_check", "grid_worker")
    two = act(two, "2026-02-07 09:00", "rate", "resident", solved=False, satisfaction="unsatisfied")
    assert two.state == "in_progress"
    two = act(two, "2026-02-08 10:00", "resolve", "agency_staff", **photo)
    two = act(two, "2026-02-08 11:00", "pass_check", "grid_worker")
    two = act(two, "2026-02-09 09:00", "rate", "resident", solved=False, satisfaction="basically_satisfied")
    assert two.state == "closed"

    clock("2026-02-10 08:00")
    three = report(w, category)
    three = act(three, "2026-02-10 08:30", "accept", "grid_worker")
    three = act(three, "2026-02-10 08:40", "handle_in_grid", "grid_worker")
    three = act(three, "2026-02-27 10:00", "resolve", "grid_worker", **photo)
    three = act(three, "2026-02-27 12:00", "rate", "resident", solved=True, satisfaction="satisfied")
    assert three.state == "closed"
    return w


def test_february_everywhere_as_worked_out_by_hand(three):
    f = figures.figures_for(places=None, day_from=FEB[0], day_to=FEB[1])
    assert (f.response.part, f.response.whole) == (0, 2)
    assert (f.returns.part, f.returns.whole) == (1, 2)
    assert (f.resolution.part, f.resolution.whole) == (2, 4)
    assert (f.satisfaction.part, f.satisfaction.whole) == (3, 4)
    assert (f.on_time_closure.part, f.on_time_closure.whole) == (2, 3)
    assert (f.first_time.part, f.first_time.whole) == (2, 3)
    assert (f.rework.part, f.rework.whole) == (1, 4)
    assert (f.verification_on_time.part, f.verification_on_time.whole) == (1, 2)
    assert f.average_handling_hours == pytest.approx(209.0)
    assert f.p90_handling_hours == pytest.approx(412.2)
    assert f.satisfaction.percent() == "75.0%"
    assert f.response.percent() == "0.0%"


def test_a_dispatch_signed_after_midnight_at_the_months_end_counts_in_the_dispatchs_month(three):
    jan = figures.figures_for(places=None, day_from=JAN[0], day_to=JAN[1])
    assert (jan.response.part, jan.response.whole) == (1, 1)
    assert (jan.verification_on_time.part, jan.verification_on_time.whole) == (1, 1)
    assert jan.closed == 0 and jan.rated == 0
    # Nothing to divide by: no value, and "—" to show.
    assert jan.satisfaction.value is None and jan.satisfaction.percent() == "—"
    assert jan.average_handling_hours is None and jan.p90_handling_hours is None


def test_an_empty_period_has_no_rate_and_no_division_by_zero(db):
    f = figures.figures_for(places=None, day_from=date(2030, 1, 1), day_to=date(2030, 1, 31))
    for rate in (
        f.response,
        f.returns,
        f.resolution,
        f.satisfaction,
        f.on_time_closure,
        f.first_time,
        f.rework,
    ):
        assert rate.value is None and rate.percent() == "—"
    assert f.average_handling_hours is None and f.p90_handling_hours is None


def test_the_agencys_own_figures_leave_out_the_grids_case(three):
    f = figures.figures_for(places=None, day_from=FEB[0], day_to=FEB[1], agency=three.agency.pk)
    assert (f.response.part, f.response.whole) == (0, 2)
    assert (f.resolution.part, f.resolution.whole) == (1, 3)  # case 1's rating and case 2's two
    assert (f.on_time_closure.part, f.on_time_closure.whole) == (2, 2)
    assert f.average_handling_hours == pytest.approx((72 + 145) / 2)
    other = figures.figures_for(places=None, day_from=FEB[0], day_to=FEB[1], agency=three.agency_b.pk)
    assert other.sums == {}


def test_places_hold_their_cases_figures_and_other_places_none(three):
    w = three
    for place in (w.grid_a1a, w.village_a1, w.town_a, w.district):
        f = figures.figures_for(places=[place.pk], day_from=FEB[0], day_to=FEB[1])
        assert f.closed == 3, place
    assert figures.figures_for(places=[w.town_b.pk], day_from=FEB[0], day_to=FEB[1]).sums == {}
    ranked = figures.by_place(places=[w.town_a.pk, w.town_b.pk], day_from=FEB[0], day_to=FEB[1])
    assert set(ranked) == {w.town_a.pk}
    assert ranked[w.town_a.pk][figures.CLOSED] == 3


def test_grid_workers_verifications_on_time(three):
    w = three
    rows = figures.by_party(place=w.town_a.pk, day_from=FEB[0], day_to=FEB[1], party="user")
    assert rows == {w.grid_worker.pk: {figures.VERIFIED: 2, figures.VERIFIED_ON_TIME: 1}}
    agencies = figures.by_party(place=w.town_a.pk, day_from=FEB[0], day_to=FEB[1], party="agency")
    assert agencies[w.agency.pk][figures.DISPATCHED] == 2


def test_the_kept_figures_equal_a_recount_and_the_command_repairs_them(three):
    assert figures.differences() == []
    call_command("case_figures", "--check", stdout=StringIO())
    CaseFigure.objects.filter(key=figures.CLOSED).update(n=99)
    CaseFigure.objects.filter(key=figures.RATED).delete()
    with pytest.raises(CommandError):
        call_command("case_figures", "--check", stdout=StringIO())
    out = StringIO()
    call_command("case_figures", "--repair", stdout=out)
    assert "Rebuilt" in out.getvalue()
    assert figures.differences() == []
    f = figures.figures_for(places=None, day_from=FEB[0], day_to=FEB[1])
    assert (f.closed, f.rated) == (3, 4)


@pytest.mark.parametrize(
    ("period", "days", "months"),
    [
        # Whole months only: one read of the monthly rows.
        ((date(2026, 2, 1), date(2026, 2, 28)), [], (date(2026, 2, 1), date(2026, 2, 1))),
        ((date(2026, 1, 1), date(2026, 12, 31)), [], (date(2026, 1, 1), date(2026, 12, 1))),
        # Days at both ends around whole months.
        (
            (date(2026, 1, 31), date(2026, 4, 2)),
            [(date(2026, 1, 31), date(2026, 1, 31)), (date(2026, 4, 1), date(2026, 4, 2))],
            (date(2026, 2, 1), date(2026, 3, 1)),
        ),
        # This year to today; 30 days; within a month; across one month's end; a leap February.
        (
            (date(2026, 1, 1), date(2026, 12, 1)),
            [(date(2026, 12, 1), date(2026, 12, 1))],
            (date(2026, 1, 1), date(2026, 11, 1)),
        ),
        ((date(2026, 11, 2), date(2026, 12, 1)), [(date(2026, 11, 2), date(2026, 12, 1))], None),
        ((date(2026, 2, 3), date(2026, 2, 20)), [(date(2026, 2, 3), date(2026, 2, 20))], None),
        (
            (date(2026, 1, 15), date(2026, 2, 28)),
            [(date(2026, 1, 15), date(2026, 1, 31))],
            (date(2026, 2, 1), date(2026, 2, 1)),
        ),
        ((date(2028, 2, 1), date(2028, 2, 29)), [], (date(2028, 2, 1), date(2028, 2, 1))),
        ((date(2026, 3, 5), date(2026, 3, 4)), [], None),
    ],
)
def test_a_period_is_read_as_whole_months_and_the_days_at_its_ends(period, days, months):
    assert figures.spans(*period) == (days, months)


def test_monthly_rows_sum_the_days_and_any_period_reads_the_same_as_its_days(three):
    months = figures.kept(monthly=True)
    assert months == figures.by_month(figures.kept())
    assert months[(figures.EVERYWHERE, 0, 0, date(2026, 2, 1), figures.CLOSED)] == 3
    daily = figures.kept()

    def from_days(a: date, b: date) -> dict[str, int]:
        sums: dict[str, int] = {}
        for (place, agency, user, day, key), n in daily.items():
            if place == figures.EVERYWHERE and agency == user == 0 and a <= day <= b:
                sums[key] = sums.get(key, 0) + n
        return sums

    for period in [
        JAN,
        FEB,
        (JAN[0], FEB[1]),
        (date(2026, 1, 31), date(2026, 2, 3)),
        (date(2025, 12, 2), date(2026, 3, 31)),
    ]:
        assert figures.sums_for(places=None, day_from=period[0], day_to=period[1]) == from_days(*period), (
            period
        )


def test_the_check_finds_a_wrong_monthly_row_and_the_migration_sums_the_days(three):
    CaseFigureMonth.objects.filter(key=figures.RATED).update(n=7)
    found = figures.differences()
    assert found and all(d.monthly for d in found)
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("case_figures", "--check", stdout=out)
    assert "2026-02, rated" in out.getvalue()
    # Migration 0013 fills the monthly rows of a database that kept only daily ones.
    CaseFigureMonth.objects.all().delete()
    migration = import_module("civicgrid.cases.migrations.0013_case_figure_month")
    migration.sum_the_months(None, SimpleNamespace(connection=connection))
    assert figures.differences() == []


def test_the_sweeps_auto_close_is_a_closing_too(cw, category, clock):
    w = cw
    clock("2026-03-02 09:00")
    case = report(w, category)
    for at, action in (("2026-03-02 09:30", "accept"), ("2026-03-02 09:40", "handle_in_grid")):
        clock(at)
        case = services.case_act(case=case, action=action, actor=w.grid_worker)
    clock("2026-03-02 15:00")
    services.case_act(
        case=case, action="resolve", actor=w.grid_worker, note="已修复", photos=[jpeg((10, 200, 10))]
    )
    clock("2026-03-12 09:00")  # the 7-day rating window has passed
    assert services.cases_sweep().auto_closed == 1
    f = figures.figures_for(places=None, day_from=date(2026, 3, 12), day_to=date(2026, 3, 12))
    assert (f.closed, f.on_time_closure.part, f.first_time.part, f.rated) == (1, 1, 1, 0)
    assert f.average_handling_hours == pytest.approx(6.0)


@pytest.mark.parametrize(
    ("hours", "bound"),
    [
        (0, 0),
        (0.99, 0),
        (1, 1),
        (71.9, 71),
        (72, 72),
        (77.9, 72),
        (78, 78),
        (719.9, 714),
        (720, 720),
        (10**6, 8760),
    ],
)
def test_handling_time_bands(hours, bound):
    assert figures.hours_bound(hours * 3600) == bound


def test_a_recount_of_many_pieces_is_summed_in_sql_with_the_same_answers(three, monkeypatch):
    # Whole: one piece, summed in memory.
    assert figures.differences() == []
    kept_before = (figures.kept(), figures.kept(monthly=True))
    # A piece per case: the scratch tables and SQL sums.
    monkeypatch.setattr(figures, "RECOUNT_BATCH", 1)
    monkeypatch.setattr(figures, "RECOUNT_PIECE", 1)
    assert len(list(figures.recount_pieces())) == Case.objects.count() >= 2
    assert figures.differences() == []
    # A wrong row, a missing one and one too many are found the same way both ways.
    row = CaseFigure.objects.filter(key=figures.RATED).first()
    CaseFigure.objects.filter(pk=row.pk).update(n=row.n + 3)
    CaseFigure.objects.filter(key=figures.CLOSED).first().delete()
    CaseFigure.objects.create(place_id=row.place_id, agency_id=0, user_id=0, day=row.day, key="stray", n=2)
    staged = figures.differences()
    assert staged.total == len(staged)
    # A check lists so many, and counts them all.
    monkeypatch.setattr(figures, "DIFFERENCES_LISTED", 2)
    listed = figures.differences()
    assert len(listed) == 2 and listed.total == len(staged)
    monkeypatch.setattr(figures, "DIFFERENCES_LISTED", 100_000)
    monkeypatch.setattr(figures, "RECOUNT_PIECE", 10**9)
    assert staged == figures.differences() and len(staged) >= 3
    # A rebuild from many pieces writes what one piece does.
    monkeypatch.setattr(figures, "RECOUNT_PIECE", 1)
    assert figures.rebuild() == len(kept_before[0])
    assert (figures.kept(), figures.kept(monthly=True)) == kept_before
    assert figures.differences() == []
