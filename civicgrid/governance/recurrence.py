"""The dates of a recurring meeting (`MeetingSeries`) between two days, from its rule as data.

Rules (`MeetingSeries.rule` and `params`):
- "days" {"days": [5, 15, 25]}: on these days of every month (逢五说事). A day past the month's end
  falls on its last day (31 → 30 April, 28 or 29 February); two days falling on one day make one
  meeting.
- "weekday" {"nth": 1, "weekday": 0}: the nth (1–4, or -1 for the last) Monday … Sunday (0–6) of
  every month.
- "weekly" {"weekday": 2}: every Wednesday.

A date on a day off (a weekend, or a weekday the calendar gives off; a weekend the calendar makes a
make-up working day, 调休, is a working day) follows `on_holiday`:
- "keep": the meeting stays on its date;
- "next" / "previous": it moves to the nearest working day after / before it, **keeping its order**:
  strictly between the series' dates before and after it (so it never lands on, or passes, another
  meeting of the series), and for the monthly rules ("days", "weekday") within its own month. When
  no working day qualifies (a month-end date with "next"), it stays on its date: a meeting is never
  lost by a shift. Each date's move depends only on its own and its neighbours' rule dates, so the
  schedule of a day is the same whatever window it is computed in (the daily scheduler relies on it);
- "skip": that meeting is not held.

Pure: no models, except `day_off_calendar`, which reads the cases app's `Holiday` table (the same
calendar the working-day deadlines use, `cases.deadlines.is_workday`).
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.utils.translation import gettext as _

from civicgrid.cases.deadlines import is_workday
from civicgrid.cases.models import Holiday
from civicgrid.core.errors import ApplicationError

DAYS = "days"
WEEKDAY = "weekday"
WEEKLY = "weekly"
RULES = (DAYS, WEEKDAY, WEEKLY)
KEEP, NEXT, PREVIOUS, SKIP = "keep", "next", "previous", "skip"
SHIFTS = (KEEP, NEXT, PREVIOUS, SKIP)
NTHS = (1, 2, 3, 4, -1)
# Rule dates this far outside a window are read too, so that each date in it knows its neighbours
# (a shifted date stays within a month, or a week, of its rule date).
MARGIN = timedelta(days=93)

# Whether a day is a working day.
WorkdayTest = Callable[[date], bool]


@dataclass(frozen=True)
class Rule:
    """A checked rule: `kind` and what it needs (`days` for "days", `nth` and `weekday` otherwise)."""

    kind: str
    days: tuple[int, ...] = ()
    nth: int = 0
    weekday: int = 0

    @property
    def monthly(self) -> bool:
        return self.kind in (DAYS, WEEKDAY)

    def params(self) -> dict[str, Any]:
        """The rule's parameters as `MeetingSeries.params` stores them."""
        if self.kind == DAYS:
            return {"days": list(self.days)}
        if self.kind == WEEKDAY:
            return {"nth": self.nth, "weekday": self.weekday}
        return {"weekday": self.weekday}


