"""In-app notifications: whose work a case is (the holders of `workflow.STATES`), who is told of each step.

Notifications are rows of the database, written in the transaction of the change they report, so
neither is ever lost apart from the other. Who is told is declared by the workflow's rows (`notify`,
`notify_step`) and states (`holder`, `supervisor`); this module only finds the people.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext

from civicgrid.accounts.models import RoleAssignment, User
from civicgrid.cases import notices, sql
from civicgrid.cases.models import Case, CaseEvent, CaseFollower, Notification
from civicgrid.cases.workflow import HANDLER_STATE, STATES, Transition, public_label
from civicgrid.core.roles import GRID_ROLES, Role

State = Case.State


def _users_with(roles: Sequence[str], place_id: int | None) -> list[int]:
    if place_id is None:
        return []
    return sql.role_holders(list(roles), place_id)


def _agency_staff(agency_ids: Iterable[int]) -> list[int]:
    return list(
        RoleAssignment.objects.filter(role=Role.AGENCY_STAFF, agency_id__in=list(agency_ids), is_active=True)
        .order_by()
        .values_list("user_id", flat=True)
        .distinct()
    )


def _holder_places(case: Case, holder: str) -> list[tuple[tuple[str, ...], int | None]] | None:
    """Return where the holders of a place's queue are: (roles, place id) alternatives taken in order
    (the first with anyone in the role). None when the holder is not a place's (agency, reporter).

    An unrouted case has no grid: its village's cadres hold it, or failing them its town's operators.
    """
    if holder == "grid":
        if case.grid_id:
            return [(tuple(GRID_ROLES), case.grid_id)]
        return [((Role.VILLAGE_CADRE,), case.village_id), ((Role.TOWN_OPERATOR,), case.town_id)]
    if holder == "village":
        return [((Role.VILLAGE_CADRE,), case.village_id)]
    if holder == "town":
        return [((Role.TOWN_OPERATOR,), case.town_id)]
    if holder == "district":
        return [((Role.DISTRICT_ADMIN,), case.district_id)]
    return None


def holders(case: Case, holder: str) -> list[int]:
    """Return the people a holder kind ("grid", "village", "town", "district", "agency", "reporter") is
    for this case."""
    places = _holder_places(case, holder)
    if places is not None:
        for roles, place_id in places:
            found = _users_with(roles, place_id)
            if found:
                return found
        return []
    if holder == "agency":
        return _agency_staff([case.lead_agency_id] if case.lead_agency_id else [])
    if holder == "reporter":
        return [case.reporter_id] if case.reporter_id else []
    return []


def queue_owners(case: Case, state: str) -> list[int]:
    """Return the people whose work a case in `state` is (used by notifications and the sweep)."""
    return holders(case, STATES[state].holder)


def supervisors(case: Case, state: str) -> list[int]:
    """Return the level above whoever holds the case now: told when a deadline passes.

    The village above a grid's step; when the village has nobody, the town.
    """
    supervisor = STATES[state].supervisor
    if supervisor == "village":
        return holders(case, "village") or holders(case, "town")
    return holders(case, supervisor) if supervisor else []


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


def notify_step(case: Case, state: str, exclude: int | None = None) -> None:
    """Tell the people whose work the case now is (all but `exclude`, who put it there)."""
    kind = Notification.Kind.NEW_WORK if state != State.RESOLVED else Notification.Kind.UPDATE
    params = {"number": case.tracking_number, "state": state}
    places = _holder_places(case, STATES[state].holder)
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


# The messages a workflow row may declare (`Transition.notify`): the notification's kind, its text,
# and the values it shows beside the tracking number.
Values = Callable[[Case, CaseEvent], dict[str, Any]]
MESSAGES: dict[str, tuple[str, str, Values]] = {
    "returned": (Notification.Kind.RETURNED, notices.RETURNED, lambda case, event: {"reason": event.note}),
    "requested": (Notification.Kind.REQUEST, notices.REQUESTED, lambda case, event: {"request": case.pending_request}),
    "decided": (Notification.Kind.UPDATE, notices.DECIDED, lambda case, event: {"decision": event.action}),
    "rated": (Notification.Kind.RATED, notices.RATED, lambda case, event: {"satisfaction": case.satisfaction}),
    "merged": (Notification.Kind.UPDATE, notices.MERGED, lambda case, event: {"other": event.data.get("merged_into", "")}),
    "rejected": (Notification.Kind.UPDATE, notices.REJECTED, lambda case, event: {"reason": event.note}),
}  # fmt: skip


def notify_after(case: Case, t: Transition, old_state: str, event: CaseEvent) -> None:
    """Tell whom the row declares of what just happened, then the holders of the new step, if any."""
    for audience, name in t.notify:
        kind, message, values = MESSAGES[name]
        if audience == "handler":
            user_ids = queue_owners(case, HANDLER_STATE.get(case.handler, State.IN_PROGRESS))
        else:
            user_ids = holders(case, audience)
        notify(
            user_ids=user_ids,
            case=case,
            kind=kind,
            message=message,
            # The step it left the case at: the notice asks to act only while the case is still there
            # (`notices.is_todo`).
            params={"number": case.tracking_number, "state": case.state, **values(case, event)},
        )
    if t.notify_step and case.state != old_state and not STATES[case.state].terminal:
        notify_step(case, case.state, exclude=event.actor_id)
    notify_followers(case, old_state, event)


# What a follower is told (`CaseFollower`): what and where, then the step or the reply. Stored in the
# site's language (`notices.display_text` shows the stored text of a message it does not list).
FOLLOWED_STEP = notices.FOLLOWED_STEP
FOLLOWED_REPLY = notices.FOLLOWED_REPLY
# The steps a follower hears of: the problem was solved, or the case ended.
FOLLOWER_STATES = frozenset({State.RESOLVED, State.CLOSED, State.REJECTED, State.MERGED})


def _follower_params(case: Case, event: CaseEvent) -> dict[str, Any]:
    place = case.address or next((p.name for p in (case.grid, case.village, case.town) if p is not None), "")
    return {
        "number": case.tracking_number,
        "what": case.category.name,
        "place": place[:60],
        "public_state": case.state,
        "reply": event.note[:120] if event.note_is_reply else "",
    }


def notify_followers(case: Case, old_state: str, event: CaseEvent) -> int:
    """Tell the followers of a case (`CaseFollower`) that it was resolved or ended, or answered.

    Reads the followers only on those steps (one query), so other actions cost nothing more; the
    actor and the reporter (told by the workflow's own rows) are left out.
    """
    stepped = case.state != old_state and case.state in FOLLOWER_STATES
    if not stepped and not (event.note_is_reply and event.note):
        return 0
    user_ids = list(
        CaseFollower.objects.filter(case_id=case.pk, user__is_active=True)
        .order_by()
        .values_list("user_id", flat=True)
    )
    user_ids = [uid for uid in user_ids if uid != case.reporter_id]
    if not user_ids:
        return 0
    params = _follower_params(case, event)
    message = FOLLOWED_STEP if stepped else FOLLOWED_REPLY
    with translation.override(settings.LANGUAGE_CODE):
        text = gettext(message) % {**params, "public_state": public_label(case.state)}
    ids = [uid for uid in dict.fromkeys(user_ids) if uid != event.actor_id]
    if ids:
        sql.notifications_insert(
            user_ids=ids,
            case_id=case.pk,
            kind=Notification.Kind.UPDATE,
            text=text[:300],
            message=message,
            params=params,
            at=timezone.now(),
        )
    return len(ids)


def notifications_mark_read(*, user: User, ids: Sequence[int] | None = None) -> int:
    """Mark the user's notifications read (all of them when `ids` is None); only their own."""
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())
