"""The monthly report a command centre hands to its leaders: one month of a scope against the month before.

Read by the printable page (`GET /cases/work/report/monthly/`), the workbook (`monthly_workbook`,
`GET /cases/work/report/monthly.xlsx`) and `GET /api/v1/cases/monthly-report`: one `MonthlyReport`,
three renderings. Every figure is one already defined elsewhere, read the same way:

- volumes: new cases from the kept counts (`counts`, as the overview's "New"), dispatches and closings
  from the kept figures (`figures`); "still open" and "overdue now" are of today, not of the month;
- every rate of `figures` with the month before and the change in percentage points, the handling time
  (average, 90th percentile) and the composite score of `rankings.score` with the month's own weights;
- the rankings of every kind the user may open (`rankings.ranking`, their whole scope);
- new cases per major and minor class (the kept `c:` facts) against the month before, with shares;
- per agency, the agency's own figures within the scope (`rankings.party_sums`);
- rising categories against the month before and repeat locations (`hotspots`).

Nothing here counts cases row by row: each part is a sum over kept rows of the month's days (a few
hundred rows per place), whatever the number of cases; the live counts are the overview's.

Who sees what: the overview's rule (`overview.scope_of`): an area's command centre its regions (or one
area within them), agency staff their agency's work; anyone else is refused (`PermissionDenied`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.accounts.models import Agency
from civicgrid.cases import counts, figures, hotspots, rankings, selectors
from civicgrid.cases import overview as ov
from civicgrid.cases.models import Category
from civicgrid.cases.selectors import CaseFilters
from civicgrid.cases.workflow import OPEN_STATES
from civicgrid.core.errors import ApplicationError

# No report is made for a month before this one (and a year such as 0001 has no month before it).
FIRST_MONTH = date(2000, 1, 1)
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")

# Every rate of `figures`, in the overview's order, and the grid workers' one after them.
RATES: tuple[tuple[str, Promise, Promise, str], ...] = (
    *ov.RATES,
    ("verification_on_time", gettext_lazy("Verification on time"),
     gettext_lazy("Verifications made by the verification deadline ÷ verifications"), "verification_on_time"),
)  # fmt: skip


def month_of(text: str, today: date) -> date:
    """Return the first day of the month `text` names ("YYYY-MM"; "" for last month).

    Refuse, with a message to show, anything else, a month not begun yet and one before FIRST_MONTH.
    """
    text = text.strip()
    if not text:
        return rankings.previous_month(rankings.month_start(today))
    match = _MONTH.fullmatch(text)
    if match is None or not 1 <= int(match[2]) <= 12:
        raise ApplicationError(
            _("“%(text)s” is not a month: give it as YYYY-MM, for example %(example)s.")
            % {
                "text": text[:20],
                "example": rankings.previous_month(rankings.month_start(today)).strftime("%Y-%m"),
            },
            code="invalid_month",
        )
    # A year before FIRST_MONTH's (0000 has no date at all) is refused as before it.
    return check_month(date(max(int(match[1]), 1), int(match[2]), 1), today)


def check_month(month: date, today: date) -> date:
    """Return the first day of `month`'s month; refuse a month not begun yet or before FIRST_MONTH."""
    first = rankings.month_start(month)
    if first > rankings.month_start(today):
        raise ApplicationError(
            _("%(month)s has not begun yet: choose this month or an earlier one.")
            % {"month": first.strftime("%Y-%m")},
            code="future_month",
        )
    if first < FIRST_MONTH:
        raise ApplicationError(
            _("There are no reports before %(month)s.") % {"month": FIRST_MONTH.strftime("%Y-%m")},
            code="invalid_month",
        )
    return first


@dataclass(frozen=True)
class Volume:
    key: str
    label: str
    help: str
    value: int
    # The month before's figure; None for a count of today (it has no month before).
    previous: int | None
    # False where a live count stopped at the list's cap (shown "1,000+").
    exact: bool = True

    @property
    def change(self) -> int | None:
        return None if self.previous is None else self.value - self.previous

    @property
    def shown(self) -> str:
        return f"{self.value:,}" + ("" if self.exact else "+")


