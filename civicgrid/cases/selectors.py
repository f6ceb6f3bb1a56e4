"""Reads of cases, always through the user's scope (civicgrid.cases.access.scope_cases)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.accounts.models import Agency
from civicgrid.cases import access, categories, search
from civicgrid.cases.models import Case, Category, Notification
from civicgrid.cases.workflow import STATES, work_kinds
from civicgrid.core import scopes as core_scopes
from civicgrid.core.errors import NotFound
from civicgrid.places import access as place_access
from civicgrid.places.models import Place
from civicgrid.places.services import code_ancestors

S = Case.State


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


def case_list(*, user, filters: CaseFilters | None = None) -> QuerySet[Case]:
    """Return the cases `user` may see, filtered; newest first, with what lists show joined in."""
    f = filters or CaseFilters()
    qs = access.scope_cases(user)
    if f.mine:
        qs = qs.filter(reporter_id=user.pk)
    if f.queue:
        queue = QUEUE_BY_KEY.get(f.queue)
        if queue is None:
            return qs.none()
        qs = _queue_filter(user, qs, queue)
    if f.state:
        qs = qs.filter(state=f.state)
    if f.category:
        qs = qs.filter(Q(category__code=f.category) | Q(category__parent__code=f.category))
    if f.region:
        qs = qs.filter(
            Q(grid__code=f.region)
            | Q(village__code=f.region)
            | Q(town__code=f.region)
            | Q(district__code=f.region)
        )
    if f.source:
        qs = qs.filter(source=f.source)
    if f.date_from:
        qs = qs.filter(created_at__gte=timezone.make_aware(datetime.combine(f.date_from, time.min)))
    if f.date_to:
        qs = qs.filter(created_at__lte=timezone.make_aware(datetime.combine(f.date_to, time.max)))
    if f.overdue is not None:
        qs = qs.filter(is_overdue=f.overdue)
    if f.agency:
        qs = qs.filter(Q(lead_agency_id=f.agency) | Q(co_agencies__id=f.agency))
    qs = search.filter_cases(qs, f.text)
    return _with_related(qs).order_by("-is_overdue", "step_due_at", "-created_at", "-id")


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


def queues_for(user) -> list[tuple[Queue, int]]:
    """Return the queues that are the user's work, with their counts (one query per queue)."""
    kinds = work_kinds(user)
    result = []
    for queue in QUEUES:
        if queue.kinds & kinds:
            result.append((queue, _queue_filter(user, access.scope_cases(user), queue).count()))
    return result


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


def notifications_for(*, user, unread_only: bool = False) -> QuerySet[Notification]:
    qs = Notification.objects.filter(user=user).select_related("case")
    return qs.filter(read_at__isnull=True) if unread_only else qs


def unread_count(user) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


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