def _whole(value: Any) -> int | None:
    """An integer given as a number or its digits (a form posts text); None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def rule_from(kind: str, params: Mapping[str, Any] | None) -> Rule:
    """Return the checked rule of `kind` with `params`; refuse anything else with field errors.

    Field names: "rule", "days", "nth", "weekday" (the series' forms and the API show them there).
    """
    params = params if isinstance(params, Mapping) else {}
    errors: dict[str, str] = {}
    if kind not in RULES:
        errors["rule"] = _("Choose how the meeting repeats.")
        raise ApplicationError(_("Please correct the marked fields."), extra={"fields": errors})
    rule = Rule(kind)
    if kind == DAYS:
        raw = params.get("days")
        items = raw if isinstance(raw, list | tuple) else []
        days = [_whole(d) for d in items]
        if not days:
            errors["days"] = _("Give at least one day of the month.")
        elif any(d is None or not 1 <= d <= 31 for d in days):
            errors["days"] = _("Days of the month are whole numbers from 1 to 31.")
        else:
            rule = Rule(kind, days=tuple(sorted(set(days))))  # type: ignore[arg-type]
    else:
        weekday = _whole(params.get("weekday"))
        if weekday is None or not 0 <= weekday <= 6:
            errors["weekday"] = _("Choose a day of the week.")
        nth = 0
        if kind == WEEKDAY:
            nth = _whole(params.get("nth"))  # type: ignore[assignment]
            if nth not in NTHS:
                errors["nth"] = _("Choose the first, second, third, fourth or last one of the month.")
        if not errors:
            rule = Rule(kind, nth=nth, weekday=weekday)  # type: ignore[arg-type]
    if errors:
        raise ApplicationError(_("Please correct the marked fields."), extra={"fields": errors})
    return rule


def check_shift(on_holiday: str) -> str:
    if on_holiday not in SHIFTS:
        message = _("Choose what happens to a meeting on a day off.")
        raise ApplicationError(message, extra={"fields": {"on_holiday": message}})
    return on_holiday


# --- Rule dates ------------------------------------------------------------------------------------


def _months(start: date, end: date):
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        yield year, month
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _nth_weekday(year: int, month: int, nth: int, weekday: int) -> date:
    last = calendar.monthrange(year, month)[1]
    if nth == -1:
        day = date(year, month, last)
        return day - timedelta(days=(day.weekday() - weekday) % 7)
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))


def rule_dates(rule: Rule, start: date, end: date) -> list[date]:
    """Return the dates the rule gives from `start` to `end` (both included), sorted, each once,
    before any shift for days off."""
    if start > end:
        return []
    found: set[date] = set()
    if rule.kind == WEEKLY:
        day = start + timedelta(days=(rule.weekday - start.weekday()) % 7)
        while day <= end:
            found.add(day)
            day += timedelta(days=7)
    else:
        for year, month in _months(start, end):
            if rule.kind == DAYS:
                last = calendar.monthrange(year, month)[1]
                found.update(date(year, month, min(d, last)) for d in rule.days)
            else:
                found.add(_nth_weekday(year, month, rule.nth, rule.weekday))
    return sorted(d for d in found if start <= d <= end)


# --- Shifting ----------------------------------------------------------------------------------------


def _shifted(
    day: date,
    step: int,
    *,
    before: date | None,
    after: date | None,
    monthly: bool,
    workday: WorkdayTest,
) -> date:
    """Return the nearest working day from `day` in the direction `step` (+1 / -1), strictly between
    `before` and `after` (the series' neighbouring rule dates) and, for a monthly rule, in `day`'s
    month; `day` itself when there is none."""
    candidate = day + timedelta(days=step)
    while True:
        if before is not None and candidate <= before:
            return day
        if after is not None and candidate >= after:
            return day
        if monthly and candidate.month != day.month:
            return day
        if workday(candidate):
            return candidate
        candidate += timedelta(days=step)


def occurrence_pairs(
    rule: Rule, on_holiday: str, start: date, end: date, workday: WorkdayTest
) -> list[tuple[date, date]]:
    """Return (rule date, meeting date) of each meeting held from `start` to `end` (by its meeting
    date), in order; see the module's docstring for how a day off moves a meeting."""
    if start > end:
        return []
    dates = rule_dates(rule, start - MARGIN, end + MARGIN)
    pairs: list[tuple[date, date]] = []
    for i, day in enumerate(dates):
        held = day
        if not workday(day):
            if on_holiday == SKIP:
                continue
            if on_holiday in (NEXT, PREVIOUS):
                held = _shifted(
                    day,
                    1 if on_holiday == NEXT else -1,
                    before=dates[i - 1] if i > 0 else None,
                    after=dates[i + 1] if i + 1 < len(dates) else None,
                    monthly=rule.monthly,
                    workday=workday,
                )
        if start <= held <= end:
            pairs.append((day, held))
    return pairs


def occurrences(rule: Rule, on_holiday: str, start: date, end: date, workday: WorkdayTest) -> list[date]:
    """Return the meeting dates from `start` to `end` (both included): sorted, each once."""
    return [held for _day, held in occurrence_pairs(rule, on_holiday, start, end, workday)]


def workday_test(exceptions: Mapping[date, bool]) -> WorkdayTest:
    """Return the working-day test of a calendar given as {date: is a working day} exceptions to
    Monday–Friday (`Holiday` rows: a day off on a weekday, a make-up working day on a weekend)."""
    exceptions = dict(exceptions)
    return lambda day: is_workday(day, exceptions)


def day_off_calendar(start: date, end: date) -> WorkdayTest:
    """Return the working-day test over `start`…`end` and the shifting margin around it, read from
    the `Holiday` table once."""
    rows = Holiday.objects.filter(date__gte=start - MARGIN, date__lte=end + MARGIN).values_list(
        "date", "is_workday"
    )
    return workday_test(dict(rows))


def series_dates(kind: str, params: Mapping[str, Any], on_holiday: str, start: date, end: date) -> list[date]:
    """Return the meeting dates of a series' rule from `start` to `end`, on the stored calendar."""
    return occurrences(rule_from(kind, params), on_holiday, start, end, day_off_calendar(start, end))
