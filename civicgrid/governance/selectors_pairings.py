"""Reads of pairings and of the people sent down to grids: lists per place and per partner, a pairing's
support over time, an envoy's activity and the cases they handled, and the grid page's panel.

Every list is scoped through `access` and bounded: keyset pages (`lib.keyset`) where a list can grow
(a town's pairings, a village's envoys, a pairing's support, an envoy's activity), a cap where it
cannot (a village's pairings, a grid's envoys). Sums and counts are one GROUP BY each, never a loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.models import Agency, User
from civicgrid.cases.models import Case, CaseEvent
from civicgrid.core.errors import NotFound
from civicgrid.core.scopes import is_signed_in, scopes
from civicgrid.governance import access
from civicgrid.governance.models import Envoy, EnvoyActivity, Matter, Pairing, SupportRecord
from civicgrid.governance.services_pairings import TAKEN_UP
from civicgrid.lib import keyset
from civicgrid.places.models import Place

# A village has a handful of pairings and a grid a handful of people sent down: shown whole, capped.
VILLAGE_PAIRINGS_CAP = 100
GRID_ENVOYS_CAP = 50
AGENCY_PAIRINGS_CAP = 200
# The cases an envoy handled, newest first, on their page.
ENVOY_CASES_CAP = 20


@dataclass(frozen=True)
class DateColumn(keyset.Column):
    """A date column of a keyset order (a support record's or an activity's day), written as its ordinal."""

    def write(self, value) -> str:
        return str(value.toordinal())

    def read(self, text: str):
        if not text.isdigit() or len(text) > 7:
            raise keyset.InvalidCursor(text)
        try:
            return date.fromordinal(int(text))
        except ValueError:
            raise keyset.InvalidCursor(text) from None


# A town's pairings village by village (the (town, kind) index finds the town's few dozen rows).
TOWN_PAIRINGS = keyset.Order("p", (keyset.Column("village_id", "int"), keyset.Column("id", "int")))
# A village's people sent down grid by grid (gov_envoy_village_idx: village, grid, id).
VILLAGE_ENVOYS = keyset.Order("e", (keyset.Column("grid_id", "int"), keyset.Column("id", "int")))
# A pairing's support and an envoy's activity, latest day first (gov_support_pairing_idx,
# gov_activity_envoy_idx).
LATEST_FIRST = (DateColumn("on", "date", descending=True), keyset.Column("id", "int", descending=True))
SUPPORT = keyset.Order("s", LATEST_FIRST)
ACTIVITY = keyset.Order("a", LATEST_FIRST)


def _current(qs: QuerySet, on: date | None = None) -> QuerySet:
    on = on or timezone.localdate()
    return qs.filter(starts_on__lte=on).exclude(ends_on__lt=on)


def day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


# --- Places --------------------------------------------------------------------------------------


def place_get(user, code: str) -> Place:
    """The place whose pairings and people sent down `user` opens; NotFound (never "forbidden", so a
    place's existence is not disclosed) when it does not exist or is not theirs."""
    place = Place.objects.select_related("parent").filter(code=(code or "").strip()[:15]).first()
    if place is None or not access.can_view_pairings_in(user, place):
        raise NotFound(_("No such place, or not in your area."))
    return place


def trail(user, place: Place) -> list[Place]:
    """The places above `place` (widest first) whose pairings the viewer opens, for the breadcrumb:
    one query (the codes above a place are its code's prefixes)."""
    codes = [place.code[: Place.CODE_LENGTH[level]] for level in Place.LEVEL_ORDER[: place.depth]]
    above = {p.code: p for p in Place.objects.filter(code__in=codes)}
    return [above[c] for c in codes if c in above and access.can_view_pairings_in(user, above[c])]


def home_place(user) -> Place | None:
    """The widest place whose pairings `user` reads (their town for a town operator, their village for
    a cadre, their district for an administrator, their grid's people sent down for grid staff), or None."""
    found = [
        s.place for s in scopes(user) if s.place is not None and access.can_view_pairings_in(user, s.place)
    ]
    return min(found, key=lambda p: (p.depth, p.code)) if found else None


def agencies_for_pairing(limit: int = 300) -> list[Agency]:
    """The active agencies a village can be paired with, by name (the form's choice)."""
    return list(Agency.objects.filter(is_active=True).order_by("name")[:limit])


def home_agency(user) -> Agency | None:
    """The agency whose pairings `user` (agency staff) follows, or None."""
    ids = sorted(access.claimable_agency_ids(user))
    return Agency.objects.filter(pk=ids[0]).first() if ids else None


@dataclass(frozen=True)
class ChildSummary:
    """A town or village below the place shown, with its current pairings and people sent down."""

    place: Place
    agency_pairings: int = 0
    finance_pairings: int = 0
    envoys: int = 0


def children_summary(user, place: Place) -> list[ChildSummary]:
    """The towns of a district, or the villages of a town, with their current pairings (by kind) and
    people sent down: three queries (the children, and one GROUP BY each through the town indexes)."""
    if place.level not in (Place.Level.DISTRICT, Place.Level.TOWN) or not access.can_view_pairings_in(
        user, place
    ):
        return []
    children = list(Place.objects.filter(parent=place).order_by("code"))
    column = "town_id" if place.level == Place.Level.DISTRICT else "village_id"
    where = Q(town__in=children) if place.level == Place.Level.DISTRICT else Q(town=place)
    pairs: dict[tuple[int, str], int] = {}
    for row in (
        _current(Pairing.objects.filter(where)).order_by().values(column, "kind").annotate(n=Count("id"))
    ):
        pairs[(row[column], row["kind"])] = row["n"]
    envoys = {
        row[column]: row["n"]
        for row in _current(Envoy.objects.filter(where)).order_by().values(column).annotate(n=Count("id"))
    }
    return [
        ChildSummary(
            place=child,
            agency_pairings=pairs.get((child.pk, Pairing.Kind.AGENCY), 0),
            finance_pairings=pairs.get((child.pk, Pairing.Kind.FINANCE), 0),
            envoys=envoys.get(child.pk, 0),
        )
        for child in children
    ]


# --- Pairings ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Totals:
    """What was given under a pairing (all its records, or those of a period)."""

    visits: int = 0
    funds: Decimal = Decimal("0.00")
    loans: Decimal = Decimal("0.00")
    matters: int = 0
    records: int = 0


SUPPORT_SUMS = {
    "visits": Count("id", filter=Q(kind=SupportRecord.Kind.VISIT)),
    "funds": Sum("amount", filter=Q(kind=SupportRecord.Kind.FUNDS)),
    "loans": Sum("amount", filter=Q(kind=SupportRecord.Kind.LOAN)),
    "matters": Count("id", filter=Q(kind=SupportRecord.Kind.MATTER)),
    "records": Count("id"),
}


CENT = Decimal("0.01")


def totals_of(row: dict) -> Totals:
    """Totals from a GROUP BY row; sums to the cent (SQLite's sums come back without their scale)."""
    return Totals(
        visits=row["visits"],
        funds=(row["funds"] or Decimal(0)).quantize(CENT),
        loans=(row["loans"] or Decimal(0)).quantize(CENT),
        matters=row["matters"],
        records=row["records"],
    )


def support_totals(pairing_ids, *, since: date | None = None, until: date | None = None) -> dict[int, Totals]:
    """Each pairing's totals (of the days `since`..`until` when given): one GROUP BY over the
    pairing's index."""
    ids = list(pairing_ids)
    if not ids:
        return {}
    qs = SupportRecord.objects.filter(pairing_id__in=ids)
    if since is not None:
        qs = qs.filter(on__gte=since)
    if until is not None:
        qs = qs.filter(on__lte=until)
    return {
        row["pairing_id"]: totals_of(row)
        for row in qs.order_by().values("pairing_id").annotate(**SUPPORT_SUMS)
    }


def _with_totals(pairings: list[Pairing]) -> list[Pairing]:
    totals = support_totals(p.pk for p in pairings)
    for p in pairings:
        p.totals = totals.get(p.pk, Totals())
    return pairings


def pairings_in_town(user, town: Place, *, kind: str = "", cursor: str = "", size: int = 50) -> keyset.Page:
    """A town's pairings (current and ended), village by village, each with its support totals: two
    queries a page. Raises InvalidCursor for a cursor of another list."""
    if not access.can_view_pairings_in(user, town):
        return keyset.Page([], "")
    qs = Pairing.objects.filter(town=town).select_related("village", "agency")
    if kind in Pairing.Kind.values:
        qs = qs.filter(kind=kind)
    page = keyset.page_after(qs.order_by(*TOWN_PAIRINGS.order_by()), TOWN_PAIRINGS, cursor, size)
    _with_totals(page.items)
    return page


def pairings_in_village(user, village: Place) -> list[Pairing]:
    """A village's pairings, current first, each with its support totals (capped; two queries)."""
    if not access.can_view_pairings_in(user, village):
        return []
    qs = Pairing.objects.filter(village=village).select_related("village", "agency")
    rows = list(qs.order_by("-starts_on", "-id")[:VILLAGE_PAIRINGS_CAP])
    today = timezone.localdate()
    rows.sort(key=lambda p: not (p.ends_on is None or p.ends_on >= today))
    return _with_totals(rows)


def pairings_of_agency(user, agency: Agency) -> list[Pairing]:
    """The pairings of an agency that `user` may see (its staff: all; region staff: those in their
    region), newest first, with their totals (capped; two queries)."""
    qs = Pairing.objects.filter(agency=agency).select_related("village", "town", "agency")
    rows = [
        p for p in qs.order_by("-starts_on", "-id")[:AGENCY_PAIRINGS_CAP] if access.can_view_pairing(user, p)
    ]
    return _with_totals(rows)


def pairing_get(user, pk: int) -> Pairing | None:
    """A pairing `user` may read, with its village, town and agency, or None."""
    pairing = Pairing.objects.select_related("village", "town", "agency").filter(pk=pk).first()
    if pairing is None or not access.can_view_pairing(user, pairing):
        return None
    return pairing


def support_page(pairing: Pairing, *, cursor: str = "", size: int = 20) -> keyset.Page:
    """A pairing's support records, latest day first, with the matter and who recorded them."""
    qs = SupportRecord.objects.filter(pairing=pairing).select_related("matter", "recorded_by")
    return keyset.page_after(qs.order_by(*SUPPORT.order_by()), SUPPORT, cursor, size)


@dataclass(frozen=True)
class MonthTotals:
    month: date
    totals: Totals


def support_by_month(pairing: Pairing, *, months: int = 12, today: date | None = None) -> list[MonthTotals]:
    """The pairing's support in each of the last `months` months (oldest first; empty months too): one
    GROUP BY over the pairing's index."""
    today = today or timezone.localdate()
    first = today.replace(day=1)
    for _n in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    rows = (
        SupportRecord.objects.filter(pairing=pairing, on__gte=first, on__lte=today)
        .annotate(month=TruncMonth("on"))
        .order_by()
        .values("month")
        .annotate(**SUPPORT_SUMS)
    )
    found = {row["month"]: totals_of(row) for row in rows}
    result = []
    month = first
    while month <= today:
        result.append(MonthTotals(month, found.get(month, Totals())))
        month = (month + timedelta(days=32)).replace(day=1)
    return result


def matters_for_support(pairing: Pairing, limit: int = 100) -> list[Matter]:
    """The task board's matters that can be recorded as taken up under `pairing`: of its village or
    town-wide, claimed (by its agency, when it has one), not recorded yet; latest deadline first."""
    qs = Matter.objects.filter(town_id=pairing.town_id, state__in=TAKEN_UP).filter(
        Q(village_id=pairing.village_id) | Q(village__isnull=True)
    )
    if pairing.agency_id is not None:
        qs = qs.filter(Q(claimant_agency_id=pairing.agency_id) | Q(claimant_agency__isnull=True))
    recorded = SupportRecord.objects.filter(pairing=pairing, matter_id=OuterRef("pk"))
    return list(qs.exclude(Exists(recorded)).order_by("-deadline", "-id")[:limit])


# --- People sent down ----------------------------------------------------------------------------


def envoys_in_village(user, village: Place, *, cursor: str = "", size: int = 50) -> keyset.Page:
    """A village's people sent down (current and past), grid by grid: one query a page
    (gov_envoy_village_idx). Raises InvalidCursor for a cursor of another list."""
    if not access.can_view_pairings_in(user, village):
        return keyset.Page([], "")
    qs = Envoy.objects.filter(village=village).select_related("grid")
    return keyset.page_after(qs.order_by(*VILLAGE_ENVOYS.order_by()), VILLAGE_ENVOYS, cursor, size)


def own_envoy(user) -> Envoy | None:
    """The person sent down whose account `user` is, in a current term (the latest), or None: one
    query (the hub's link to their own record)."""
    if not is_signed_in(user):
        return None
    return _current(Envoy.objects.filter(user_id=user.pk)).order_by("-starts_on", "-id").first()


def envoy_get(user, pk: int) -> Envoy | None:
    """A person sent down whose work `user` may read, with their grid, village and pairing, or None."""
    envoy = Envoy.objects.select_related("grid", "village", "town", "pairing", "user").filter(pk=pk).first()
    if envoy is None or not access.can_view_envoy_work(user, envoy):
        return None
    return envoy


def activity_page(envoy: Envoy, *, cursor: str = "", size: int = 20) -> keyset.Page:
    """An envoy's activity, latest day first, with the case and who recorded it."""
    qs = EnvoyActivity.objects.filter(envoy=envoy).select_related("case", "recorded_by")
    return keyset.page_after(qs.order_by(*ACTIVITY.order_by()), ACTIVITY, cursor, size)


def _term_events(envoy: Envoy) -> Q:
    """The case events the envoy's account recorded during their term in the grid."""
    where = Q(actor_id=envoy.user_id, at__gte=day_start(envoy.starts_on))
    if envoy.ends_on is not None:
        where &= Q(at__lt=day_start(envoy.ends_on + timedelta(days=1)))
    return where


def envoy_cases(envoy: Envoy, *, limit: int = ENVOY_CASES_CAP) -> list[Case]:
    """The cases of the envoy's grid on which their account recorded a step during their term, newest
    first (none for an envoy without an account).

    Read from the grid's cases (case_grid_state_idx), each checked for such a step through the events'
    case index: CaseEvent has no index by actor, and a grid's cases are a few thousand at most.
    """
    if envoy.user_id is None:
        return []
    steps = CaseEvent.objects.filter(_term_events(envoy), case_id=OuterRef("pk"))
    qs = Case.objects.filter(grid_id=envoy.grid_id).filter(Exists(steps)).select_related("category")
    return list(qs.order_by("-id")[:limit])


def cases_handled_counts(grid: Place, envoys: list[Envoy]) -> dict[int, int]:
    """How many cases of `grid` each envoy with an account handled during their term: one query
    (a count per envoy, each over its own term), whatever the number of envoys."""
    with_user = [e for e in envoys if e.user_id is not None]
    if not with_user:
        return {}
    qs = CaseEvent.objects.filter(case__grid_id=grid.pk, actor_id__in={e.user_id for e in with_user})
    counts = qs.aggregate(
        **{f"e{e.pk}": Count("case_id", distinct=True, filter=_term_events(e)) for e in with_user}
    )
    return {e.pk: counts[f"e{e.pk}"] or 0 for e in with_user}


def envoys_for_grid(user, grid: Place) -> list[Envoy]:
    """The people sent down to `grid` now, for its page: each with `activity_count` (their activity
    recorded) and `case_count` (the grid's cases they handled). Three queries; [] for a viewer who may
    not see them. Masking and links are the presenter's (`presenters_pairings.grid_envoys_panel`)."""
    if grid.level != Place.Level.GRID or not access.can_view_envoys(user, grid):
        return []
    qs = _current(Envoy.objects.filter(grid=grid)).select_related("grid")
    envoys = list(qs.order_by("kind", "name", "id")[:GRID_ENVOYS_CAP])
    if not envoys:
        return []
    activity = dict(
        EnvoyActivity.objects.filter(envoy__in=envoys)
        .order_by()
        .values("envoy_id")
        .annotate(n=Count("id"))
        .values_list("envoy_id", "n")
    )
    cases = cases_handled_counts(grid, envoys)
    for e in envoys:
        e.activity_count = activity.get(e.pk, 0)
        e.case_count = cases.get(e.pk, 0)
    return envoys


def envoys_of_pairing(pairing: Pairing) -> list[Envoy]:
    """The people sent down under a pairing (a financial institution's cadres), capped."""
    qs = Envoy.objects.filter(pairing=pairing).select_related("grid")
    return list(qs.order_by("grid__code", "name", "id")[:GRID_ENVOYS_CAP])


def account_named(username: str) -> User | None:
    """The active account with this user name (an envoy's own login), or None."""
    username = (username or "").strip()
    return User.objects.filter(username=username, is_active=True).first() if username else None


def grids_of(village: Place) -> list[Place]:
    return list(Place.objects.filter(parent=village, level=Place.Level.GRID).order_by("code"))


def villages_of(town: Place) -> list[Place]:
    return list(Place.objects.filter(parent=town, level=Place.Level.VILLAGE).order_by("code"))


def pairings_for_envoy_choice(village: Place) -> list[Pairing]:
    """The current pairings of a village an envoy may come under (a financial cadre's institution)."""
    return list(_current(Pairing.objects.filter(village=village)).order_by("kind", "partner_name")[:50])


def case_in_grid(number: str, grid: Place) -> Case | None:
    """The case with tracking number `number` in `grid`, or None."""
    number = (number or "").strip().upper()[:20]
    if not number:
        return None
    return Case.objects.filter(tracking_number=number, grid_id=grid.pk).first()
