"""The workflow: apply one action of `cases/workflow.py` to a case and record it.

Every rule about an action's inputs is here, once, for every door (case page, batch dispatch, API,
commands): which agencies a case may go to, the co-handlers, the on-site appointment, the extension
date, the merge target, the grid of an unrouted case, the rating.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import BinaryIO

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.models import Agency, User
from civicgrid.cases import access as case_access
from civicgrid.cases import counts, figures, hotline_replies, selectors, signals
from civicgrid.cases.models import TERMINAL_STATES, Appointment, Case, CaseEvent, Satisfaction
from civicgrid.cases.services.notifying import notify_after
from civicgrid.cases.services.photos import _photos_save, photos_clean
from civicgrid.cases.workflow import (
    ActionInput,
    AppointmentIn,
    Transition,
    actor_kinds,
    guard_ok,
    outcome,
    transition,
)
from civicgrid.core.errors import ApplicationError, Conflict, NotFound, PermissionDenied
from civicgrid.places.models import Place

__all__ = ["AppointmentIn", "case_act", "case_comment", "dispatch_input_errors"]

# What the form or body lacks, per required input.
MISSING = {
    "note": _("Write a note or reason."),
    "photos": _("Attach at least one photo."),
    "agency": _("Choose the lead agency."),
    "until": _("Give the date the extension runs until."),
    "merge_into": _("Give the tracking number of the case to merge into."),
    "rating": _("Say whether it was solved and how satisfied you are."),
    "grid": _("Choose a grid."),
}


def extension_end(day: date) -> datetime:
    """Return when an extension to `day` runs out: the end of that working day (CASE_WORKDAY_END)."""
    hour, _sep, minute = settings.CASE_WORKDAY_END.partition(":")
    return timezone.make_aware(datetime.combine(day, time(int(hour), int(minute or 0))))


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
    until: datetime | date | None = None,
    merge_into: Case | str | None = None,
    grid: Place | None = None,
    point: tuple[float, float] | None = None,
    placed_by: str = "",
    solved: bool | None = None,
    satisfaction: str = "",
    reply: bool = False,
    system: bool = False,
    idempotency_key: str = "",
) -> Case:
    """Apply one workflow action to a case and record it.

    1. Look the (state, action) pair up in TRANSITIONS; refuse what is not there, what the actor may
       not do, and inputs that are missing or break a rule (nothing is written then).
    2. Update the row only if its state and version are still the ones just read (compare-and-set);
       if someone else acted first, refuse with a conflict.
    3. In the same transaction: the CaseEvent, the rows the row's effects declare (co-handlers, an
       appointment), photos, and the in-app notifications the row declares.

    `until` may be a date (the extension runs to the end of that working day) or a time; `merge_into`
    a case or its tracking number, looked up within the actor's scope. `point` and `placed_by` go with
    `grid` (assign_grid): the case moves to that WGS-84 point, and the step records how it was placed
    (`cases.placing`). `idempotency_key` (a step the
    phone queued offline and may send more than once): when this actor already recorded a step on
    this case with it, return the case as it is, applying nothing again.
    """
    key = (idempotency_key or "").strip()[:80] or None
    if key is not None and action_recorded(case=case, actor=actor, key=key):
        case.refresh_from_db()
        return case
    t = transition(case.state, action)
    if t is None:
        raise Conflict(
            _("“%(action)s” is not possible while the case is “%(state)s”.")
            % {"action": action[:40], "state": case.get_state_display()},
            code="invalid_action",
        )
    kinds = {"system"} if system else actor_kinds(actor, case)
    acting_as = sorted(t.actors & kinds)
    if not acting_as:
        raise PermissionDenied(_("You may not do this to this case."))
    if not guard_ok(t, case):
        raise Conflict(
            _("There is a pending request to decide first.")
            if case.pending_request
            else _("There is no pending request."),
            code="invalid_action",
        )
    if isinstance(until, date) and not isinstance(until, datetime):
        until = extension_end(until)
    given = ActionInput(
        note=(note or "").strip(),
        photos=list(photos),
        agency=agency,
        co_agencies=list(dict.fromkeys(co_agencies)),
        appointment=appointment,
        until=until,
        grid=grid,
        point=point,
        placed_by=placed_by,
        solved=solved,
        satisfaction=satisfaction or "",
        reply=reply,
    )
    errors = _check(t, case, actor, given, merge_into)
    if errors:
        raise ApplicationError(
            _("Please correct the marked fields."), code="invalid", extra={"fields": errors}
        )
    cleaned = photos_clean(given.photos) if given.photos else []

    now = timezone.now()
    out = outcome(t, case, given, now)
    by_reporter = actor is not None and actor.pk == case.reporter_id
    # The row as read: the compare-and-set below makes sure it is still the one changed.
    counted = counts.where(case)
    with transaction.atomic():
        updated = Case.objects.filter(pk=case.pk, state=case.state, version=case.version).update(
            version=F("version") + 1, updated_at=now, **out.changes
        )
        if not updated:
            if key is not None and action_recorded(case=case, actor=actor, key=key):
                # The same step, sent twice at once: the other send recorded it.
                case.refresh_from_db()
                return case
            raise Conflict(
                _("Someone else acted on this case a moment ago. Reload it and try again."), code="conflict"
            )
        if out.co_agencies is not None:
            case.co_agencies.set(out.co_agencies)
        event = CaseEvent.objects.create(
            case=case,
            actor=actor,
            actor_role=acting_as[0],
            action=action,
            from_state=case.state,
            to_state=out.target,
            note=given.note,
            data=out.data,
            is_public=t.public or by_reporter or reply,
            note_is_reply=bool(given.note) and (t.reply or reply),
            client_key=key,
        )
        if out.appointment is not None:
            Appointment.objects.create(
                case=case,
                event=event,
                starts_at=out.appointment.starts_at,
                place=out.appointment.place.strip()[:200],
                participants=out.appointment.participants.strip()[:1000],
            )
        if cleaned:
            _photos_save(case, event, cleaned, t.photo_kind)
        old_state = case.state
        case.refresh_from_db()
        notify_after(case, t, old_state, event)
        hotline_replies.order_answered(case, event.at)
        figures.record(case, event, places_before=counted.places)
        # The state, and for an unrouted case its grid, may have changed; last, like intake's.
        counts.move(counted, counts.where(case))
        signals.announce_on_commit(case, event)
    return case


def action_recorded(*, case: Case, actor: User | None, key: str) -> bool:
    """True when `actor` already recorded a step on `case` with this idempotency key."""
    if not key:
        return False
    return CaseEvent.objects.filter(case_id=case.pk, client_key=key[:80], actor=actor).exists()


def case_comment(*, case: Case, actor: User, note: str, reply: bool = False) -> Case:
    """Add a note to the record: internal to the staff, or (`reply`, staff only) an answer the reporter reads."""
    return case_act(case=case, action="comment", actor=actor, note=note, reply=reply)


def _check(
    t: Transition, case: Case, actor: User | None, given: ActionInput, merge_into: Case | str | None
) -> dict[str, str]:
    """Return the field errors of an action's inputs (empty when it may go ahead); set the merge target."""
    names = t.requires | t.accepts
    present = {
        "note": given.note,
        "photos": given.photos,
        "agency": given.agency,
        "until": given.until,
        "merge_into": merge_into,
        "rating": bool(given.satisfaction) and given.solved is not None,
        "grid": given.grid,
    }
    errors = {name: str(MISSING[name]) for name in t.requires if not present.get(name)}
    if given.photos and "photos" not in names:
        errors["photos"] = str(_("This action takes no photos."))
    if given.reply and ("reply" not in names or not case_access.is_staff_of(actor, case)):
        errors["reply"] = str(_("Only the staff handling a case reply to its reporter in a comment."))
    if given.agency is not None and "agency" in names:
        errors.update(_check_agencies(case, given))
    if given.appointment is not None and "appointment" in names:
        errors.update(_check_appointment(given.appointment))
    if given.until is not None and "until" in names and given.until <= timezone.now():
        errors["until"] = str(_("The extension must run until a future date."))
    if merge_into and "merge_into" in names:
        try:
            given.merge_into = _merge_target(actor, case, merge_into)
        except ApplicationError as exc:
            errors["merge_into"] = exc.message
    if (
        given.grid is not None
        and "grid" in names
        and not selectors.assignable_grids(case=case, user=actor).filter(pk=given.grid.pk).exists()
    ):
        errors["grid"] = str(_("Choose a grid of this case's town."))
    if given.point is not None and "grid" not in names:
        errors["point"] = str(_("Only assigning a grid moves the case's point."))
    if "rating" in t.requires and given.satisfaction and given.satisfaction not in Satisfaction.values:
        errors["rating"] = str(_("Unknown satisfaction."))
    return errors


