"""The overview of a staff member's scope: counts, rates, a trend, categories and the next level down.

Built for the command centre, staff home pages and `GET /api/v1/overview`, from the kept counts
(`counts`: cases per place, step and day) and the kept figures (`figures`), plus two live counts that
are small by nature (steps overdue now, steps due soon), each read as the work list reads it. Every
count carries the filters of the case list behind it (`Tile.query`), and that list counts the same
cases: the same word means the same count everywhere.

Who sees what: a staff member with regions sees their regions (or one area within them); agency staff
see their agency's work; anyone else is refused (`PermissionDenied`).
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.accounts.models import Agency
from civicgrid.cases import counts, figures, hotspots, selectors, selectors_work
from civicgrid.cases.models import Case, CaseFigure, CaseTally, Category
from civicgrid.cases.selectors import CaseFilters, overdue_q
from civicgrid.cases.workflow import OPEN_STATES
from civicgrid.core.errors import PermissionDenied
from civicgrid.places.models import Place

# The periods a user can choose, by key.
PERIODS: dict[str, Promise] = {
    "month": gettext_lazy("This month"),
    "last_month": gettext_lazy("Last month"),
    "30d": gettext_lazy("Last 30 days"),
    "year": gettext_lazy("This year"),
}
TREND_DAYS = 30
# The state value of the case lists that means "every step, finished ones too" (forms_work.ALL_STATES).
ALL_STATES = "all"
# The levels a place's next level down is, for the table under the overview.
LEVEL_COLUMN = {
    Place.Level.DISTRICT: "district_id",
    Place.Level.TOWN: "town_id",
    Place.Level.VILLAGE: "village_id",
    Place.Level.GRID: "grid_id",
}


@dataclass(frozen=True)
class Period:
    key: str
    start: date
    end: date  # included

    @property
    def label(self) -> str:
        return str(PERIODS[self.key])

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def period_of(key: str, today: date) -> Period:
    """Return the period `key` names as of `today` (an unknown key: this month)."""
    if key == "last_month":
        end = today.replace(day=1) - timedelta(days=1)
        return Period(key, end.replace(day=1), end)
    if key == "30d":
        return Period(key, today - timedelta(days=29), today)
    if key == "year":
        return Period(key, today.replace(month=1, day=1), today)
    last = calendar.monthrange(today.year, today.month)[1]
    return Period("month", today.replace(day=1), min(today, today.replace(day=last)))


@dataclass(frozen=True)
class Tile:
    key: str
    label: str
    # What it counts, in words, shown under the number.
    help: str
    value: int  # a list's capped total ("1,000+") is a `selectors.Total`
    # The case list's query string parameters that list these cases.
    query: dict[str, str]
    tone: str = ""  # "late", "soon" or ""

    @property
    def shown(self) -> str:
        return str(self.value) if isinstance(self.value, selectors.Total) else f"{self.value:,}"


@dataclass(frozen=True)
class RateLine:
    key: str
    label: str
    formula: str
    rate: figures.Rate


@dataclass(frozen=True)
class ChildRow:
    place: Place
    new: int
    open: int
    overdue: int
    closed: int
    response: figures.Rate
    satisfaction: figures.Rate
    on_time_closure: figures.Rate
    query: dict[str, str]


@dataclass(frozen=True)
class Overview:
    title: str
    period: Period
    today: date
    tiles: list[Tile]
    rates: list[RateLine]
    average_hours: float | None
    p90_hours: float | None
    # (day, new, closed) for the last TREND_DAYS days.
    trend: list[tuple[date, int, int]]
    # (major class, new cases in the period), largest first.
    categories: list[tuple[Category, int]]
    children: list[ChildRow] = field(default_factory=list)
    children_level: str = ""
    agency: Agency | None = None
    # The area the user narrowed the overview to ("" for their whole scope).
    region: str = ""
    # Whether the tiles and rows link to the command centre's case list (staff with an area).
    lists: bool = False
    # Categories rising against the period before, and places reported again and again (`hotspots`).
    rising: list[hotspots.Rising] = field(default_factory=list)


@dataclass(frozen=True)
class Scope:
    title: str
    places: tuple[int, ...] | None  # None: an agency's work
    agency: Agency | None
    region: Place | None  # the one area shown, if the scope is one place


def scope_of(user, region_code: str) -> Scope:
    access = selectors_work.work_access(user)
    if not access.overview:
        raise PermissionDenied(_("The overview is for command centres and agencies."))
    region = None
    if region_code:
        region = Place.objects.filter(code=region_code).first()
        if region is None or region.level not in counts.COUNTED_LEVELS:
            raise PermissionDenied(_("This area is not in your regions."))
    places = counts.scope_places(user, region)
    if places is not None:
        if not places:
            raise PermissionDenied(_("This area is not in your regions."))
        shown = region
        if shown is None and len(places) == 1 and places[0] != counts.EVERYWHERE:
            shown = Place.objects.filter(pk=places[0]).first()
        if shown is not None:
            title = shown.display_name
        elif places == (counts.EVERYWHERE,):
            title = _("Every area")
        else:
            title = " · ".join(p.display_name for p in Place.objects.filter(pk__in=places).order_by("code"))
        return Scope(title, tuple(places), None, shown)
    agency_ids = access.agency_ids
    if agency_ids and not region_code:
        agency = Agency.objects.get(pk=agency_ids[0])
        return Scope(agency.name, None, agency, None)
    raise PermissionDenied(_("The overview is for staff with an area or an agency."))


def overview(
    *, user, period_key: str = "month", region: str = "", now: datetime | None = None, brief: bool = False
) -> Overview:
    """Return the overview of `user`'s scope (narrowed to the area with code `region`) for a period;
    `brief`: the counts and rates only (no trend, categories or areas), for the strip atop other pages."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    scope = scope_of(user, region)
    period = period_of(period_key, today)
    if scope.agency is not None:
        return _agency_overview(user, scope, period, today, now)
    places = list(scope.places or ())
    region_q = {"region": scope.region.code} if scope.region is not None else {}
    f = figures.figures_for(places=places, day_from=period.start, day_to=period.end)
    live = selectors.list_totals(
        user=user,
        filters=[
            CaseFilters(open_only=True, overdue_now=True, now=now, region=region_q.get("region", "")),
            CaseFilters(open_only=True, due_soon=True, now=now, region=region_q.get("region", "")),
        ],
    )
    tiles = _tiles(
        today=today,
        period=period,
        new_today=counts.total(places=places, day_from=today, day_to=today),
        new_period=counts.total(places=places, day_from=period.start, day_to=period.end),
        open_now=counts.total(places=places, states=OPEN_STATES),
        overdue=live[0],
        due_soon=live[1],
        closed=f.closed,
        base=region_q,
    )
    children, level = ([], "") if brief else _children(scope, period, now)
    return Overview(
        title=scope.title,
        period=period,
        today=today,
        tiles=tiles,
        rates=_rates(f),
        average_hours=f.average_handling_hours,
        p90_hours=f.p90_handling_hours,
        trend=[] if brief else _trend(places, today),
        categories=[] if brief else _categories(f.sums),
        children=children,
        children_level=level,
        region=region,
        lists=selectors_work.work_access(user).centre,
        rising=[]
        if brief
        else hotspots.rising_categories(places=places, start=period.start, end=period.end, sums=f.sums),
    )