@dataclass(frozen=True)
class RateRow:
    key: str
    label: str
    formula: str
    rate: figures.Rate
    previous: figures.Rate

    @property
    def change(self) -> float | None:
        """The change from the month before in percentage points; None unless both months have a value."""
        if self.rate.value is None or self.previous.value is None:
            return None
        return (self.rate.value - self.previous.value) * 100


@dataclass(frozen=True)
class CategoryRow:
    category: Category
    new: int
    previous: int
    # Of the month's new cases (of every category).
    share: figures.Rate
    # A major class's minor classes (empty for a minor class).
    minors: list[CategoryRow] = field(default_factory=list)

    @property
    def change(self) -> int:
        return self.new - self.previous


@dataclass(frozen=True)
class AgencyRow:
    key: int
    name: str
    figures: figures.Figures
    score: float | None


@dataclass(frozen=True)
class MonthlyReport:
    title: str
    month: date  # its first day
    last_day: date
    previous_month: date
    # The month is this month: its figures so far.
    partial: bool
    generated_at: datetime
    region: str
    agency: Agency | None
    volumes: list[Volume]
    rates: list[RateRow]
    average_hours: float | None
    previous_average_hours: float | None
    p90_hours: float | None
    previous_p90_hours: float | None
    score: float | None
    previous_score: float | None
    weights: dict[str, int]
    rankings: list[rankings.Ranking]
    categories: list[CategoryRow]
    new_total: int  # new cases of every category (the shares' whole)
    previous_new_total: int
    agencies: list[AgencyRow]
    rising: list[hotspots.Rising]
    spots: list[hotspots.Spot]
    # The end of the 30 days the repeat locations were looked for in.
    spots_until: date

    @property
    def score_change(self) -> float | None:
        if self.score is None or self.previous_score is None:
            return None
        return self.score - self.previous_score


