"""Reads of cases, always through the user's scope (civicgrid.cases.access.scope_cases)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Exists, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.accounts.models import Agency
from civicgrid.cases import access, categories, counts, search
from civicgrid.cases.models import TODO_KINDS, Case, Category, NoticePreference, Notification
from civicgrid.cases.workflow import NO_DEADLINE_STATES, OPEN_STATES, STATES, work_kinds
from civicgrid.core import scopes as core_scopes
from civicgrid.core.errors import NotFound
from civicgrid.lib import keyset
from civicgrid.places import access as place_access
from civicgrid.places.models import Place
from civicgrid.places.services import code_ancestors

S = Case.State
# Open states whose deadline can pass (the sweep marks them overdue).
DEADLINE_STATES = tuple(s for s in OPEN_STATES if s not in NO_DEADLINE_STATES)


@dataclass(frozen=True)
class Queue:
    key: str
    label: str
    states: tuple[str, ...]
    # Actor kinds (workflow.py) whose work this queue is.
    kinds: frozenset[str]
    extra: dict = field(default_factory=dict)


def _in_queue(key: str) -> tuple[str, ...]:
    # The states whose holder works them in this queue (`workflow.STATES`).
    return tuple(state for state, facts in STATES.items() if facts.queue == key)


QUEUES = [
    Queue("verify", gettext_lazy("To verify"), _in_queue("verify"), frozenset({"grid"})),
    Queue("decide", gettext_lazy("Accepted, to handle"), _in_queue("decide"), frozenset({"grid"})),
    Queue("check", gettext_lazy("To check on site"), _in_queue("check"), frozenset({"grid"})),
    Queue("village", gettext_lazy("At the village"), _in_queue("village"), frozenset({"village"})),
    Queue("dispatch", gettext_lazy("To dispatch"), _in_queue("dispatch"), frozenset({"town"})),
    # Agencies' requests wait on the town while the case stays in progress at the agency.
    Queue("requests", gettext_lazy("Requests to decide"), (S.IN_PROGRESS,), frozenset({"town"}), {"pending": True}),
    # Reports from outside every grid, verified by the region they landed in.
    Queue("unrouted", gettext_lazy("Unrouted"), _in_queue("verify"), frozenset({"village", "town"}), {"routed": False}),
    Queue("sign", gettext_lazy("To sign for"), _in_queue("sign"), frozenset({"agency"})),
    Queue("in_progress", gettext_lazy("In progress"), _in_queue("in_progress"), frozenset({"agency"})),
    Queue("rate", gettext_lazy("To rate"), _in_queue("rate"), frozenset({"reporter", "follow_up"})),
]  # fmt: skip
QUEUE_BY_KEY = {q.key: q for q in QUEUES}


def _with_related(qs: QuerySet[Case]) -> QuerySet[Case]:
    return qs.select_related("category", "grid", "village", "town", "lead_agency")


@dataclass
class CaseFilters:
    queue: str = ""
    state: str = ""
    category: str = ""  # a category code (major or minor)
    region: str = ""  # a place code: the case's grid, village, town or district
    source: str = ""
    date_from: date | None = None
    date_to: date | None = None
    overdue: bool | None = None
    text: str = ""
    agency: int | None = None
    mine: bool = False  # only cases the user reported
    # What the work lists add (`selectors_work`): only open cases; only steps overdue now (flagged by
    # the sweep or past due since, as of `now`); any of these states; these lead or co-handling agencies.
    open_only: bool = False
    overdue_now: bool = False
    # Only open steps whose deadline falls within CASE_DUE_SOON_HOURS from `now` (not overdue yet).
    due_soon: bool = False
    # Only cases closed from / to these local days (the overview's "closed" figure).
    closed_from: date | None = None
    closed_to: date | None = None
    now: datetime | None = None
    states: tuple[str, ...] = ()
    lead_agencies: tuple[int, ...] = ()
    co_agencies: tuple[int, ...] = ()


_FILTER_FIELDS = frozenset(f.name for f in fields(CaseFilters)) - {"now"}

# The two orders of case lists (`list_order`), each with its keyset (`civicgrid.lib.keyset`).
# Open cases, the most urgent first: overdue, then by step deadline (none last), then newest. A set
# bounded by the open cases of the scope, read through the (place, state) indexes and sorted.
URGENCY = keyset.Order(
    "u",
    (
        keyset.Column("is_overdue", "bool", descending=True),
        keyset.Column("step_due_at", "time", nullable=True),
        keyset.Column("id", "int", descending=True),
    ),
)
# Every step, newest first by id (ids follow the time of reporting): the keyset walks the primary key
# (or a (place, state) index for one state) from the cursor, whatever the size of the table.
NEWEST = keyset.Order("n", (keyset.Column("id", "int", descending=True),))

# List totals are exact up to here; beyond, a list says "1,000+" (`list_total`).
LIST_TOTAL_CAP = 1000


class Total(int):
    """How many items a list holds: an int, exact up to a cap; beyond it `exact` is False and the value
    is the cap (shown "1,000+"). Compares and counts like the number it is."""

    exact: bool

    def __new__(cls, n: int, exact: bool = True) -> Total:
        value = super().__new__(cls, n)
        value.exact = exact
        return value

    def __repr__(self) -> str:
        return f"Total({int(self)}, exact={self.exact})"

    def __str__(self) -> str:
        return self.shown if self.exact else f"{self.shown}+"

    @classmethod
    def capped(cls, found: int, cap: int | None = None) -> Total:
        """Return the total of a count read up to `cap` + 1 rows: exact up to the cap, else the cap."""
        cap = LIST_TOTAL_CAP if cap is None else cap
        return cls(min(found, cap), found <= cap)

    @property
    def n(self) -> int:
        return int(self)

    @property
    def shown(self) -> str:
        return f"{int(self):,}"


def open_only(f: CaseFilters) -> bool:
    """Return whether the filters keep open cases only (then the list sorts by urgency)."""
    if f.open_only or f.queue or f.overdue or f.overdue_now or f.due_soon:
        return True
    if f.state:
        return f.state in OPEN_STATES
    return bool(f.states) and set(f.states) <= set(OPEN_STATES)


def list_order(f: CaseFilters) -> keyset.Order:
    """Return the order of the list the filters make: urgency for open cases, newest first otherwise."""
    return URGENCY if open_only(f) else NEWEST


def overdue_q(now: datetime) -> Q:
    """Return the condition "this step is overdue now": flagged by the sweep, or past due since.

    The sweep runs every few minutes; lists must not show a passed deadline as on time meanwhile.
    """
    return Q(is_overdue=True) | Q(step_due_at__lt=now, state__in=DEADLINE_STATES)


def due_soon_q(now: datetime) -> Q:
    """Return the condition "this step's deadline is within CASE_DUE_SOON_HOURS, and not passed"."""
    return Q(
        state__in=DEADLINE_STATES,
        is_overdue=False,
        step_due_at__gte=now,
        step_due_at__lt=now + timedelta(hours=settings.CASE_DUE_SOON_HOURS),
    )


def case_list(*, user, filters: CaseFilters | None = None) -> QuerySet[Case]:
    """Return the cases `user` may see, filtered, in the list's order (`list_order`), with what lists
    show joined in.

    Every filter is one indexed column or a narrowing of the rows the scope's index reads: open cases
    as `state IN (open states)` (never `NOT state IN (...)`, which no index serves), a category as
    the ids of its family, a region as the one case column of its level, an agency by an id subquery.
    """
    f = filters or CaseFilters()
    qs = access.reported_by(user) if f.mine else access.scope_cases(user, listing=True)
    return _narrowed(user, qs, f)


def _narrowed(user, qs: QuerySet[Case], f: CaseFilters) -> QuerySet[Case]:
    """Return `case_list`'s cases of `qs` (the user's scope, or a part of it)."""
    if f.queue:
        queue = QUEUE_BY_KEY.get(f.queue)
        if queue is None:
            return qs.none()
        qs = _queue_filter(user, qs, queue)
    if f.state:
        qs = qs.filter(state=f.state)
    if f.states:
        qs = qs.filter(state__in=f.states)
    if open_only(f) and not (f.queue or f.state or f.states):
        qs = qs.filter(state__in=OPEN_STATES)
    if f.category:
        qs = qs.filter(category_id__in=categories.family_ids(f.category))
    if f.region:
        qs = qs.filter(region_q(f.region))
    if f.source:
        qs = qs.filter(source=f.source)
    if f.date_from:
        qs = qs.filter(created_at__gte=timezone.make_aware(datetime.combine(f.date_from, time.min)))
    if f.date_to:
        qs = qs.filter(created_at__lte=timezone.make_aware(datetime.combine(f.date_to, time.max)))
    if f.overdue is not None:
        qs = qs.filter(is_overdue=f.overdue)
    if f.overdue_now:
        qs = qs.filter(overdue_q(f.now or timezone.now()))
    if f.due_soon:
        qs = qs.filter(due_soon_q(f.now or timezone.now()))
    if f.closed_from or f.closed_to:
        qs = qs.filter(state=Case.State.CLOSED)
        if f.closed_from:
            qs = qs.filter(closed_at__gte=timezone.make_aware(datetime.combine(f.closed_from, time.min)))
        if f.closed_to:
            qs = qs.filter(closed_at__lte=timezone.make_aware(datetime.combine(f.closed_to, time.max)))
    if f.agency:
        qs = qs.filter(Q(lead_agency_id=f.agency) | access.co_handled([f.agency], drive=True))
    if f.lead_agencies:
        qs = qs.filter(lead_agency_id__in=f.lead_agencies)
    if f.co_agencies:
        qs = qs.filter(access.co_handled(f.co_agencies, drive=True))
    qs = search.filter_cases(qs, f.text)
    return _with_related(qs).order_by(*list_order(f).order_by())


def _joined_page(page: QuerySet[Case]) -> list[Case]:
    """Return the cases of a sliced page of an urgency list with what lists show joined in.

    The open cases of a scope are sorted to find a page; joining the places and category to every
    one of them before the sort (as one query would) costs several times the sort itself, so the
    page's ids are found first, in a subquery of the same statement, and only those are joined.
    """
    ids = page.values("pk")
    return list(_with_related(Case.objects.filter(pk__in=ids)).order_by(*URGENCY.order_by()))


def region_q(code: str) -> Q:
    """Return the cases filed under the place with this code: its one column (a city: its districts)."""
    place = Place.objects.filter(code=code.strip()).only("pk", "code", "level").first()
    if place is None:
        return Q(pk__in=[])
    if place.level == Place.Level.CITY:
        return Q(district_id__in=access.city_district_ids(place))
    return Q(**{f"{place.level}_id": place.pk})


def case_page(
    *, user, filters: CaseFilters, cursor: str = "", offset: int = 0, size: int = 20
) -> keyset.Page:
    """Return one page of `case_list`: after `cursor` (keyset), or at `offset` for older links.

    A deep page by cursor costs what the first page costs; a scope of several parts (an agency's lead
    and co-handled cases) is read part by part and merged (`keyset.merged_page_after`). Raises
    `keyset.InvalidCursor` for a cursor that is not one of this list's order (the API answers 400;
    pages show the first page).
    """
    order = list_order(filters)
    parts = (
        list(_disjoint_lists(user, filters))
        if cursor or not offset
        else [case_list(user=user, filters=filters)]
    )
    fetch = list
    if order is URGENCY:
        parts, fetch = [part.select_related(None) for part in parts], _joined_page
    if len(parts) > 1:
        return keyset.merged_page_after(parts, order, cursor, size, fetch=fetch)
    if cursor or not offset:
        return keyset.page_after(parts[0], order, cursor, size, fetch=fetch)
    return keyset.page_at(parts[0], order, offset, size, fetch=fetch)


def list_total(*, user, filters: CaseFilters) -> Total:
    """Return how many cases a list holds: exact up to LIST_TOTAL_CAP, "1,000+" beyond (one query).

    The one place every list total (headers, tabs, the API's `count`) comes from: counting every
    matching case of a big scope grows with the table, a capped count reads at most the cap's rows.
    """
    return list_totals(user=user, filters=[filters])[0]


def list_totals(*, user, filters: Sequence[CaseFilters]) -> list[Total]:
    """Return `list_total` of several lists (a user's queues) with one statement for them all.

    Each list is answered by the kept counts where they can (`kept_counts_answer`), else counted up
    to the cap, part by part of the user's scope (`_disjoint_lists`); the capped counts of every list
    are read in one statement, one round trip instead of one per list.
    """
    totals: list[Total | None] = [None] * len(filters)
    pending: list[tuple[int, list[QuerySet[Case]]]] = []
    for i, f in enumerate(filters):
        kept = _kept_total(user, f)
        if kept is not None:
            totals[i] = Total(kept)
        else:
            pending.append((i, list(_disjoint_lists(user, f))))
    found = iter(_capped_counts([qs for _i, parts in pending for qs in parts], LIST_TOTAL_CAP + 1))
    for i, parts in pending:
        n = sum(next(found) for _part in parts)
        totals[i] = Total.capped(n)
    return [t for t in totals if t is not None]


def _capped_counts(querysets: list[QuerySet[Case]], limit: int) -> list[int]:
    """Return how many rows each queryset has, up to `limit` each, in one statement."""
    selects: list[str] = []
    params: list = []
    for qs in querysets:
        try:
            sql, qs_params = qs.order_by().values("pk")[:limit].query.sql_with_params()
        except EmptyResultSet:
            selects.append("0")
            continue
        selects.append(f"(SELECT COUNT(*) FROM ({sql}) AS counted_{len(selects)})")  # noqa: S608 - compiled
        params.extend(qs_params)
    if not selects:
        return []
    with connections[querysets[0].db].cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(selects), params)
        return [int(n) for n in cursor.fetchone()]


def _disjoint_lists(user, f: CaseFilters) -> Iterator[QuerySet[Case]]:
    """Yield `case_list` in disjoint parts, one per part of the user's scope (`access.scope_parts`).

    A scope of several parts (an agency's lead cases OR the cases it co-handles) makes the capped
    count read the table in id order until it has found the cap (on PostgreSQL a sequential scan): a
    busy agency reaches it early, a quiet one would read every case. Each part alone (a part without
    the ones before it) is read through its own index, and the parts' counts add up.
    """
    # A queue or an agency filter already narrows to one agency's lead or co-handled cases by index.
    narrowed = f.mine or f.queue or f.agency or f.lead_agencies or f.co_agencies
    parts = None if narrowed else access.scope_parts(user, listing=True, drive=True)
    if not parts or len(parts) == 1:
        yield case_list(user=user, filters=f)
        return
    qs = Case.objects.all()
    for part in parts:
        yield _narrowed(user, qs.filter(part), f)
        qs = qs.exclude(part)


# The filters the kept counts (`civicgrid.cases.counts`, per place, state and day) answer exactly.
_KEPT_FILTERS = frozenset({"region", "state", "states", "open_only", "date_from", "date_to"})


def kept_counts_answer(f: CaseFilters) -> bool:
    """Return whether the kept counts answer a list with these filters exactly: area, steps and
    dates only (any other filter set, a field added to CaseFilters too, means counting the cases).
    Used by list totals and the map's clusters."""
    default = CaseFilters()
    return all(getattr(f, name) == getattr(default, name) for name in _FILTER_FIELDS - _KEPT_FILTERS)


def _kept_total(user, f: CaseFilters) -> int | None:
    """Return the exact total of a list filtered by area, steps and dates only, from the kept counts
    (one indexed sum, however many cases match); None when other filters are set or the kept counts
    cannot say (agency staff, a person's own reports)."""
    if not kept_counts_answer(f):
        return None
    states: set[str] | None = None
    if f.state:
        states = {f.state}
    if f.states:
        states = set(f.states) if states is None else states & set(f.states)
    if f.open_only:
        states = set(OPEN_STATES) if states is None else states & set(OPEN_STATES)
    return counts.total_for(user, region=f.region, states=states, day_from=f.date_from, day_to=f.date_to)


def _queue_filter(user, qs: QuerySet[Case], queue: Queue) -> QuerySet[Case]:
    """Narrow to the queue's states and to the cases where the user holds the queue's role."""
    qs = qs.filter(state__in=queue.states)
    if queue.extra.get("pending"):
        qs = qs.exclude(pending_request="")
    if "routed" in queue.extra:
        qs = qs.filter(routed=queue.extra["routed"])
    place_ids = access.scope_place_ids(user)
    agency_ids = place_ids["agency"]
    condition = Q(pk__in=[])
    if "grid" in queue.kinds:
        condition |= Q(grid_id__in=place_ids["grid"])
        # Unrouted cases are verified by the region they landed in.
        condition |= Q(grid__isnull=True, village_id__in=place_ids["village"])
        condition |= Q(grid__isnull=True, village__isnull=True, town_id__in=place_ids["town"])
    if "village" in queue.kinds:
        condition |= Q(village_id__in=place_ids["village"])
    if "town" in queue.kinds:
        condition |= Q(town_id__in=place_ids["town"])
    if "agency" in queue.kinds:
        condition |= Q(lead_agency_id__in=agency_ids)
    if "reporter" in queue.kinds:
        condition |= Q(reporter_id=user.pk)
    if "follow_up" in queue.kinds:
        condition |= Q(village_id__in=place_ids["village"]) | Q(town_id__in=place_ids["town"])
    return qs.filter(condition)


def queues_for(user) -> list[tuple[Queue, Total]]:
    """Return the queues that are the user's work, with their totals (`list_totals`: one statement)."""
    kinds = work_kinds(user)
    queues = [queue for queue in QUEUES if queue.kinds & kinds]
    totals = list_totals(user=user, filters=[CaseFilters(queue=queue.key) for queue in queues])
    return list(zip(queues, totals, strict=True))


def queues_once(user) -> list[tuple[Queue, Total]]:
    """Return `queues_for(user)`, read once per request and kept on the user object (as its scopes are).

    The queue page's tabs, the command centre's queue links, the home page's to-do tiles and the phone
    tab bar's "to do" badge show this one figure, for one statement per request.
    """
    cached = getattr(user, "_civicgrid_queues", None)
    if cached is None:
        cached = queues_for(user)
        user._civicgrid_queues = cached
    return cached


def case_get_for_user(*, user, tracking_number: str) -> Case:
    """Return the case if `user` may see it; a case out of scope is "not found"."""
    case = _with_related(access.scope_cases(user)).filter(tracking_number=tracking_number).first()
    if case is None:
        raise NotFound(_("No such case, or it is outside your area."))
    return case


def categories_for_point(*, lon: float | None = None, lat: float | None = None) -> list[Category]:
    """Return the active minor categories a report may choose, major class joined in.

    Every category is valid in every routed grid today; when regions accept different categories,
    this is the one place that narrows the list. The list comes from this process's copy
    (`civicgrid.cases.categories`).
    """
    return categories.reportable()


# Notifications, newest first; keyset pages on (created_at, id), which the reader's indexes serve
# (`notification_user_idx`, and `notification_unread_idx` for unread ones).
NOTIFICATION_ORDER = keyset.Order(
    "t",
    (keyset.Column("created_at", "time", descending=True), keyset.Column("id", "int", descending=True)),
)
# The navigation's badge counts unread notifications up to here ("99+" beyond).
UNREAD_BADGE_CAP = 100


def notifications_for(*, user, unread_only: bool = False) -> QuerySet[Notification]:
    """Return the user's notifications (unread ones only, if asked), newest first, case joined."""
    qs = Notification.objects.filter(user=user)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.select_related("case").order_by(*NOTIFICATION_ORDER.order_by())


def notifications_page(
    *, user, unread_only: bool = False, cursor: str = "", offset: int = 0, size: int = 30
) -> keyset.Page:
    """Return one page of the user's notifications after `cursor` (or at `offset`); reads only that
    page's rows of the user's index, however many they have. Raises `keyset.InvalidCursor`."""
    qs = notifications_for(user=user, unread_only=unread_only)
    if cursor or not offset:
        return keyset.page_after(qs, NOTIFICATION_ORDER, cursor, size)
    return keyset.page_at(qs, NOTIFICATION_ORDER, offset, size)


def notifications_total(*, user, unread_only: bool = False, cap: int | None = None) -> Total:
    """Return how many notifications the user has (unread ones only, if asked), exact up to `cap`
    (LIST_TOTAL_CAP by default)."""
    cap = LIST_TOTAL_CAP if cap is None else cap
    if not getattr(user, "is_authenticated", False):
        return Total(0, True)
    qs = Notification.objects.filter(user=user)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    found = qs.order_by().values("pk")[: cap + 1].count()
    return Total.capped(found, cap)


def unread_total(user) -> Total:
    """Return how many of the user's notifications are unread, exact up to LIST_TOTAL_CAP."""
    return notifications_total(user=user, unread_only=True)


# What the bell counts of a person who chose the daily digest: to-do notices, and the digests that
# gather the rest.
BELL_KINDS_WITH_DIGEST = tuple(sorted(TODO_KINDS | {Notification.Kind.DIGEST}))


def unread_count(user) -> int:
    """Return the number of unread notifications for the navigation's badge, counted up to
    UNREAD_BADGE_CAP (at the cap the badge shows "99+").

    With the daily digest on (`NoticePreference.digest`), only to-do notices and digests count: the
    notices that only inform wait for the digest. One query either way (the preference is a
    subquery), so no page pays a query more for it.
    """
    if not getattr(user, "is_authenticated", False):
        return 0
    digest_on = NoticePreference.objects.filter(user_id=user.pk, digest=True)
    counted = Notification.objects.filter(user=user, read_at__isnull=True).filter(
        Q(kind__in=BELL_KINDS_WITH_DIGEST) | ~Exists(digest_on)
    )
    found = counted.order_by().values("pk")[: UNREAD_BADGE_CAP + 1].count()
    return Total.capped(found, UNREAD_BADGE_CAP).n


def notice_preference_for(user) -> NoticePreference:
    """Return how `user` wants to be told (an unsaved default, each notice as it comes, if never set)."""
    found = NoticePreference.objects.filter(user_id=user.pk).first()
    return found if found is not None else NoticePreference(user_id=user.pk)


def mobile_member_record(*, user) -> dict[str, int]:
    """Return a mobile grid member's own record: leads reported, accepted, hazards confirmed."""
    mine = Case.objects.filter(reporter=user, source=Case.Source.MOBILE)
    accepted = mine.exclude(state__in=[S.REPORTED, S.REJECTED, S.MERGED])
    return {
        "reported": mine.count(),
        "accepted": accepted.count(),
        "hazards": accepted.filter(
            Q(category__code__in=HAZARD_CODES) | Q(category__parent__code="E05")
        ).count(),
        "closed": mine.filter(state=S.CLOSED).count(),
    }


# Minor classes that count as safety hazards in a mobile grid member's record.
HAZARD_CODES = ("C0104", "C0501", "E0503", "E0604")


# ---------------------------------------------------------------------------------------------
# What an action may choose from (the forms offer these; `services.case_act` enforces them)


def _agencies_serving(places: list[Place]) -> QuerySet[Agency]:
    """Return the active agencies whose region is one of `places` or a region above one of them."""
    codes: set[str] = set()
    for place in places:
        codes.update([place.code, *code_ancestors(place.code, place.level)])
    return Agency.objects.filter(is_active=True, region__code__in=sorted(codes)).order_by("code")


def dispatch_agencies(*, case: Case) -> QuerySet[Agency]:
    """Return the agencies a case may be dispatched to (lead or co-handling): the active agencies
    serving its town or a region above it (all active agencies for a case outside every town)."""
    place = case.town or case.district
    if place is None:
        return Agency.objects.filter(is_active=True).order_by("code")
    return _agencies_serving([place])


def dispatch_agencies_for_user(*, user) -> QuerySet[Agency]:
    """Return the agencies a command centre may dispatch its cases to (the batch dispatch choices):
    those serving the places of the user's roles or a region above them. Each case is still checked
    against `dispatch_agencies` when it is dispatched."""
    places = [s.place for s in core_scopes.scopes(user) if s.place is not None]
    if user.is_superuser:
        return Agency.objects.filter(is_active=True).order_by("code")
    return _agencies_serving(places)


def assignable_grids(*, case: Case, user) -> QuerySet[Place]:
    """Return the grids an unrouted case may be assigned to: those of its town the user may see."""
    qs = place_access.scope_places(user).filter(level=Place.Level.GRID).order_by("code")
    if case.town_id is not None:
        town = case.town
        qs = qs.filter(code__startswith=town.scope_prefix)
    return qs
