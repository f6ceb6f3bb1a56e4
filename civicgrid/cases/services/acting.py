"""The workflow: apply one action of `cases/workflow.py` to a case and record it."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, BinaryIO

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.models import Agency, User
from civicgrid.cases import access as case_access
from civicgrid.cases import deadlines
from civicgrid.cases.models import (
    TERMINAL_STATES,
    Appointment,
    Case,
    CaseEvent,
    CasePhoto,
    Satisfaction,
)
from civicgrid.cases.services.notifying import _notify_after
from civicgrid.cases.services.photos import _photos_save, photos_clean
from civicgrid.cases.workflow import (
    DECIDED,
    HANDLER,
    HANDLER_STATE,
    RATED,
    SAME,
    Transition,
    actions_from,
    actor_kinds,
    transition,
)
from civicgrid.core.errors import ApplicationError, Conflict, PermissionDenied
from civicgrid.places import access as place_access
from civicgrid.places.models import Place

logger = logging.getLogger(__name__)
PHONE_RE = re.compile(r"^(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})$")
IDEMPOTENCY_KEY_RE = re.compile(r"^[A-Za-z0-9._:-]{8,80}$")
State = Case.State
# Django computes `Choices.values` on every access; intake checks these on every report.
SOURCES = frozenset(Case.Source.values)
PRIORITIES = frozenset(Case.Priority.values)

# ---------------------------------------------------------------------------------------------
# The workflow


@dataclass
class AppointmentIn:
    starts_at: datetime
    place: str
    participants: str


def allowed_actions(*, case: Case, user: User | None) -> list[Transition]:
    """Return the actions `user` may take on `case` now (pages and the API offer only these)."""
    kinds = actor_kinds(user, case)
    return [t for t in actions_from(case.state) if t.actors & kinds and _guard_ok(t, case)]


def _guard_ok(t: Transition, case: Case) -> bool:
    if t.guard == "pending":
        return bool(case.pending_request)
    if t.guard == "no_pending":
        return not case.pending_request
    return True


def _missing(t: Transition, given: dict[str, Any]) -> dict[str, str]:
    messages = {
        "note": _("Write a note or reason."),
        "photos": _("Attach at least one photo."),
        "agency": _("Choose the lead agency."),
        "until": _("Give the date the extension runs until."),
        "merge_into": _("Give the tracking number of the case to merge into."),
        "rating": _("Say whether it was solved and how satisfied you are."),
        "grid": _("Choose a grid."),
    }
    return {name: str(messages[name]) for name in t.requires if not given.get(name)}


def case_act(
    *,
    case: Case,
    action: str,
    actor: User | None,
    note: str = "",
    photos: Sequence[BinaryIO | bytes] = (),
    agency: Agency | None = None,
    co_agencies: Sequence[Agency] = (),
    appointment: AppointmentIn | None = None,
    until: datetime | None = None,
    merge_into: Case | None = None,
    grid: Place | None = None,
    solved: bool | None = None,
    satisfaction: str = "",
    reply: bool = False,
    system: bool = False,
) -> Case:
    """Apply one workflow action to a case and record it.

    1. Look the (state, action) pair up in TRANSITIONS; refuse what is not there, what the actor may
       not do, and what lacks what the action requires.
    2. Update the row only if its state and version are still the ones just read (compare-and-set);
       if someone else acted first, refuse with a conflict.
    3. Append a CaseEvent with photos and appointment in the same transaction; notifications go out
       after commit.
    """
    t = transition(case.state, action)
    if t is None:
        raise Conflict(
            _("“%(action)s” is not possible while the case is “%(state)s”.")
            % {"action": action, "state": case.get_state_display()},
            code="invalid_action",
        )
    kinds = {"system"} if system else actor_kinds(actor, case)
    acting_as = sorted(t.actors & kinds)
    if not acting_as:
        raise PermissionDenied(_("You may not do this to this case."))
    if not _guard_ok(t, case):
        raise Conflict(
            _("There is a pending request to decide first.")
            if case.pending_request
            else _("There is no pending request."),
            code="invalid_action",
        )
    note = (note or "").strip()
    rating = satisfaction if satisfaction else None
    given = {
        "note": note,
        "photos": photos,
        "agency": agency,
        "until": until,
        "merge_into": merge_into,
        "rating": rating is not None and solved is not None,
        "grid": grid,
    }
    errors = _missing(t, given)
    by_reporter = actor is not None and actor.pk == case.reporter_id
    if reply and ("reply" not in t.accepts or not case_access.is_staff_of(actor, case)):
        errors["reply"] = str(_("Only the staff handling a case reply to its reporter in a comment."))
    if photos and "photos" not in t.requires | t.accepts:
        errors["photos"] = str(_("This action takes no photos."))
    errors.update(
        _invalid(t, case, actor, agency, co_agencies, until, merge_into, grid, satisfaction, appointment)
    )
    if errors:
        raise ApplicationError(
            _("Please correct the marked fields."), code="invalid", extra={"fields": errors}
        )
    cleaned = photos_clean(photos) if photos else []

    now = timezone.now()
    changes, target, event_data = _changes(
        t, case, now, agency, until, merge_into, grid, solved, satisfaction
    )
    with transaction.atomic():
        updated = Case.objects.filter(pk=case.pk, state=case.state, version=case.version).update(
            version=F("version") + 1, updated_at=now, **changes
        )
        if not updated:
            raise Conflict(
                _("Someone else acted on this case a moment ago. Reload it and try again."), code="conflict"
            )
        if t.action in ("dispatch", "redispatch"):
            case.co_agencies.set(co_agencies)
            event_data["co_agencies"] = [a.pk for a in co_agencies]
        event = CaseEvent.objects.create(
            case=case,
            actor=actor,
            actor_role=acting_as[0],
            action=action,
            from_state=case.state,
            to_state=target,
            note=note,
            data=event_data,
            is_public=t.public or by_reporter or reply,
            note_is_reply=bool(note) and (t.reply or reply),
        )
        if appointment is not None and t.action in ("dispatch", "redispatch"):
            Appointment.objects.create(
                case=case,
                event=event,
                starts_at=appointment.starts_at,
                place=appointment.place.strip()[:200],
                participants=appointment.participants.strip()[:1000],
            )
        if cleaned:
            kind = CasePhoto.Kind.CHECK if t.action in ("pass_check", "rework") else CasePhoto.Kind.RESULT
            if t.action in ("accept", "comment"):
                kind = CasePhoto.Kind.REPORT
            _photos_save(case, event, cleaned, kind)
        old_state = case.state
        case.refresh_from_db()
        _notify_after(case, t, old_state, event)
    return case


def _invalid(t, case, actor, agency, co_agencies, until, merge_into, grid, satisfaction, appointment) -> dict:
    errors: dict[str, str] = {}
    if agency is not None and "agency" in (t.requires | t.accepts):
        if not agency.is_active:
            errors["agency"] = _("This agency does not take cases.")
        if any(a.pk == agency.pk for a in co_agencies):
            errors["co_agencies"] = _("The lead agency cannot also co-handle.")
    if until is not None and "until" in t.requires and until <= timezone.now():
        errors["until"] = _("The extension must run until a future date.")
    if merge_into is not None and "merge_into" in t.requires:
        if merge_into.pk == case.pk:
            errors["merge_into"] = _("A case cannot be merged into itself.")
        elif merge_into.state in TERMINAL_STATES:
            errors["merge_into"] = _("Merge into an open case.")
        elif not case_access.can_view(actor, merge_into):
            errors["merge_into"] = _("No such case in your area.")
    if (
        grid is not None
        and "grid" in t.requires
        and (
            grid.level != Place.Level.GRID
            or not place_access.can(actor, place_access.Perm.PLACE_VIEW, grid)
            or (case.town_id and not grid.code.startswith(_town_code(case)))
        )
    ):
        errors["grid"] = _("Choose a grid of this case's town.")
    if "rating" in t.requires and satisfaction and satisfaction not in Satisfaction.values:
        errors["rating"] = _("Unknown satisfaction.")
    if appointment is not None:
        if appointment.starts_at <= timezone.now() - timedelta(hours=1):
            errors["appointment"] = _("The appointment must be in the future.")
        elif not appointment.place.strip():
            errors["appointment"] = _("Say where the on-site appointment is.")
    return errors


def _town_code(case: Case) -> str:
    return Place.objects.filter(pk=case.town_id).values_list("code", flat=True).first() or ""


def _changes(t, case, now, agency, until, merge_into, grid, solved, satisfaction):
    """Return the field changes, the target state and the event data of one action."""
    changes: dict[str, Any] = {}
    data: dict[str, Any] = {}
    target = t.target
    if target == SAME:
        target = case.state
    elif target == HANDLER:
        target = HANDLER_STATE.get(case.handler, State.IN_PROGRESS)
    elif target == DECIDED:
        if case.pending_request == Case.Request.SUSPENSION:
            target = State.SUSPENDED
        else:
            target = case.state
            changes["resolution_due_at"] = case.pending_until
        data["request"] = case.pending_request
        changes.update(pending_request="", pending_until=None)
    elif target == RATED:
        reopen = satisfaction == Satisfaction.UNSATISFIED and case.reopen_count < settings.CASE_MAX_REOPENS
        target = HANDLER_STATE.get(case.handler, State.IN_PROGRESS) if reopen else State.CLOSED
        changes.update(solved=solved, satisfaction=satisfaction, rated_at=now)
        data.update(solved=solved, satisfaction=satisfaction, reopened=reopen)
        if reopen:
            changes["reopen_count"] = case.reopen_count + 1
            changes["resolution_due_at"] = deadlines.resolution_due(case.category, case.priority, now)
            changes["resolved_at"] = None

    if t.action in ("request_extension", "request_suspension"):
        changes["pending_request"] = (
            Case.Request.EXTENSION if t.action == "request_extension" else Case.Request.SUSPENSION
        )
        changes["pending_until"] = until
        if until:
            data["until"] = until.isoformat()
    if t.action == "refuse_request":
        changes.update(pending_request="", pending_until=None)
    if t.action in ("dispatch", "redispatch"):
        changes["lead_agency_id"] = agency.pk
        data["agency"] = agency.pk
    if t.action == "return_dispatch":
        changes["lead_agency_id"] = None
        data["agency"] = case.lead_agency_id
    if t.action == "merge":
        changes["merged_into_id"] = merge_into.pk
        data["merged_into"] = merge_into.tracking_number
    if t.action == "assign_grid":
        changes.update(grid_id=grid.pk, village_id=grid.parent_id, routed=True)
        data["grid"] = grid.code
    if t.handler:
        changes["handler"] = t.handler
    if t.starts == "response":
        changes["response_due_at"] = deadlines.response_due(case.category, case.priority, now)
        changes["responded_at"] = None
    if t.starts == "resolution":
        changes["resolution_due_at"] = deadlines.resolution_due(case.category, case.priority, now)
    if t.stops == "response":
        changes["responded_at"] = now
    if t.stops == "resolution":
        changes["resolved_at"] = now
    if target == State.CLOSED:
        changes["closed_at"] = now

    changes["state"] = target
    if target != case.state or "resolution_due_at" in changes or "response_due_at" in changes:
        # A new step: its own deadline, overdue and warned again from scratch.
        probe = Case(
            **{**{f.attname: getattr(case, f.attname) for f in Case._meta.concrete_fields}, **changes}
        )
        probe.category = case.category
        changes["step_due_at"] = deadlines.step_due(probe, target, now)
        changes["is_overdue"] = False
        changes["due_notice_sent"] = False
    return changes, target, data


def case_comment(*, case: Case, actor: User, note: str, reply: bool = False) -> Case:
    """Add a note to the record: internal to the staff, or (`reply`, staff only) an answer the reporter reads."""
    return case_act(case=case, action="comment", actor=actor, note=note, reply=reply)