def _check_agencies(case: Case, given: ActionInput) -> dict[str, str]:
    """The lead and co-handlers must be active agencies serving the case's region
    (`selectors.dispatch_agencies`, which the forms offer), the lead not among the co-handlers."""
    errors: dict[str, str] = {}
    allowed = set(selectors.dispatch_agencies(case=case).values_list("pk", flat=True))
    if given.agency.pk not in allowed:
        errors["agency"] = str(_("This agency does not take cases from this region."))
    if any(a.pk not in allowed for a in given.co_agencies):
        errors["co_agencies"] = str(_("A co-handling agency does not take cases from this region."))
    return {**dispatch_input_errors(agency=given.agency, co_agencies=given.co_agencies), **errors}


def dispatch_input_errors(
    *, agency: Agency, co_agencies: Sequence[Agency], appointment: AppointmentIn | None = None
) -> dict[str, str]:
    """Return the errors of a dispatch's own inputs, whatever the case: the lead is not also a
    co-handler; an appointment has a time and a place. Batch dispatch checks them once up front."""
    errors: dict[str, str] = {}
    if any(a.pk == agency.pk for a in co_agencies):
        errors["co_agencies"] = str(_("The lead agency cannot also co-handle."))
    if appointment is not None:
        errors.update(_check_appointment(appointment))
    return errors


def _check_appointment(appointment: AppointmentIn) -> dict[str, str]:
    """An on-site appointment needs a time (not in the past) and a place."""
    if appointment.starts_at is None:
        if appointment.place.strip() or appointment.participants.strip():
            return {"appointment": str(_("Give the date and time of the appointment."))}
        return {}
    if appointment.starts_at <= timezone.now() - timedelta(hours=1):
        return {"appointment": str(_("The appointment must be in the future."))}
    if not appointment.place.strip():
        return {"appointment": str(_("Say where the on-site appointment is."))}
    return {}


def _merge_target(actor: User | None, case: Case, target: Case | str) -> Case:
    """Return the open case, within the actor's scope, that `case` may be merged into."""
    if isinstance(target, str):
        try:
            target = selectors.case_get_for_user(user=actor, tracking_number=target.strip()[:20])
        except NotFound:
            raise ApplicationError(
                _("No case with the tracking number “%(number)s” in your area.")
                % {"number": target.strip()[:20]}
            )
    elif not case_access.can_view(actor, target):
        raise ApplicationError(_("No such case in your area."))
    if target.pk == case.pk:
        raise ApplicationError(_("A case cannot be merged into itself."))
    if target.state in TERMINAL_STATES:
        raise ApplicationError(_("Merge into an open case."))
    return target
