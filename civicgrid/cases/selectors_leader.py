"""Reads for the grid leader's page: each grid worker of the grids a leader supervises and their work.

Cases belong to a grid, not to one person: a grid worker's open work is the open cases of their grid
at a grid step (verify, decide and handle, check on site). A leader covers the grids of their
`grid_leader` scopes; a village cadre or town operator may open the page for the grids of their area.
Every count comes from one GROUP BY over the grids' (grid, state) index, the last activity from one more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max, Q
from django.utils.translation import gettext as _

from civicgrid.accounts.models import RoleAssignment
from civicgrid.cases.models import Case, CaseEvent
from civicgrid.cases.selectors import due_soon_q, overdue_q
from civicgrid.cases.workflow import STATES
from civicgrid.core import scopes as core_scopes
from civicgrid.core.errors import PermissionDenied
from civicgrid.core.roles import Role
from civicgrid.places.models import Place

# The open states whose work is the grid's.
GRID_STATES = tuple(state for state, facts in STATES.items() if facts.holder == "grid" and not facts.terminal)
# Roles above the grid that may open the page for a grid of their area.
ABOVE_ROLES = frozenset({Role.VILLAGE_CADRE, Role.TOWN_OPERATOR})
# Above this many grids the page asks for one (a town operator's whole town would be a wall of rows).
GRID_LIMIT = 60


@dataclass(frozen=True)
class WorkerRow:
    """One grid worker and the open work of their grid."""

    user_id: int
    name: str
    phone: str
    grid: Place
    open: int
    overdue: int
    due_soon: int
    last_activity: datetime | None


@dataclass(frozen=True)
class LeaderView:
    grids: list[Place]
    rows: list[WorkerRow]
    # Grids in view without an active grid worker (their open work is nobody's).
    unstaffed: list[tuple[Place, int, int, int]]


def _scope_places(user) -> list[Place]:
    """Return the places whose grids `user` may supervise: a leader's grids, a cadre's village, a town."""
    wanted = {Role.GRID_LEADER, *ABOVE_ROLES}
    return [s.place for s in core_scopes.scopes(user) if s.role in wanted and s.place is not None]


def can_open(user) -> bool:
    """Return whether `user` may open the grid leader's page at all (navigation offers it to leaders)."""
    return core_scopes.is_root(user) or bool(_scope_places(user))


def is_grid_leader(user) -> bool:
    return core_scopes.has_role(user, Role.GRID_LEADER)


def leader_grids(*, user, grid_code: str = "") -> list[Place]:
    """Return the grids `user` supervises (only `grid_code`, if given), in code order.

    Raises `PermissionDenied` for a user without a leader's or an area's role, or a grid outside it.
    """
    if not can_open(user):
        raise PermissionDenied(_("This page is for grid leaders and the village or town above them."))
    places = _scope_places(user)
    condition = Q()
    if not core_scopes.is_root(user):
        for place in places:
            condition |= Q(code__startswith=place.scope_prefix)
    qs = Place.objects.filter(condition, level=Place.Level.GRID).order_by("code")
    if grid_code:
        grid = qs.filter(code=grid_code).first()
        if grid is None:
            raise PermissionDenied(_("This grid is not one you supervise."))
        return [grid]
    return list(qs[: GRID_LIMIT + 1])


def leader_view(*, grids: list[Place], now: datetime) -> LeaderView:
    """Return one row per active grid worker of `grids` with their grid's open, overdue and due-soon
    counts and their last action there: three statements, whatever the number of workers or cases."""
    grid_ids = [g.pk for g in grids]
    by_id = {g.pk: g for g in grids}
    assignments = list(
        RoleAssignment.objects.filter(
            role=Role.GRID_WORKER, is_active=True, user__is_active=True, place_id__in=grid_ids
        )
        .select_related("user")
        .order_by("place__code", "user__display_name", "user_id")
    )
    counts = {
        row["grid_id"]: row
        for row in Case.objects.filter(grid_id__in=grid_ids, state__in=GRID_STATES)
        .order_by()
        .values("grid_id")
        .annotate(
            open=Count("id"),
            overdue=Count("id", filter=overdue_q(now)),
            due_soon=Count("id", filter=due_soon_q(now)),
        )
    }
    worker_ids = {a.user_id for a in assignments}
    last = {
        (row["actor_id"], row["case__grid_id"]): row["last"]
        for row in CaseEvent.objects.filter(actor_id__in=worker_ids, case__grid_id__in=grid_ids)
        .order_by()
        .values("actor_id", "case__grid_id")
        .annotate(last=Max("at"))
    }
    empty = {"open": 0, "overdue": 0, "due_soon": 0}
    rows = []
    for a in assignments:
        c = counts.get(a.place_id, empty)
        rows.append(
            WorkerRow(
                user_id=a.user_id,
                name=a.user.display_name or a.user.username,
                phone=a.user.phone,
                grid=by_id[a.place_id],
                open=c["open"],
                overdue=c["overdue"],
                due_soon=c["due_soon"],
                last_activity=last.get((a.user_id, a.place_id)),
            )
        )
    staffed = {a.place_id for a in assignments}
    unstaffed = [
        (g, *(counts.get(g.pk, empty)[k] for k in ("open", "overdue", "due_soon")))
        for g in grids
        if g.pk not in staffed
    ]
    return LeaderView(grids=grids, rows=rows, unstaffed=unstaffed)