def _agency_overview(user, scope: Scope, period: Period, today: date, now: datetime) -> Overview:
    agency = scope.agency
    f = figures.figures_for(places=None, day_from=period.start, day_to=period.end, agency=agency.pk)
    totals = selectors.list_totals(
        user=user,
        filters=[
            CaseFilters(agency=agency.pk, open_only=True),
            CaseFilters(agency=agency.pk, open_only=True, overdue_now=True, now=now),
            CaseFilters(agency=agency.pk, open_only=True, due_soon=True, now=now),
        ],
    )
    tiles = [
        Tile("open", _("Open"), _("Cases of the agency in a step not finished yet"), totals[0], {}),
        Tile(
            "overdue",
            _("Overdue"),
            _("Open steps past their deadline now"),
            totals[1],
            {"overdue": "on"},
            "late",
        ),
        Tile("due_soon", _("Due soon"), _due_soon_help(), totals[2], {"due_soon": "on"}, "soon"),
        Tile("dispatched", _("Dispatched"), _("Dispatches to the agency in the period"), f.dispatched, {}),
        Tile("closed", _("Closed"), _("Cases of the agency closed in the period"), f.closed, {}),
    ]
    return Overview(
        title=scope.title,
        period=period,
        today=today,
        tiles=tiles,
        rates=_rates(f),
        average_hours=f.average_handling_hours,
        p90_hours=f.p90_handling_hours,
        trend=[],
        categories=[],
        agency=agency,
    )


def _due_soon_help() -> str:
    return _("Open steps whose deadline comes within %(hours)s hours") % {
        "hours": settings.CASE_DUE_SOON_HOURS
    }


