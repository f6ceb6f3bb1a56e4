"""Reads for the staff work lists: who may open which list, counts by step, agency tabs (the map: selectors_map).

Everything starts from `cases.access.scope_cases` (directly or through `selectors.case_list`), so a list
can only ever narrow what the user may see.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from civicgrid.cases import access, categories, selectors
from civicgrid.cases.models import TERMINAL_STATES, Case, Category
from civicgrid.cases.selectors import CaseFilters, overdue_q
from civicgrid.cases.workflow import NO_DEADLINE_STATES, OPEN_STATES, work_kinds
from civicgrid.core import scopes as core_scopes
from civicgrid.core.roles import ADMIN_ROLES, Role
from civicgrid.places import access as place_access
from civicgrid.places.models import Place

S = Case.State

# Above this many places the area filter would be a wall of options; wider scopes list towns and villages.
REGION_CHOICES_LIMIT = 500


@dataclass(frozen=True)
class WorkAccess:
    """Which staff work pages a user may open (the pages still scope every case they show)."""

    queues: bool
    centre: bool
    map: bool
    dispatch: bool
    agency_ids: tuple[int, ...]

    @property
    def agency(self) -> bool:
        return bool(self.agency_ids)

    @property
    def overview(self) -> bool:
        """The overview of figures: command centres (an area's) and agencies (the agency's work)."""
        return self.centre or self.agency

    @property
    def any(self) -> bool:
        return self.queues or self.centre or self.map or self.agency


def work_access(user) -> WorkAccess:
    """Return the work pages open to `user`, from the actor kinds of their roles.

    Used by the work views to refuse, and by navigation to offer, the same pages. Batch dispatch
    is offered to town actors only; each case is still checked with `services.allowed_actions`.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return WorkAccess(False, False, False, False, ())
    kinds = work_kinds(user)
    admin = user.is_superuser or core_scopes.has_role(user, *ADMIN_ROLES)
    centre = admin or bool(kinds & {"village", "town"})
    agency_ids = tuple(
        sorted({s.agency_id for s in core_scopes.scopes(user) if s.role == Role.AGENCY_STAFF and s.agency_id})
    )
    return WorkAccess(
        queues=bool(kinds),
        centre=centre,
        map=centre or "grid" in kinds,
        dispatch="town" in kinds,
        agency_ids=agency_ids,
    )


def due_status(case: Case, now: datetime) -> str:
    """Return "overdue", "soon" (within CASE_DUE_SOON_HOURS) or "" for the case's current step."""
    if case.state in NO_DEADLINE_STATES or case.state in TERMINAL_STATES:
        return ""
    if case.is_overdue or (case.step_due_at is not None and case.step_due_at < now):
        return "overdue"
    if case.step_due_at is not None and case.step_due_at < now + timedelta(
        hours=settings.CASE_DUE_SOON_HOURS
    ):
        return "soon"
    return ""


def work_filters(filters: CaseFilters, *, open_only: bool = True, overdue_only: bool = False, now=None):
    """Return `filters` narrowed as a work list narrows them: to open (and overdue-now) cases."""
    return replace(
        filters,
        open_only=filters.open_only or open_only,
        overdue_now=filters.overdue_now or overdue_only,
        now=filters.now or now,
    )


def work_cases(
    *,
    user,
    filters: CaseFilters,
    open_only: bool = True,
    overdue_only: bool = False,
    now: datetime | None = None,
) -> QuerySet[Case]:
    """Return the cases of a work list: `case_list` narrowed to open (and overdue) cases."""
    narrowed = work_filters(filters, open_only=open_only, overdue_only=overdue_only, now=now)
    return selectors.case_list(user=user, filters=narrowed)


@dataclass(frozen=True)
class StepCount:
    state: str
    label: str
    count: int
    overdue: int


def step_counts(*, user, now: datetime | None = None) -> list[StepCount]:
    """Return the open cases in scope per state, with how many are overdue (one query).

    It reads the open cases of the scope only, through the (place, state) indexes (`state IN (open
    states)`), so its cost follows the open cases, not the years of closed ones.
    """
    now = now or timezone.now()
    rows = (
        access.scope_cases(user, listing=True)
        .filter(state__in=OPEN_STATES)
        .order_by()
        .values("state")
        .annotate(n=Count("id"), late=Count("id", filter=overdue_q(now)))
    )
    found = {r["state"]: (r["n"], r["late"]) for r in rows}
    return [StepCount(state, str(S(state).label), *found.get(state, (0, 0))) for state in OPEN_STATES]


def _region_scopes(user) -> list[core_scopes.Scope]:
    # Agency staff cover the agency's whole region for reading cases, but their work is the
    # agency's cases, not an area; their scope does not make a list of areas.
    return [s for s in core_scopes.scopes(user) if s.place is not None and s.role != Role.AGENCY_STAFF]


def region_choices(*, user) -> list[Place]:
    """Return the places a work list may be narrowed to: villages and grids within the user's scopes.

    Users whose scope is wider than a town (district and city administrators) get towns and villages.
    """
    scopes = _region_scopes(user)
    if user.is_superuser:
        condition, widest = Q(), 0
    elif not scopes:
        return []
    else:
        condition = Q()
        for s in scopes:
            condition |= Q(code__startswith=s.place.scope_prefix)
        widest = min(s.place.depth for s in scopes)
    levels = ("village", "grid") if widest >= Place.LEVEL_ORDER.index("town") else ("town", "village")
    qs = place_access.scope_places(user).filter(condition, level__in=levels).order_by("code")
    return list(qs[:REGION_CHOICES_LIMIT])


def category_choices() -> list[tuple[Category, list[Category]]]:
    """Return the major classes with their reportable minor classes, in display order (no query:
    the process's copy, `categories.groups`)."""
    return categories.groups()


def agency_tabs(
    *, user, agency_ids: tuple[int, ...], text: str = "", now: datetime | None = None
) -> list[tuple[str, Promise, CaseFilters]]:
    """Return the agency inbox's lists as (key, label, filters of `selectors.case_list`), in tab order.

    - sign: dispatched to the agency as lead, waiting to be signed for (response deadline)
    - in_progress: signed for, in progress or suspended
    - co: open cases the agency co-handles
    - overdue: the agency's own steps (to sign, in progress) that are past their deadline
    """
    now = now or timezone.now()
    ids = tuple(sorted(agency_ids))
    return [
        ("sign", _("To sign for"), CaseFilters(queue="sign", text=text)),
        ("in_progress", _("In progress"), CaseFilters(queue="in_progress", text=text)),
        ("co", _("Co-handling"), CaseFilters(open_only=True, co_agencies=ids, text=text)),
        (
            "overdue",
            _("Overdue"),
            CaseFilters(
                states=(S.DISPATCHED, S.IN_PROGRESS),
                lead_agencies=ids,
                overdue_now=True,
                now=now,
                text=text,
            ),
        ),
    ]
