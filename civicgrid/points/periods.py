"""Leaderboard periods: a month, a quarter or a year, named "2026-03", "2026-Q1" or "2026"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _

from civicgrid.core.errors import ApplicationError

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$", re.IGNORECASE)
_YEAR = re.compile(r"^(\d{4})$")


@dataclass(frozen=True)
class Period:
    kind: str  # "month", "quarter" or "year"
    start: date  # the first day of its first month

    @property
    def months(self) -> list[date]:
        count = {"month": 1, "quarter": 3, "year": 12}[self.kind]
        return [add_months(self.start, i) for i in range(count)]

    @property
    def end(self) -> date:
        """The first day after the period."""
        return add_months(self.months[-1], 1)

    @property
    def name(self) -> str:
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start.year}"

    @property
    def label(self) -> str:
        if self.kind == "month":
            return _("%(year)s-%(month)02d") % {"year": self.start.year, "month": self.start.month}
        if self.kind == "quarter":
            return _("Q%(quarter)s %(year)s") % {
                "quarter": (self.start.month - 1) // 3 + 1,
                "year": self.start.year,
            }
        return _("Year %(year)s") % {"year": self.start.year}


def add_months(day: date, count: int) -> date:
    index = day.year * 12 + day.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def month_of(day: date) -> date:
    return date(day.year, day.month, 1)


def of(kind: str, start: date) -> Period:
    """Return the period of `kind` that holds `start`."""
    if kind == "month":
        return Period("month", month_of(start))
    if kind == "quarter":
        return Period("quarter", date(start.year, (start.month - 1) // 3 * 3 + 1, 1))
    if kind == "year":
        return Period("year", date(start.year, 1, 1))
    raise ApplicationError(_("Choose a month, a quarter or a year."), code="invalid_period")


def parse(text: str) -> Period:
    """Return the period named by `text` ("2026-03", "2026-Q1", "2026"); refuse anything else."""
    text = (text or "").strip()
    if match := _MONTH.match(text):
        year, month = int(match[1]), int(match[2])
        if 1 <= month <= 12 and year >= 2000:
            return Period("month", date(year, month, 1))
    elif match := _QUARTER.match(text):
        year = int(match[1])
        if year >= 2000:
            return Period("quarter", date(year, (int(match[2]) - 1) * 3 + 1, 1))
    elif (match := _YEAR.match(text)) and int(match[1]) >= 2000:
        return Period("year", date(int(match[1]), 1, 1))
    raise ApplicationError(
        _("A period is a month (2026-03), a quarter (2026-Q1) or a year (2026)."),
        code="invalid_period",
        extra={"fields": {"period": _("Unknown period.")}},
    )