def _tiles(
    *, today: date, period: Period, new_today: int, new_period: int, open_now: int, overdue: int,
    due_soon: int, closed: int, base: dict[str, str],
) -> list[Tile]:  # fmt: skip
    every = {**base, "state": ALL_STATES}
    return [
        Tile("new_today", _("New today"), _("Cases reported today, whatever their step now"), new_today,
             {**every, "date_from": today.isoformat(), "date_to": today.isoformat()}),
        Tile("new", _("New"), _("Cases reported in the period, whatever their step now"), new_period,
             {**every, "date_from": period.start.isoformat(), "date_to": period.end.isoformat()}),
        Tile("open", _("Open"), _("Cases of the area in a step not finished yet"), open_now, dict(base)),
        Tile("overdue", _("Overdue"), _("Open steps past their deadline now"), overdue,
             {**base, "overdue": "on"}, "late"),
        Tile("due_soon", _("Due soon"), _due_soon_help(), due_soon, {**base, "due_soon": "on"}, "soon"),
        Tile("closed", _("Closed"), _("Cases closed in the period (rated, or closed unrated)"), closed,
             {**base, "closed_from": period.start.isoformat(), "closed_to": period.end.isoformat()}),
    ]  # fmt: skip


# The rates in display order: (key, label, formula in words, the Figures property).
RATES: tuple[tuple[str, Promise, Promise, str], ...] = (
    ("response", gettext_lazy("Response rate"),
     gettext_lazy("Dispatches signed by their response deadline ÷ dispatches"), "response"),
    ("resolution", gettext_lazy("Resolution rate"),
     gettext_lazy("Ratings that say solved ÷ ratings"), "resolution"),
    ("satisfaction", gettext_lazy("Satisfaction rate"),
     gettext_lazy("Ratings satisfied or basically satisfied ÷ ratings"), "satisfaction"),
    ("on_time_closure", gettext_lazy("On-time closure"),
     gettext_lazy("Cases closed resolved by their deadline ÷ cases closed"), "on_time_closure"),
    ("first_time", gettext_lazy("First-time completion"),
     gettext_lazy("Cases closed without rework, reopening or return ÷ cases closed"), "first_time"),
    ("rework", gettext_lazy("Rework rate"),
     gettext_lazy("On-site checks that sent the work back ÷ on-site checks"), "rework"),
    ("returns", gettext_lazy("Return rate"),
     gettext_lazy("Dispatches returned by the agency ÷ dispatches"), "returns"),
)  # fmt: skip


def _rates(f: figures.Figures) -> list[RateLine]:
    return [RateLine(key, str(label), str(formula), getattr(f, prop)) for key, label, formula, prop in RATES]


def _trend(places: Sequence[int], today: date) -> list[tuple[date, int, int]]:
    start = today - timedelta(days=TREND_DAYS - 1)
    new = dict(
        CaseTally.objects.filter(place_id__in=places, day__gte=start, day__lte=today)
        .order_by()
        .values_list("day")
        .annotate(s=Sum("n"))
    )
    closed = dict(
        CaseFigure.objects.filter(
            place_id__in=places, agency_id=0, user_id=0, day__gte=start, day__lte=today, key=figures.CLOSED
        )
        .order_by()
        .values_list("day")
        .annotate(s=Sum("n"))
    )
    return [
        (day, new.get(day, 0), closed.get(day, 0))
        for day in (start + timedelta(days=i) for i in range(TREND_DAYS))
    ]


def _categories(sums: dict[str, int]) -> list[tuple[Category, int]]:
    totals = figures.new_by_major(sums)
    majors = Category.objects.in_bulk(list(totals)) if totals else {}
    return sorted(
        ((majors[pk], n) for pk, n in totals.items() if pk in majors), key=lambda x: (-x[1], x[0].code)
    )


def _children(scope: Scope, period: Period, now: datetime) -> tuple[list[ChildRow], str]:
    """Return the rows of the next level down of the scope's one area (or its several areas)."""
    if scope.region is not None:
        children = list(Place.objects.filter(parent=scope.region).order_by("code"))
    elif scope.places and counts.EVERYWHERE not in scope.places:
        children = list(Place.objects.filter(pk__in=scope.places).order_by("code"))
    else:
        children = list(Place.objects.filter(level=Place.Level.DISTRICT).order_by("code"))
    children = [c for c in children if c.level in LEVEL_COLUMN]
    if not children:
        return [], ""
    ids = [c.pk for c in children]
    new = counts.by_place(places=ids, day_from=period.start, day_to=period.end)
    open_now = counts.by_place(places=ids, states=OPEN_STATES)
    sums = figures.by_place(places=ids, day_from=period.start, day_to=period.end, keys=figures.RATE_KEYS)
    overdue: dict[int, int] = {}
    for level in {c.level for c in children}:
        column = LEVEL_COLUMN[level]
        rows = (
            Case.objects.filter(**{f"{column}__in": [c.pk for c in children if c.level == level]})
            .filter(Q(state__in=OPEN_STATES) & overdue_q(now))
            .order_by()
            .values_list(column)
            .annotate(n=Count("id"))
        )
        overdue.update(dict(rows))
    result = []
    for child in children:
        f = figures.Figures(sums.get(child.pk, {}))
        result.append(
            ChildRow(
                place=child,
                new=new.get(child.pk, 0),
                open=open_now.get(child.pk, 0),
                overdue=overdue.get(child.pk, 0),
                closed=f.closed,
                response=f.response,
                satisfaction=f.satisfaction,
                on_time_closure=f.on_time_closure,
                query={"region": child.code},
            )
        )
    return result, children[0].get_level_display()


