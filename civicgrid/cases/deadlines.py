"""Deadlines: hours on the clock, or working days on a calendar with holidays and make-up days."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings
from django.utils import timezone

from civicgrid.cases.models import Case, Category, Holiday


def is_workday(day: date, exceptions: dict[date, bool]) -> bool:
    """Return whether `day` is a working day: Monday–Friday, unless the calendar says otherwise."""
    if day in exceptions:
        return exceptions[day]
    return day.weekday() < 5


def add_workdays(start: datetime, days: int) -> datetime:
    """Return the same local time of day on the `days`-th working day after `start`."""
    local = timezone.localtime(start)
    # A generous window of calendar exceptions: a deadline of N working days spans at most ~3N days
    # plus the longest holiday (Spring Festival, about 9 days).
    horizon = local.date() + timedelta(days=days * 3 + 30)
    exceptions = dict(
        Holiday.objects.filter(date__gt=local.date(), date__lte=horizon).values_list("date", "is_workday")
    )
    day = local.date()
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if is_workday(day, exceptions):
            remaining -= 1
    return local.replace(year=day.year, month=day.month, day=day.day)


def response_due(category: Category, priority: str, start: datetime) -> datetime:
    hours = category.urgent_response_hours if is_urgent(category, priority) else category.response_hours
    return start + timedelta(hours=hours)


def resolution_due(category: Category, priority: str, start: datetime) -> datetime:
    if is_urgent(category, priority):
        return start + timedelta(hours=category.urgent_resolution_hours)
    if category.resolution_workdays:
        return add_workdays(start, category.resolution_workdays)
    return start + timedelta(hours=category.resolution_hours or settings.CASE_DEFAULT_RESOLUTION_HOURS)


def is_urgent(category: Category, priority: str) -> bool:
    return category.is_urgent or priority == Case.Priority.URGENT