def monthly_report(*, user, month: date, region: str = "", now: datetime | None = None) -> MonthlyReport:
    """Return the report of `user`'s scope (narrowed to the area with code `region`) for `month`'s month.

    1. Refuse who may not see the overview, an area outside the user's regions, a month not begun yet.
    2. Read the month's and the month before's kept sums once each; every rate, volume and category
       count of both months comes from them (and the kept counts, for new cases).
    3. Add the live counts (overdue now, still open), the rankings, the agencies and the hotspots.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    scope = ov.scope_of(user, region)
    first = check_month(month, today)
    last = rankings.month_end(first)
    before = rankings.previous_month(first)
    before_last = rankings.month_end(before)
    agency = scope.agency
    places = None if agency is not None else list(scope.places or ())
    party = {"agency": agency.pk} if agency is not None else {}
    f = figures.figures_for(places=places, day_from=first, day_to=last, **party)
    fb = figures.figures_for(places=places, day_from=before, day_to=before_last, **party)
    weights = rankings.weights_for(first)
    whole = scope if not region else ov.scope_of(user, "")  # rankings cover the user's whole area
    spots_until = min(now, timezone.make_aware(datetime.combine(last + timedelta(days=1), time.min)))
    area = agency is None
    categories, new_total, previous_new_total = _categories(f.sums, fb.sums) if area else ([], 0, 0)
    return MonthlyReport(
        title=scope.title,
        month=first,
        last_day=last,
        previous_month=before,
        partial=first == rankings.month_start(today),
        generated_at=now,
        region=region,
        agency=agency,
        volumes=_volumes(user, scope, region, f, fb, (first, last), (before, before_last), now),
        rates=[
            RateRow(key, str(label), str(formula), getattr(f, prop), getattr(fb, prop))
            for key, label, formula, prop in RATES
        ],
        average_hours=f.average_handling_hours,
        previous_average_hours=fb.average_handling_hours,
        p90_hours=f.p90_handling_hours,
        previous_p90_hours=fb.p90_handling_hours,
        score=rankings.score(f, weights),
        previous_score=rankings.score(fb, rankings.weights_for(before)),
        weights=weights,
        rankings=[
            rankings.ranking(user=user, kind=kind, month=first, scope=whole)
            for kind in rankings.kinds_for(user, whole)
        ],
        categories=categories,
        new_total=new_total,
        previous_new_total=previous_new_total,
        agencies=_agencies(scope, f, first, last, weights),
        rising=(
            hotspots.rising_categories(
                places=places, start=first, end=last, before=(before, before_last), sums=f.sums
            )
            if area
            else []
        ),
        spots=ov.repeat_locations(user=user, region=region, now=spots_until).spots if area else [],
        spots_until=timezone.localdate(spots_until - timedelta(microseconds=1)),
    )


def monthly_report_for(*, user, month: str, region: str = "", now: datetime | None = None) -> MonthlyReport:
    """Return `monthly_report` of the month `month` names ("YYYY-MM"; "" for last month), as the page,
    the workbook and the API ask for it: those who may not see the report are refused before a
    malformed month is."""
    now = now or timezone.now()
    ov.scope_of(user, region)
    return monthly_report(user=user, month=month_of(month, timezone.localdate(now)), region=region, now=now)


def _volumes(
    user, scope: ov.Scope, region: str, f: figures.Figures, fb: figures.Figures,
    month: tuple[date, date], before: tuple[date, date], now: datetime,
) -> list[Volume]:  # fmt: skip
    closed_late = f.closed - f.on_time_closure.part
    closed_late_before = fb.closed - fb.on_time_closure.part
    dispatched = Volume(
        "dispatched", _("Dispatched"), _("Dispatches to agencies in the month"), f.dispatched, fb.dispatched
    )
    closed = Volume(
        "closed", _("Closed"), _("Cases closed in the month (rated, or closed unrated)"), f.closed, fb.closed
    )
    late = Volume(
        "closed_late",
        _("Closed late"),
        _("Cases closed in the month resolved after their deadline"),
        closed_late,
        closed_late_before,
    )
    if scope.agency is not None:
        open_now, overdue = selectors.list_totals(
            user=user,
            filters=[
                CaseFilters(agency=scope.agency.pk, open_only=True),
                CaseFilters(agency=scope.agency.pk, open_only=True, overdue_now=True, now=now),
            ],
        )
        return [
            dispatched,
            closed,
            late,
            Volume("open_now", _("Open now"), _("Cases of the agency in a step not finished yet, today"),
                   int(open_now), None, open_now.exact),
            Volume("overdue_now", _("Overdue now"), _("Open steps past their deadline, today"),
                   int(overdue), None, overdue.exact),
        ]  # fmt: skip
    places = list(scope.places or ())
    (overdue,) = selectors.list_totals(
        user=user, filters=[CaseFilters(open_only=True, overdue_now=True, now=now, region=region)]
    )
    return [
        Volume("new", _("New"), _("Cases reported in the month"),
               counts.total(places=places, day_from=month[0], day_to=month[1]),
               counts.total(places=places, day_from=before[0], day_to=before[1])),
        dispatched,
        closed,
        late,
        Volume("still_open", _("Still open"), _("Of the month's new cases, those in a step not finished yet, today"),
               counts.total(places=places, states=OPEN_STATES, day_from=month[0], day_to=month[1]),
               counts.total(places=places, states=OPEN_STATES, day_from=before[0], day_to=before[1])),
        Volume("overdue_now", _("Overdue now"), _("Open steps of the area past their deadline, today"),
               int(overdue), None, overdue.exact),
    ]  # fmt: skip


def _categories(sums: dict[str, int], before: dict[str, int]) -> tuple[list[CategoryRow], int, int]:
    """Return the major classes with new cases in either month (most this month first), each with its
    minor classes, and the new cases of every category in each month."""
    now_by = figures.new_by_category(sums)
    before_by = figures.new_by_category(before)
    total, total_before = sum(now_by.values()), sum(before_by.values())
    found = Category.objects.in_bulk(list(now_by.keys() | before_by.keys()))
    majors = Category.objects.in_bulk({c.parent_id or c.pk for c in found.values()})
    minors: dict[int, list[CategoryRow]] = {}
    for pk, category in found.items():
        if category.parent_id is None:
            continue  # a case filed under a major class directly counts in its major class's row alone
        row = CategoryRow(
            category, now_by.get(pk, 0), before_by.get(pk, 0), figures.Rate(now_by.get(pk, 0), total)
        )
        minors.setdefault(category.parent_id, []).append(row)
    rows = []
    for pk, major in majors.items():
        mine = [c for c in found.values() if (c.parent_id or c.pk) == pk]
        n = sum(now_by.get(c.pk, 0) for c in mine)
        rows.append(
            CategoryRow(
                major,
                n,
                sum(before_by.get(c.pk, 0) for c in mine),
                figures.Rate(n, total),
                sorted(minors.get(pk, []), key=_busiest),
            )
        )
    return sorted(rows, key=_busiest), total, total_before


def _busiest(row: CategoryRow) -> tuple:
    return (-row.new, -row.previous, row.category.code)


def _agencies(
    scope: ov.Scope, f: figures.Figures, first: date, last: date, weights: dict[str, int]
) -> list[AgencyRow]:
    """Return each agency's own figures of the month within the scope, the most dispatches first."""
    if scope.agency is not None:
        return [AgencyRow(scope.agency.pk, scope.agency.name, f, rankings.score(f, weights))]
    sums = rankings.party_sums(scope, "agency", first, last)
    names = dict(Agency.objects.filter(pk__in=list(sums)).values_list("pk", "name"))
    rows = [
        AgencyRow(pk, names.get(pk, str(pk)), figures.Figures(s), rankings.score(figures.Figures(s), weights))
        for pk, s in sums.items()
    ]
    return sorted(rows, key=lambda r: (-r.figures.dispatched, -r.figures.closed, r.name))


