"""Reading Open311 parameters: an empty parameter is an absent one; lists are comma-separated."""

from __future__ import annotations

import math
from datetime import datetime, time, timedelta

from django.conf import settings
from django.http import QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from civicgrid.core.errors import ApplicationError, NotFound


def one(params: QueryDict, name: str) -> str | None:
    """Return a parameter's last value, stripped; None when it is absent or empty."""
    values = params.getlist(name)
    value = values[-1].strip() if values else ""
    return value or None


def many(params: QueryDict, name: str) -> list[str]:
    """Return the values of a comma-separated (or repeated) parameter, without empties or repeats."""
    out: list[str] = []
    for value in params.getlist(name):
        for part in value.split(","):
            part = part.strip()
            if part and part not in out:
                out.append(part)
    return out


def bad(name: str, message: str) -> ApplicationError:
    """A 400 naming the parameter, as Open311 errors carry it."""
    return ApplicationError(message, code="invalid", extra={"fields": {name: message}})


def check_jurisdiction(params: QueryDict) -> None:
    """One jurisdiction is served: `jurisdiction_id` may be left out; another one is not found."""
    given = one(params, "jurisdiction_id")
    if given is not None and given.lower() != settings.OPEN311_JURISDICTION_ID.lower():
        raise NotFound(
            _("Unknown jurisdiction_id “%(given)s”: this server serves “%(ours)s”.")
            % {"given": given[:60], "ours": settings.OPEN311_JURISDICTION_ID}
        )


def moment(params: QueryDict, name: str) -> datetime | None:
    """Read a W3C datetime (a date alone is its day's start in the site's zone)."""
    text = one(params, name)
    if text is None:
        return None
    try:
        value = parse_datetime(text.replace(" ", "+"))
    except ValueError:
        value = None
    if value is None:
        try:
            day = parse_date(text)
        except ValueError:
            day = None
        if day is None:
            raise bad(
                name, _("%(name)s is not a date and time such as 2026-11-01T00:00:00+08:00.") % {"name": name}
            )
        value = datetime.combine(day, time.min)
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def number(params: QueryDict, name: str, *, low: float, high: float) -> float | None:
    text = one(params, name)
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not low <= value <= high:
        raise bad(
            name,
            _("%(name)s must be a number from %(low)s to %(high)s.")
            % {"name": name, "low": low, "high": high},
        )
    return value


def whole(params: QueryDict, name: str, *, default: int, high: int) -> int:
    text = one(params, name)
    if text is None:
        return default
    if not text.isdigit() or not 1 <= int(text) <= high:
        raise bad(
            name, _("%(name)s must be a whole number from 1 to %(high)s.") % {"name": name, "high": high}
        )
    return int(text)


def flag(params: QueryDict, name: str) -> bool:
    return (one(params, name) or "").lower() in ("true", "1", "yes")


WINDOW = timedelta(days=90)