def ranked_children(rows: Sequence[ChildRow]) -> list[ChildRow]:
    """Return the next level down busiest first: most overdue now, then most open, then most new.

    The wall screen's ranking; ties keep the order of the codes, so a refresh never shuffles equal rows.
    """
    return sorted(rows, key=lambda r: (-r.overdue, -r.open, -r.new, r.place.code))


def as_json(o: Overview) -> dict[str, Any]:
    """The overview as the API returns it (rates as fractions, null when there is nothing to divide by)."""

    def rate(r: figures.Rate) -> dict[str, Any]:
        return {"value": r.value, "part": r.part, "whole": r.whole}

    return {
        "title": o.title,
        "region": o.region,
        "agency": o.agency.code if o.agency is not None else None,
        "period": {"key": o.period.key, "start": o.period.start, "end": o.period.end},
        "counts": {t.key: int(t.value) for t in o.tiles},
        "counts_exact": {t.key: getattr(t.value, "exact", True) for t in o.tiles},
        "rates": {r.key: rate(r.rate) for r in o.rates},
        "handling_hours": {"average": o.average_hours, "p90": o.p90_hours},
        "trend": [{"day": d, "new": n, "closed": c} for d, n, c in o.trend],
        "categories": [{"code": c.code, "name": c.display_name, "new": n} for c, n in o.categories],
        "rising": [
            {"code": r.category.code, "name": r.category.display_name, "new": r.now, "before": r.before}
            for r in o.rising
        ],
        "children": [
            {
                "code": row.place.code,
                "name": row.place.display_name,
                "new": row.new,
                "open": row.open,
                "overdue": row.overdue,
                "closed": row.closed,
                "response": rate(row.response),
                "satisfaction": rate(row.satisfaction),
                "on_time_closure": rate(row.on_time_closure),
            }
            for row in o.children
        ],
    }


# The repeat locations of the last days are found again at most this often per user and area: over a
# city's month of cases (42,000 at 1,000,000 cases in two years) they take a few hundred milliseconds,
# and they change little in minutes. Pages and the API say when they were found.
SPOTS_CACHE_SECONDS = 300
# A window that ended before now changes only when its cases are merged or rejected.
PAST_SPOTS_CACHE_SECONDS = 3600


@dataclass(frozen=True)
class RepeatLocations:
    spots: list[hotspots.Spot]
    as_of: datetime  # the end of the window they were found in


def repeat_locations(*, user, region: str = "", now: datetime | None = None) -> RepeatLocations:
    """Return the repeat locations of `user`'s scope (narrowed to `region`), under the overview's access
    rule: read apart from the overview (the page loads them as they come into view).

    Up to now (the last REPEAT_DAYS), found again after SPOTS_CACHE_SECONDS; up to a given `now` (a
    month's report: a window that has ended), after PAST_SPOTS_CACHE_SECONDS. Kept in the cache per
    user, area and window, so never shown to another user.
    """
    scope_of(user, region)
    region_q = selectors.region_q(region) if region else None
    key = f"civicgrid:spots:{user.pk}:{region}:{now.isoformat() if now is not None else 'live'}"
    found = cache.get(key)
    if found is None:
        until = now or timezone.now()
        found = RepeatLocations(hotspots.repeat_spots(user=user, region_q=region_q, now=until), until)
        cache.set(key, found, SPOTS_CACHE_SECONDS if now is None else PAST_SPOTS_CACHE_SECONDS)
    return found


def spots_json(spots: list[hotspots.Spot]) -> list[dict[str, Any]]:
    return [
        {
            "lon": round(spot.lon, 6),
            "lat": round(spot.lat, 6),
            "address": spot.address,
            "cases": [c.number for c in spot.cases],
        }
        for spot in spots
    ]