# Of a long ranking (a city's villages or grid workers) the report shows the first and the last
# units; the whole one is the rankings page's and API's (and the workbook's).
RANKED_HEAD = 10
RANKED_TAIL = 5


def shown(entries: list[rankings.Entry]) -> list[rankings.Entry]:
    """Return the units of a ranking the report shows: all of a short one, the head and tail of a long one."""
    if len(entries) <= RANKED_HEAD + RANKED_TAIL:
        return entries
    return entries[:RANKED_HEAD] + entries[-RANKED_TAIL:]


def as_json(r: MonthlyReport) -> dict[str, Any]:
    """The report as the API returns it: rates as fractions (null when there is nothing to divide by),
    changes of rates in percentage points."""

    def rate(x: figures.Rate) -> dict[str, Any]:
        return {"value": x.value, "part": x.part, "whole": x.whole}

    def category(row: CategoryRow) -> dict[str, Any]:
        return {
            "code": row.category.code,
            "name": row.category.display_name,
            "new": row.new,
            "previous": row.previous,
            "change": row.change,
            "share": row.share.value,
        }

    return {
        "title": r.title,
        "month": r.month.strftime("%Y-%m"),
        "previous_month": r.previous_month.strftime("%Y-%m"),
        "partial": r.partial,
        "region": r.region,
        "agency": r.agency.code if r.agency is not None else None,
        "generated_at": r.generated_at,
        "volumes": {
            v.key: {"value": v.value, "previous": v.previous, "change": v.change, "exact": v.exact}
            for v in r.volumes
        },
        "rates": {
            row.key: {"now": rate(row.rate), "previous": rate(row.previous), "change": row.change}
            for row in r.rates
        },
        "handling_hours": {
            "average": r.average_hours,
            "p90": r.p90_hours,
            "previous_average": r.previous_average_hours,
            "previous_p90": r.previous_p90_hours,
        },
        "score": {
            "value": r.score,
            "previous": r.previous_score,
            "change": r.score_change,
            "weights": r.weights,
        },
        "rankings": [
            {
                "kind": ranking.kind,
                "total": len(ranking.entries),
                "as_of": ranking.as_of,
                "entries": [{**e.as_json(), "rank_change": e.rank_change} for e in shown(ranking.entries)],
            }
            for ranking in r.rankings
        ],
        "categories": {
            "new": r.new_total,
            "previous": r.previous_new_total,
            "majors": [
                {**category(row), "minors": [category(m) for m in row.minors]} for row in r.categories
            ],
        },
        "agencies": [
            {
                "key": a.key,
                "name": a.name,
                "dispatched": a.figures.dispatched,
                "closed": a.figures.closed,
                "score": a.score,
                "rates": {
                    key: rate(getattr(a.figures, key))
                    for key in ("response", "returns", "resolution", "satisfaction", "on_time_closure")
                },
            }
            for a in r.agencies
        ],
        "rising": [
            {"code": x.category.code, "name": x.category.display_name, "new": x.now, "before": x.before}
            for x in r.rising
        ],
        "repeat_locations": ov.spots_json(r.spots),
    }
