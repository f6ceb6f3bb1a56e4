"""The town's co-governance figures for a period (a month, a quarter, or days chosen), village by village:

- meetings held (their day in the period);
- decisions done on time: of the decisions due in the period (and not dropped), those done by their
  due day (`done_at`'s local day on or before `due_on`);
- matters of the task board claimed, completed (by the claimant) and verified in the period, by the
  village they serve (town-wide matters apart);
- support per pairing in the period: visits, funds and loans (yuan), matters taken up.

Six queries whatever the town's size: its villages, then one GROUP BY each through the town indexes
of `models.py` (gov_meeting_town_idx, gov_decision_town_idx, gov_matter_town_idx, gov_pairing_town_idx
then gov_support_pairing_idx). Who may read them: `access.can_view_figures`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.core.errors import PermissionDenied, invalid
from civicgrid.core.scopes import is_root, scopes
from civicgrid.governance import access
from civicgrid.governance.models import Decision, Matter, Meeting, Pairing, SupportRecord
from civicgrid.governance.selectors_pairings import SUPPORT_SUMS, Totals, day_start, totals_of
from civicgrid.places.models import Place

PERIOD_KINDS = ("month", "quarter", "custom")
# A custom period is at most this long (a year and a day: a leap year's).
MAX_DAYS = 366
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
TOWN_DEPTH = Place.LEVEL_ORDER.index("town")
_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)


@dataclass(frozen=True)
class Period:
    """The days `start`..`end` (both included) of a month, a quarter or a custom choice."""

    kind: str
    start: date
    end: date

    @property
    def key(self) -> str:
        """The period as its page's query parameter's value: 2026-05, 2026-Q2 or 2026-05-01..2026-06-15."""
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    @property
    def label(self) -> str:
        if self.kind == "month":
            return _("%(year)s-%(month)02d") % {"year": self.start.year, "month": self.start.month}
        if self.kind == "quarter":
            return _("Q%(quarter)s %(year)s") % {
                "quarter": (self.start.month - 1) // 3 + 1,
                "year": self.start.year,
            }
        return f"{self.start.isoformat()} – {self.end.isoformat()}"

    def previous(self) -> Period | None:
        if self.kind == "month":
            return month_period((self.start - timedelta(days=1)).replace(day=1))
        if self.kind == "quarter":
            return quarter_period(self.start - timedelta(days=1))
        return None

    def next(self) -> Period | None:
        if self.kind == "month":
            return month_period(self.end + timedelta(days=1))
        if self.kind == "quarter":
            return quarter_period(self.end + timedelta(days=1))
        return None


def month_period(day: date) -> Period:
    start = day.replace(day=1)
    return Period("month", start, (start + timedelta(days=32)).replace(day=1) - timedelta(days=1))


def quarter_period(day: date) -> Period:
    start = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    end = (start + timedelta(days=95)).replace(day=1) - timedelta(days=1)
    return Period("quarter", start, end)


def period_of(
    kind: str = "month",
    *,
    month: str = "",
    quarter: str = "",
    since: date | None = None,
    until: date | None = None,
    today: date | None = None,
) -> Period:
    """The period a page or API call asks for: `month` "2026-05", `quarter` "2026-Q2", or the days
    `since`..`until`; the current month or quarter when the value is left out. Refuses (field errors)
    a malformed value and a custom period that is backwards or longer than a year."""
    today = today or timezone.localdate()
    if kind == "quarter":
        if not quarter:
            return quarter_period(today)
        found = _QUARTER.match(quarter.strip())
        if not found or not 2000 <= int(found.group(1)) <= 2100:
            raise invalid({"quarter": _("Enter a quarter such as 2026-Q2.")})
        return quarter_period(date(int(found.group(1)), int(found.group(2)) * 3 - 2, 1))
    if kind == "custom":
        errors = {}
        if since is None:
            errors["since"] = _("Enter the first day.")
        if until is None:
            errors["until"] = _("Enter the last day.")
        if since and until and until < since:
            errors["until"] = _("The last day cannot come before the first.")
        elif since and until and (until - since).days >= MAX_DAYS:
            errors["until"] = _("Choose at most a year.")
        if errors:
            raise invalid(errors)
        return Period("custom", since, until)
    if kind != "month":
        raise invalid({"period": _("Choose a month, a quarter or the days.")})
    if not month:
        return month_period(today)
    found = _MONTH.match(month.strip())
    if not found or not 1 <= int(found.group(2)) <= 12 or not 2000 <= int(found.group(1)) <= 2100:
        raise invalid({"month": _("Enter a month such as 2026-05.")})
    return month_period(date(int(found.group(1)), int(found.group(2)), 1))


@dataclass
class Row:
    """The figures of one village (or of the town-wide matters, `place` None, or the town's total)."""

    place: Place | None
    meetings_held: int = 0
    decisions_due: int = 0
    decisions_on_time: int = 0
    matters_claimed: int = 0
    matters_completed: int = 0
    matters_verified: int = 0

    @property
    def on_time_percent(self) -> float | None:
        """Decisions done on time per hundred due (None when none was due)."""
        if not self.decisions_due:
            return None
        return round(100 * self.decisions_on_time / self.decisions_due, 1)

    def add(self, other: Row) -> None:
        self.meetings_held += other.meetings_held
        self.decisions_due += other.decisions_due
        self.decisions_on_time += other.decisions_on_time
        self.matters_claimed += other.matters_claimed
        self.matters_completed += other.matters_completed
        self.matters_verified += other.matters_verified


@dataclass(frozen=True)
class PairingRow:
    """A pairing that ran during the period and what it gave then."""

    pairing: Pairing
    totals: Totals


@dataclass
class TownFigures:
    town: Place
    period: Period
    villages: list[Row]
    town_wide: Row
    total: Row
    pairings: list[PairingRow] = field(default_factory=list)
    support: Totals = field(default_factory=Totals)


def town_figures(user, town: Place, period: Period) -> TownFigures:
    """The figures of `town` and its villages over `period` (see the module's text). Refused to a
    viewer `access.can_view_figures` turns away."""
    if town.level != Place.Level.TOWN:
        raise invalid({"town": _("Choose a town or street.")})
    if not access.can_view_figures(user, town):
        raise PermissionDenied(_("You may not read the figures of this town."))
    start, end = period.start, period.end
    after_end = day_start(end + timedelta(days=1))
    villages = list(Place.objects.filter(parent=town, level=Place.Level.VILLAGE).order_by("code"))
    rows: dict[int | None, Row] = {v.pk: Row(v) for v in villages}
    town_wide = Row(None)

    def row(village_id: int | None) -> Row:
        return rows.get(village_id, town_wide) if village_id is not None else town_wide

    held = (
        Meeting.objects.filter(
            town=town, state=Meeting.State.HELD, starts_at__gte=day_start(start), starts_at__lt=after_end
        )
        .order_by()
        .values("village_id")
        .annotate(n=Count("id"))
    )
    for found in held:
        row(found["village_id"]).meetings_held += found["n"]

    # Dropped decisions are no longer owed: they count neither way.
    due = (
        Decision.objects.filter(
            town=town,
            state__in=[Decision.State.OPEN, Decision.State.DONE],
            due_on__gte=start,
            due_on__lte=end,
        )
        .order_by()
        .values("meeting__village_id")
        .annotate(
            due=Count("id"),
            on_time=Count("id", filter=Q(state=Decision.State.DONE, done_at__date__lte=F("due_on"))),
        )
    )
    for found in due:
        target = row(found["meeting__village_id"])
        target.decisions_due += found["due"]
        target.decisions_on_time += found["on_time"]

    def within(name: str) -> Q:
        return Q(**{f"{name}__gte": day_start(start), f"{name}__lt": after_end})

    matters = (
        Matter.objects.filter(town=town)
        .filter(within("claimed_at") | within("completed_at") | within("verified_at"))
        .order_by()
        .values("village_id")
        .annotate(
            claimed=Count("id", filter=within("claimed_at")),
            completed=Count("id", filter=within("completed_at")),
            verified=Count("id", filter=within("verified_at")),
        )
    )
    for found in matters:
        target = row(found["village_id"])
        target.matters_claimed += found["claimed"]
        target.matters_completed += found["completed"]
        target.matters_verified += found["verified"]

    total = Row(town)
    for r in [*rows.values(), town_wide]:
        total.add(r)

    pairings = list(
        Pairing.objects.filter(town=town, starts_on__lte=end)
        .exclude(ends_on__lt=start)
        .select_related("village", "agency")
        .order_by("village__code", "kind", "partner_name", "id")
    )
    given = {
        found["pairing_id"]: totals_of(found)
        for found in SupportRecord.objects.filter(pairing__town=town, on__gte=start, on__lte=end)
        .order_by()
        .values("pairing_id")
        .annotate(**SUPPORT_SUMS)
    }
    pairing_rows = [PairingRow(p, given.get(p.pk, Totals())) for p in pairings]
    support = Totals(
        visits=sum(t.visits for t in given.values()),
        funds=sum((t.funds for t in given.values()), Decimal("0.00")),
        loans=sum((t.loans for t in given.values()), Decimal("0.00")),
        matters=sum(t.matters for t in given.values()),
        records=sum(t.records for t in given.values()),
    )
    return TownFigures(
        town=town,
        period=period,
        villages=[rows[v.pk] for v in villages],
        town_wide=town_wide,
        total=total,
        pairings=pairing_rows,
        support=support,
    )


def figure_towns(user) -> list[Place]:
    """The towns whose figures `user` may read, for the page's choice (capped at 200, in code order)."""
    if is_root(user):
        return list(Place.objects.filter(level=Place.Level.TOWN).order_by("code")[:200])
    where = Q(pk__in=[])
    for s in scopes(user):
        if s.place is None:
            continue
        if s.place.depth >= TOWN_DEPTH:
            where |= Q(code=s.place.code[: Place.CODE_LENGTH["town"]])
        else:
            where |= Q(code__startswith=s.place.scope_prefix)
    towns = Place.objects.filter(where, level=Place.Level.TOWN).order_by("code")[:200]
    return [t for t in towns if access.can_view_figures(user, t)]
