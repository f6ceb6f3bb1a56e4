"""In-app notifications: whose queue a case is in, who is told of each step."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from typing import Any

from django.utils import timezone

from civicgrid.accounts.models import RoleAssignment, User
from civicgrid.cases import notices, sql
from civicgrid.cases.models import (
    TERMINAL_STATES,
    Case,
    CaseEvent,
    Notification,
)
from civicgrid.cases.workflow import (
    HANDLER_STATE,
    Transition,
)
from civicgrid.core.roles import Role

logger = logging.getLogger(__name__)
PHONE_RE = re.compile(r"^(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})$")
IDEMPOTENCY_KEY_RE = re.compile(r"^[A-Za-z0-9._:-]{8,80}$")
State = Case.State
# Django computes `Choices.values` on every access; intake checks these on every report.
SOURCES = frozenset(Case.Source.values)
PRIORITIES = frozenset(Case.Priority.values)

# ---------------------------------------------------------------------------------------------
# Notifications


def _users_with(role: str | Sequence[str], place_id: int | None) -> list[int]:
    if place_id is None:
        return []
    return sql.role_holders([role] if isinstance(role, str) else list(role), place_id)


def _agency_staff(agency_ids: Iterable[int]) -> list[int]:
    return list(
        RoleAssignment.objects.filter(role=Role.AGENCY_STAFF, agency_id__in=list(agency_ids), is_active=True)
        .order_by()
        .values_list("user_id", flat=True)
        .distinct()
    )


GRID_QUEUE_STATES = frozenset({State.REPORTED, State.ACCEPTED, State.GRID_HANDLING, State.CHECKING})


def _queue_places(case: Case, state: str) -> list[tuple[tuple[str, ...], int | None]] | None:
    """Return whose queue a case in `state` is in when that is a place's: role holders at a place, as
    alternatives taken in order (the first with anyone in the role). None for agencies and the reporter."""
    R = Role
    if state in GRID_QUEUE_STATES:
        if case.grid_id:
            return [((R.GRID_WORKER, R.GRID_LEADER), case.grid_id)]
        return [((R.VILLAGE_CADRE,), case.village_id), ((R.TOWN_OPERATOR,), case.town_id)]
    if state in (State.VILLAGE, State.VILLAGE_HANDLING):
        return [((R.VILLAGE_CADRE,), case.village_id)]
    if state == State.TOWN:
        return [((R.TOWN_OPERATOR,), case.town_id)]
    return None


def queue_owners(case: Case, state: str) -> list[int]:
    """Return the people whose queue a case in `state` is in (used by notifications and the sweep)."""
    places = _queue_places(case, state)
    if places is not None:
        for roles, place_id in places:
            found = _users_with(roles, place_id)
            if found:
                return found
        return []
    if state in (State.DISPATCHED, State.IN_PROGRESS, State.SUSPENDED):
        return _agency_staff([case.lead_agency_id] if case.lead_agency_id else [])
    if state == State.RESOLVED:
        return [case.reporter_id] if case.reporter_id else []
    return []


def supervisors(case: Case, state: str) -> list[int]:
    """Return the level above whoever holds the case now: told when a deadline passes."""
    R = Role
    if state in (State.REPORTED, State.ACCEPTED, State.GRID_HANDLING, State.CHECKING):
        return _users_with(R.VILLAGE_CADRE, case.village_id) or _users_with(R.TOWN_OPERATOR, case.town_id)
    if state in (State.VILLAGE, State.VILLAGE_HANDLING, State.DISPATCHED, State.IN_PROGRESS):
        return _users_with(R.TOWN_OPERATOR, case.town_id)
    if state == State.TOWN:
        return _users_with(R.DISTRICT_ADMIN, case.district_id)
    return []


def notify(
    *,
    user_ids: Iterable[int],
    case: Case,
    kind: str,
    message: str,
    params: dict[str, Any],
    exclude: int | None = None,
) -> int:
    """Write one in-app notification per user: a message of `notices` with its values (each reader
    sees it in their language), and its text in the site's language."""
    ids = [uid for uid in dict.fromkeys(user_ids) if uid != exclude]
    if ids:
        sql.notifications_insert(
            user_ids=ids,
            case_id=case.pk,
            kind=kind,
            text=notices.stored_text(message, params),
            message=message,
            params=params,
            at=timezone.now(),
        )
    return len(ids)


def _notify_step(case: Case, state: str, exclude: int | None = None) -> None:
    """Tell the people whose queue the case is now in (all but `exclude`, who put it there)."""
    kind = Notification.Kind.NEW_WORK if state != State.RESOLVED else Notification.Kind.UPDATE
    params = {"number": case.tracking_number, "state": state}
    places = _queue_places(case, state)
    if places is not None and len(places) == 1 and places[0][1] is not None:
        # One place's role holders (every routed report): found and told in one INSERT … SELECT.
        roles, place_id = places[0]
        sql.notify_role_holders(
            roles=roles,
            place_id=place_id,
            case_id=case.pk,
            kind=kind,
            text=notices.stored_text(notices.STEP, params),
            message=notices.STEP,
            params=params,
            at=timezone.now(),
            exclude=exclude,
        )
        return
    notify(
        user_ids=queue_owners(case, state),
        case=case,
        kind=kind,
        message=notices.STEP,
        params=params,
        exclude=exclude,
    )


def _notify_after(case: Case, t: Transition, old_state: str, event: CaseEvent) -> None:
    actor_id = event.actor_id
    number = case.tracking_number
    if t.action == "return_dispatch":
        notify(
            user_ids=queue_owners(case, State.TOWN),
            case=case,
            kind=Notification.Kind.RETURNED,
            message=notices.RETURNED,
            params={"number": number, "reason": event.note},
        )
        return
    if t.action in ("request_extension", "request_suspension"):
        notify(
            user_ids=queue_owners(case, State.TOWN),
            case=case,
            kind=Notification.Kind.REQUEST,
            message=notices.REQUESTED,
            params={"number": number, "request": case.pending_request},
        )
        return
    if t.action in ("approve_request", "refuse_request"):
        notify(
            user_ids=queue_owners(case, State.IN_PROGRESS),
            case=case,
            kind=Notification.Kind.UPDATE,
            message=notices.DECIDED,
            params={"number": number, "decision": t.action},
        )
        return
    if t.action == "rate":
        handler_state = HANDLER_STATE.get(case.handler, State.IN_PROGRESS)
        notify(
            user_ids=queue_owners(case, handler_state),
            case=case,
            kind=Notification.Kind.RATED,
            message=notices.RATED,
            params={"number": number, "satisfaction": case.satisfaction},
        )
    if t.action in ("reject", "merge") and case.reporter_id:
        if t.action == "merge":
            message, params = notices.MERGED, {"number": number, "other": event.data.get("merged_into", "")}
        else:
            message, params = notices.REJECTED, {"number": number, "reason": event.note}
        notify(
            user_ids=[case.reporter_id],
            case=case,
            kind=Notification.Kind.UPDATE,
            message=message,
            params=params,
        )
        return
    if case.state != old_state and case.state not in TERMINAL_STATES:
        _notify_step(case, case.state, exclude=actor_id)


def notifications_mark_read(*, user: User, ids: Sequence[int] | None = None) -> int:
    """Mark the user's notifications read (all of them when `ids` is None); only their own."""
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())
