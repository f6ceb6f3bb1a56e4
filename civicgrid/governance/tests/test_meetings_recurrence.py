"""The dates of a recurring meeting: the rules over month ends and leap years, days off and make-up
working days (调休) around the Spring Festival, and the checks of a rule's parameters.

Expected dates are written out by hand from a 2026 calendar, not computed by the code under test.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid.cases.models import Holiday
from civicgrid.core.errors import ApplicationError
from civicgrid.governance import recurrence as r

D = date

# The Spring Festival of 2026 as the State Council set it: days off Sunday 15 to Monday 23 February,
# make-up working days on Saturday 14 and Saturday 28 February.
SPRING_FESTIVAL_2026 = {
    **{D(2026, 2, d): False for d in (16, 17, 18, 19, 20, 23)},
    D(2026, 2, 14): True,
    D(2026, 2, 28): True,
}
PLAIN = r.workday_test({})
FESTIVAL = r.workday_test(SPRING_FESTIVAL_2026)


def dates(kind: str, params: dict, start: date, end: date, shift: str = r.KEEP, workday=PLAIN) -> list[date]:
    return r.occurrences(r.rule_from(kind, params), shift, start, end, workday)


# --- The rules -------------------------------------------------------------------------------------


def test_it_meets_on_days_ending_in_five():
    assert dates("days", {"days": [5, 15, 25]}, D(2026, 1, 1), D(2026, 2, 28)) == [
        D(2026, 1, 5),
        D(2026, 1, 15),
        D(2026, 1, 25),
        D(2026, 2, 5),
        D(2026, 2, 15),
        D(2026, 2, 25),
    ]


def test_a_day_past_the_months_end_falls_on_its_last_day():
    assert dates("days", {"days": [31]}, D(2026, 1, 1), D(2026, 6, 30)) == [
        D(2026, 1, 31),
        D(2026, 2, 28),
        D(2026, 3, 31),
        D(2026, 4, 30),
        D(2026, 5, 31),
        D(2026, 6, 30),
    ]


def test_february_of_a_leap_year_ends_on_the_29th():
    assert dates("days", {"days": [30]}, D(2028, 2, 1), D(2028, 3, 31)) == [D(2028, 2, 29), D(2028, 3, 30)]


def test_two_days_past_the_months_end_make_one_meeting():
    assert dates("days", {"days": [29, 30, 31]}, D(2026, 2, 1), D(2026, 2, 28)) == [D(2026, 2, 28)]
    assert dates("days", {"days": [29, 30, 31]}, D(2026, 4, 1), D(2026, 4, 30)) == [
        D(2026, 4, 29),
        D(2026, 4, 30),
    ]


def test_it_meets_on_the_first_monday_and_the_last_friday():
    assert dates("weekday", {"nth": 1, "weekday": 0}, D(2026, 1, 1), D(2026, 3, 31)) == [
        D(2026, 1, 5),
        D(2026, 2, 2),
        D(2026, 3, 2),
    ]
    assert dates("weekday", {"nth": -1, "weekday": 4}, D(2026, 1, 1), D(2026, 3, 31)) == [
        D(2026, 1, 30),
        D(2026, 2, 27),
        D(2026, 3, 27),
    ]
    # March 2026 starts on a Sunday: its fourth Sunday is the 22nd, its last the 29th.
    assert dates("weekday", {"nth": 4, "weekday": 6}, D(2026, 3, 1), D(2026, 3, 31)) == [D(2026, 3, 22)]


def test_it_meets_every_wednesday():
    assert dates("weekly", {"weekday": 2}, D(2026, 1, 1), D(2026, 1, 31)) == [
        D(2026, 1, 7),
        D(2026, 1, 14),
        D(2026, 1, 21),
        D(2026, 1, 28),
    ]


def test_the_window_includes_both_ends_and_an_empty_window_has_nothing():
    assert dates("days", {"days": [5]}, D(2026, 1, 5), D(2026, 1, 5)) == [D(2026, 1, 5)]
    assert dates("days", {"days": [5]}, D(2026, 1, 6), D(2026, 1, 5)) == []


# --- Days off ----------------------------------------------------------------------------------


def test_a_meeting_on_a_day_off_keeps_its_date_by_default():
    assert D(2026, 2, 15) in dates(
        "days", {"days": [5, 15, 25]}, D(2026, 2, 1), D(2026, 2, 28), workday=FESTIVAL
    )


def test_next_working_day_crosses_the_spring_festival():
    # 15 Feb (Sunday, first day off) → 16–20 off, 21–22 weekend, 23 off → Tuesday 24.
    assert dates("days", {"days": [5, 15, 25]}, D(2026, 2, 1), D(2026, 2, 28), r.NEXT, FESTIVAL) == [
        D(2026, 2, 5),
        D(2026, 2, 24),
        D(2026, 2, 25),
    ]


def test_previous_working_day_is_the_make_up_saturday():
    # 15 Feb → Saturday 14 Feb, a make-up working day (调休).
    assert dates("days", {"days": [5, 15, 25]}, D(2026, 2, 1), D(2026, 2, 28), r.PREVIOUS, FESTIVAL) == [
        D(2026, 2, 5),
        D(2026, 2, 14),
        D(2026, 2, 25),
    ]


def test_a_make_up_saturday_is_a_working_day_where_a_meeting_stays():
    # 28 Feb 2026 is a Saturday but a working day: the meeting stays there.
    assert dates("days", {"days": [28]}, D(2026, 2, 1), D(2026, 2, 28), r.NEXT, FESTIVAL) == [D(2026, 2, 28)]
    assert dates("days", {"days": [28]}, D(2026, 2, 1), D(2026, 2, 28), r.PREVIOUS, FESTIVAL) == [
        D(2026, 2, 28)
    ]
    # Without the make-up day it is a plain Saturday: back to Friday 27.
    assert dates("days", {"days": [28]}, D(2026, 2, 1), D(2026, 2, 28), r.PREVIOUS, PLAIN) == [D(2026, 2, 27)]


def test_skip_drops_the_meetings_on_days_off():
    assert dates("days", {"days": [5, 15, 25]}, D(2026, 2, 1), D(2026, 2, 28), r.SKIP, FESTIVAL) == [
        D(2026, 2, 5),
        D(2026, 2, 25),
    ]


def test_a_shift_never_reaches_the_series_next_date():
    # 15 Feb would move to 24 Feb, past the series' 20 Feb: it keeps its date; 20 Feb (a day off)
    # moves on to 24 Feb.
    assert dates("days", {"days": [15, 20]}, D(2026, 2, 1), D(2026, 2, 28), r.NEXT, FESTIVAL) == [
        D(2026, 2, 15),
        D(2026, 2, 24),
    ]


def test_a_shift_never_reaches_the_series_previous_date():
    # 20 Feb (off) would move back past 16–19 (off) and 15 (off) to 14: the series meets on 15 Feb
    # already, so 20 Feb keeps its date; 15 Feb moves to 14.
    assert dates("days", {"days": [15, 20]}, D(2026, 2, 1), D(2026, 2, 28), r.PREVIOUS, FESTIVAL) == [
        D(2026, 2, 14),
        D(2026, 2, 20),
    ]


def test_a_monthly_meeting_stays_in_its_month():
    # Saturday 31 January 2026: the next working day is in February, so it stays; the previous is Friday 30.
    assert dates("days", {"days": [31]}, D(2026, 1, 1), D(2026, 1, 31), r.NEXT) == [D(2026, 1, 31)]
    assert dates("days", {"days": [31]}, D(2026, 1, 1), D(2026, 1, 31), r.PREVIOUS) == [D(2026, 1, 30)]
    # The first Sunday of March 2026 is the 1st: "previous" would leave March, so it stays.
    assert dates("weekday", {"nth": 1, "weekday": 6}, D(2026, 3, 1), D(2026, 3, 31), r.PREVIOUS) == [
        D(2026, 3, 1)
    ]


def test_a_weekly_meeting_moves_within_its_week():
    # Mondays 16 and 23 Feb are days off: 16 → next would reach 23 (the next Monday) and stays;
    # 23 → Tuesday 24. Backwards, 16 → Saturday 14 (make-up working day).
    assert dates("weekly", {"weekday": 0}, D(2026, 2, 9), D(2026, 2, 24), r.NEXT, FESTIVAL) == [
        D(2026, 2, 9),
        D(2026, 2, 16),
        D(2026, 2, 24),
    ]
    assert dates("weekly", {"weekday": 0}, D(2026, 2, 9), D(2026, 2, 24), r.PREVIOUS, FESTIVAL) == [
        D(2026, 2, 9),
        D(2026, 2, 14),
        D(2026, 2, 23),
    ]


def test_a_meeting_shifted_into_the_window_belongs_to_it():
    # The Sunday 1 Feb 2026 meeting moves into a window starting on Monday 2 Feb with "next".
    assert dates("days", {"days": [1]}, D(2026, 2, 2), D(2026, 2, 10), r.NEXT) == [D(2026, 2, 2)]
    # ... and one moved out of the window is not in it.
    assert dates("days", {"days": [1]}, D(2026, 2, 1), D(2026, 2, 1), r.NEXT) == []


def test_rule_and_meeting_dates_come_in_pairs():
    assert r.occurrence_pairs(
        r.rule_from("days", {"days": [15]}), r.NEXT, D(2026, 2, 1), D(2026, 2, 28), FESTIVAL
    ) == [(D(2026, 2, 15), D(2026, 2, 24))]


@pytest.mark.django_db
def test_the_calendar_is_read_from_the_holiday_table():
    for day, working in SPRING_FESTIVAL_2026.items():
        Holiday.objects.create(date=day, is_workday=working, name="春节" if not working else "调休")
    assert r.series_dates("days", {"days": [5, 15, 25]}, r.PREVIOUS, D(2026, 2, 1), D(2026, 2, 28)) == [
        D(2026, 2, 5),
        D(2026, 2, 14),
        D(2026, 2, 25),
    ]


# --- Checking a rule ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "params", "field"),
    [
        ("monthly", {}, "rule"),
        ("days", {}, "days"),
        ("days", {"days": []}, "days"),
        ("days", {"days": [0]}, "days"),
        ("days", {"days": [32]}, "days"),
        ("days", {"days": ["five"]}, "days"),
        ("days", {"days": [True]}, "days"),
        ("days", {"days": "5,15"}, "days"),
        ("weekday", {"nth": 5, "weekday": 0}, "nth"),
        ("weekday", {"nth": 0, "weekday": 0}, "nth"),
        ("weekday", {"nth": 1, "weekday": 7}, "weekday"),
        ("weekday", {"nth": 1}, "weekday"),
        ("weekly", {"weekday": -1}, "weekday"),
        ("weekly", None, "weekday"),
    ],
)
def test_it_refuses_a_rule_it_cannot_follow(kind, params, field):
    with pytest.raises(ApplicationError) as refused:
        r.rule_from(kind, params)
    assert field in refused.value.extra["fields"]
    assert refused.value.extra["fields"][field]


def test_it_refuses_an_unknown_shift():
    with pytest.raises(ApplicationError) as refused:
        r.check_shift("later")
    assert "on_holiday" in refused.value.extra["fields"]


def test_it_keeps_a_rule_in_a_plain_form():
    assert r.rule_from("days", {"days": ["25", 5, 15, 5]}).params() == {"days": [5, 15, 25]}
    assert r.rule_from("weekday", {"nth": "-1", "weekday": "4", "x": 1}).params() == {"nth": -1, "weekday": 4}
    assert r.rule_from("weekly", {"weekday": 2}).params() == {"weekday": 2}


# --- Properties ----------------------------------------------------------------------------------

rules = st.one_of(
    st.builds(
        lambda days: r.rule_from("days", {"days": days}),
        st.lists(st.integers(1, 31), min_size=1, max_size=6),
    ),
    st.builds(
        lambda nth, wd: r.rule_from("weekday", {"nth": nth, "weekday": wd}),
        st.sampled_from(r.NTHS),
        st.integers(0, 6),
    ),
    st.builds(lambda wd: r.rule_from("weekly", {"weekday": wd}), st.integers(0, 6)),
)
days_2026_2028 = st.dates(D(2026, 1, 1), D(2028, 12, 31))
calendars = st.dictionaries(days_2026_2028, st.booleans(), max_size=60)


@settings(max_examples=300, deadline=None)
@given(
    rule=rules,
    shift=st.sampled_from(r.SHIFTS),
    exceptions=calendars,
    start=days_2026_2028,
    length=st.integers(0, 200),
)
def test_dates_are_sorted_unique_and_in_the_window(rule, shift, exceptions, start, length):
    end = start + timedelta(days=length)
    workday = r.workday_test(exceptions)
    pairs = r.occurrence_pairs(rule, shift, start, end, workday)
    held = [h for _day, h in pairs]
    assert held == sorted(set(held))
    assert all(start <= h <= end for h in held)
    for day, h in pairs:
        if workday(day) or shift == r.KEEP:
            assert h == day  # a meeting on a working day, or kept, is never moved
        elif h != day:
            assert workday(h)  # a moved meeting lands on a working day
            assert (h > day) == (shift == r.NEXT)
        if rule.monthly:
            assert (h.year, h.month) == (day.year, day.month)
        else:
            assert abs((h - day).days) < 7
    if shift == r.SKIP:
        assert all(workday(h) for h in held)


@settings(max_examples=200, deadline=None)
@given(
    rule=rules,
    shift=st.sampled_from(r.SHIFTS),
    exceptions=calendars,
    start=days_2026_2028,
    a=st.integers(0, 90),
    b=st.integers(0, 90),
)
def test_a_day_has_the_same_meetings_whatever_the_window(rule, shift, exceptions, start, a, b):
    """The daily scheduler plans overlapping windows: a day's meetings must not depend on them."""
    workday = r.workday_test(exceptions)
    middle = start + timedelta(days=a)
    end = middle + timedelta(days=b)
    whole = r.occurrences(rule, shift, start, end, workday)
    parts = r.occurrences(rule, shift, start, middle, workday) + r.occurrences(
        rule, shift, middle + timedelta(days=1), end, workday
    )
    assert whole == parts
