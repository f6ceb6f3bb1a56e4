"""Every write to cases: intake, workflow actions, comments, notifications and the deadline sweep."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, BinaryIO

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.models import Agency, RoleAssignment, User
from civicgrid.cases import deadlines, notices, sql
from civicgrid.cases.models import (
    TERMINAL_STATES,
    Appointment,
    Case,
    CaseEvent,
    CasePhoto,
    Category,
    Notification,
    Satisfaction,
    TrackingCounter,
)
from civicgrid.cases.transitions import DECIDED, HANDLER, HANDLER_STATE, RATED, SAME, Transition, transition
from civicgrid.core import access
from civicgrid.core.errors import ApplicationError, Conflict, PermissionDenied
from civicgrid.lib import ratelimit, rows
from civicgrid.lib.images import CleanImage, ImageError, clean_image
from civicgrid.places import routing
from civicgrid.places.models import Place

logger = logging.getLogger(__name__)
PHONE_RE = re.compile(r"^(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})$")
IDEMPOTENCY_KEY_RE = re.compile(r"^[A-Za-z0-9._:-]{8,80}$")
State = Case.State
# Django computes `Choices.values` on every access; intake checks these on every report.
SOURCES = frozenset(Case.Source.values)
PRIORITIES = frozenset(Case.Priority.values)


# ---------------------------------------------------------------------------------------------
# Photos


def photos_clean(files: Sequence[BinaryIO | bytes]) -> list[CleanImage]:
    """Validate and strip every uploaded photo, before any transaction starts (it is CPU work)."""
    if len(files) > settings.CASE_PHOTO_MAX_COUNT:
        raise ApplicationError(
            _("At most %(n)d photos can be attached.") % {"n": settings.CASE_PHOTO_MAX_COUNT},
            code="too_many_photos",
            extra={"field": "photos"},
        )
    cleaned = []
    for number, item in enumerate(files, start=1):
        name = getattr(item, "name", "") or ""
        try:
            cleaned.append(clean_image(item, filename=name))
        except ImageError as exc:
            raise ApplicationError(
                _("Photo %(n)d: %(reason)s") % {"n": number, "reason": exc},
                code=f"photo_{exc.code}",
                extra={**exc.extra, "field": "photos", "photo": number},
            )
    return cleaned


def _photos_save(case: Case, event: CaseEvent, photos: Iterable[CleanImage], kind: str) -> None:
    for number, photo in enumerate(photos, start=1):
        stem = f"{event.pk}-{number}-{photo.sha256[:12]}"
        record = CasePhoto(
            case=case,
            event=event,
            kind=kind,
            content_type=photo.content_type,
            sha256=photo.sha256,
            width=photo.width,
            height=photo.height,
        )
        record.image.save(f"{stem}.{photo.extension.lstrip('.')}", ContentFile(photo.content), save=False)
        record.thumbnail.save(f"{stem}-thumb.jpg", ContentFile(photo.thumbnail), save=False)
        record.save()


# ---------------------------------------------------------------------------------------------
# Intake


def _next_tracking_number(now: datetime) -> str:
    """Return the next readable tracking number of the day: 20261129-0042.

    The day's counter is incremented by one UPDATE … RETURNING (SQLite ≥ 3.35 and PostgreSQL) inside
    the caller's transaction, so two intakes never get the same number.
    """
    day = timezone.localdate(now)
    number = _bump_counter(day)
    if number is None:
        try:
            with transaction.atomic():
                TrackingCounter.objects.create(day=day, last=1)
            number = 1
        except IntegrityError:
            number = _bump_counter(day)
    return f"{day:%Y%m%d}-{number:04d}"


def _bump_counter(day) -> int | None:
    table = connection.ops.quote_name(TrackingCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET last = last + 1 WHERE day = %s RETURNING last",  # noqa: S608 - table name only
            [connection.ops.adapt_datefield_value(day)],
        )
        row = cursor.fetchone()
    return row[0] if row else None


@dataclass
class Intake:
    case: Case
    created: bool
    # Where intake routed it (None when a retry returned the first case).
    location: routing.Location | None = None


def _scoped_key(submitter: User | None, key: str) -> str:
    # Keys are per client: two people who happen to pick the same key must not see each other's case.
    return f"{submitter.pk if submitter else 'anon'}:{key}"


def case_create(
    *,
    reporter: User | None,
    source: str,
    category: Category,
    description: str,
    lon: Any,
    lat: Any,
    crs: str = "wgs84",
    address: str = "",
    photos: Sequence[BinaryIO | bytes] = (),
    reporter_name: str = "",
    reporter_phone: str = "",
    is_public: bool = True,
    priority: str = Case.Priority.NORMAL,
    external_ref: str = "",
    idempotency_key: str = "",
    actor: User | None = None,
    event_data: dict[str, Any] | None = None,
    client: str = "",
) -> Intake:
    """File a report as a case; a retried submission returns the first case instead of a second.

    1. Check the input and clean the photos (nothing is written when anything is wrong).
    2. Return the existing case for a known idempotency key or external reference.
    3. Route the point (a point outside every grid is kept, unrouted, for the nearest region).
    4. In one transaction: tracking number, the case, its "report" event (with `event_data`, e.g. when a
       12345 order was received), photos, and a notification to each person whose queue it lands in.
    """
    actor = actor or reporter
    if source not in SOURCES:
        raise ApplicationError(_("Unknown source “%(source)s”.") % {"source": source}, code="invalid_source")
    staff_sources = (Case.Source.HOTLINE, Case.Source.LIAISON, Case.Source.DELIBERATION, Case.Source.PATROL)
    if source in staff_sources and not access.can(actor, access.Perm.CASE_INTAKE):
        raise PermissionDenied(_("Only staff may record cases from this source."))
    if source == Case.Source.MOBILE and not access.has_role(actor, access.Role.MOBILE_GRID_MEMBER):
        raise PermissionDenied(_("Only mobile grid members report as mobile grid members."))
    errors = {}
    if category is None or category.parent_id is None or not category.is_active:
        errors["category"] = _("Choose a category from the list.")
    description = (description or "").strip()
    if not description:
        errors["description"] = _("Describe the problem.")
    elif len(description) > 2000:
        errors["description"] = _("The description is longer than 2000 characters.")
    reporter_phone = (reporter_phone or "").strip().replace(" ", "")
    if reporter_phone and not PHONE_RE.match(reporter_phone):
        errors["reporter_phone"] = _("Enter a mobile number (11 digits) or a landline with area code.")
    if priority not in PRIORITIES:
        errors["priority"] = _("Unknown priority.")
    if idempotency_key and not IDEMPOTENCY_KEY_RE.match(idempotency_key):
        errors["idempotency_key"] = _("An idempotency key has 8 to 80 letters, digits or . _ : -")
    # A photo is required of people on the spot; a hotline caller or a liaison group has none to send.
    on_the_spot = source in (Case.Source.RESIDENT, Case.Source.MOBILE, Case.Source.PATROL)
    if (
        category is not None
        and "category" not in errors
        and category.photo_required
        and on_the_spot
        and not photos
    ):
        errors["photos"] = _("This category needs at least one photo.")
    if errors:
        raise ApplicationError(
            _("Please correct the marked fields."), code="invalid", extra={"fields": errors}
        )
    scoped_key = _scoped_key(actor, idempotency_key) if idempotency_key else None
    existing = _existing(scoped_key, source, external_ref)
    if existing:
        return Intake(existing, False)
    _check_rate(actor, source, client)
    location = routing.locate(lon, lat, crs=crs)
    cleaned = photos_clean(photos)
    now = timezone.now()
    # Everything but the writes is done before the transaction: on SQLite it holds the database's
    # write lock from its first statement (BEGIN IMMEDIATE), so other writers wait for it.
    case = Case(
        source=source,
        category=category,
        description=description,
        address=(address or "").strip()[:200],
        lon=location.lon,
        lat=location.lat,
        input_crs=crs,
        routed=location.routed,
        grid_id=location.grid.id if location.grid else None,
        village_id=location.village.id if location.village else None,
        town_id=location.town.id if location.town else None,
        district_id=location.district.id if location.district else None,
        reporter=reporter,
        reporter_name=(reporter_name or "").strip()[:50],
        reporter_phone=reporter_phone,
        is_public=is_public,
        priority=Case.Priority.URGENT if category.is_urgent else priority,
        external_ref=(external_ref or "").strip()[:64],
        idempotency_key=scoped_key,
    )
    case.step_due_at = deadlines.step_due(case, State.REPORTED, now)
    event = CaseEvent(
        actor=actor,
        actor_role=source,
        action="report",
        to_state=State.REPORTED,
        note="",
        data={**(event_data or {}), "routed": location.routed, "crs": crs},
    )
    try:
        with transaction.atomic():
            case.tracking_number = _next_tracking_number(now)
            # The two INSERTs of every report, with statements built once (civicgrid.lib.rows).
            rows.insert(case)
            event.case = case
            rows.insert(event)
            _photos_save(case, event, cleaned, CasePhoto.Kind.REPORT)
            # In-app notifications are rows of this database: written with the case, never lost apart.
            _notify_step(case, State.REPORTED)
    except IntegrityError:
        # A concurrent submission with the same key or order number won the race: return its case.
        existing = _existing(scoped_key, source, external_ref)
        if existing is None:
            raise
        return Intake(existing, False)
    return Intake(case, True, location)


def _check_rate(actor: User | None, source: str, client: str) -> None:
    """Refuse a flood of reports from one person or, when anonymous, one client address.

    Staff recording hotline orders or liaison-group cases are not limited; a retry of an accepted
    report never counts (it returned above).
    """
    if source not in (Case.Source.RESIDENT, Case.Source.MOBILE):
        return
    if actor is not None and actor.is_authenticated:
        key, limit = f"intake:user:{actor.pk}", settings.CASE_INTAKE_USER_PER_HOUR
    elif client:
        key, limit = f"intake:client:{client}", settings.CASE_INTAKE_ANONYMOUS_PER_HOUR
    else:
        return
    if not ratelimit.allow(key, limit=limit, window=3600):
        raise ApplicationError(
            _("Too many reports from here in the last hour. Please try again later."),
            code="rate_limited",
            status=429,
        )


def _existing(scoped_key: str | None, source: str, external_ref: str) -> Case | None:
    # Intake's hot path: id look-ups in hand-written SQL; the case is loaded only when there is one.
    case_id = None
    if scoped_key:
        case_id = sql.case_id_by_key(scoped_key)
    if case_id is None and external_ref:
        case_id = sql.case_id_by_external_ref(source, external_ref.strip())
    return Case.objects.get(pk=case_id) if case_id is not None else None


# ---------------------------------------------------------------------------------------------
# The workflow


@dataclass
class AppointmentIn:
    starts_at: datetime
    place: str
    participants: str


def allowed_actions(*, case: Case, user: User | None) -> list[Transition]:
    """Return the actions `user` may take on `case` now (pages and the API offer only these)."""
    from civicgrid.cases.transitions import actions_from

    kinds = access.case_actor_kinds(user, case)
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
    kinds = {"system"} if system else access.case_actor_kinds(actor, case)
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
            is_public=action not in ("comment",) or (actor is not None and actor.pk == case.reporter_id),
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
        elif not access.can(actor, access.Perm.CASE_VIEW, merge_into):
            errors["merge_into"] = _("No such case in your area.")
    if (
        grid is not None
        and "grid" in t.requires
        and (
            grid.level != Place.Level.GRID
            or not access.can(actor, access.Perm.PLACE_VIEW, grid)
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


def case_comment(*, case: Case, actor: User, note: str) -> Case:
    return case_act(case=case, action="comment", actor=actor, note=note)


# ---------------------------------------------------------------------------------------------
# Notifications


def _users_with(role: str | Sequence[str], place_id: int | None) -> list[int]:
    if place_id is None:
        return []
    return sql.role_holders([role] if isinstance(role, str) else list(role), place_id)


def _agency_staff(agency_ids: Iterable[int]) -> list[int]:
    return list(
        RoleAssignment.objects.filter(
            role=RoleAssignment.Role.AGENCY_STAFF, agency_id__in=list(agency_ids), is_active=True
        )
        .order_by()
        .values_list("user_id", flat=True)
        .distinct()
    )


GRID_QUEUE_STATES = frozenset({State.REPORTED, State.ACCEPTED, State.GRID_HANDLING, State.CHECKING})


def _queue_places(case: Case, state: str) -> list[tuple[tuple[str, ...], int | None]] | None:
    """Return whose queue a case in `state` is in when that is a place's: role holders at a place, as
    alternatives taken in order (the first with anyone in the role). None for agencies and the reporter."""
    R = RoleAssignment.Role
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
    R = RoleAssignment.Role
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


# ---------------------------------------------------------------------------------------------
# The sweep


@dataclass
class SweepResult:
    overdue: int = 0
    due_soon: int = 0
    auto_closed: int = 0


def cases_sweep(*, now: datetime | None = None) -> SweepResult:
    """Mark overdue steps and tell the level above; warn of deadlines near; close unrated cases.

    Each case is handled with a compare-and-set, so two sweeps running at once do each thing once.
    """
    now = now or timezone.now()
    result = SweepResult()
    open_states = [s for s in State.values if s not in TERMINAL_STATES]
    for case in Case.objects.filter(state=State.RESOLVED, step_due_at__lt=now).select_related("category"):
        try:
            case_act(case=case, action="auto_close", actor=None, system=True)
            result.auto_closed += 1
        except (Conflict, ApplicationError):
            continue
    overdue = Case.objects.filter(state__in=open_states, step_due_at__lt=now, is_overdue=False).exclude(
        state__in=[State.RESOLVED, State.SUSPENDED]
    )
    for case in overdue.select_related("category"):
        with transaction.atomic():
            if not Case.objects.filter(pk=case.pk, version=case.version, is_overdue=False).update(
                is_overdue=True
            ):
                continue
            CaseEvent.objects.create(
                case=case,
                actor=None,
                actor_role="system",
                action="overdue",
                from_state=case.state,
                to_state=case.state,
                data={"due": case.step_due_at.isoformat()},
                is_public=False,
            )
            params = {"number": case.tracking_number, "state": case.state}
            ids = supervisors(case, case.state) + queue_owners(case, case.state)
            transaction.on_commit(
                lambda case=case, ids=ids, params=params: notify(
                    user_ids=ids,
                    case=case,
                    kind=Notification.Kind.OVERDUE,
                    message=notices.OVERDUE,
                    params=params,
                )
            )
        result.overdue += 1
    soon = now + timedelta(hours=settings.CASE_DUE_SOON_HOURS)
    due_soon = Case.objects.filter(
        Q(step_due_at__gte=now, step_due_at__lt=soon),
        state__in=open_states,
        due_notice_sent=False,
        is_overdue=False,
    ).exclude(state__in=[State.RESOLVED, State.SUSPENDED])
    for case in due_soon:
        if not Case.objects.filter(pk=case.pk, due_notice_sent=False).update(due_notice_sent=True):
            continue
        local_due = timezone.localtime(case.step_due_at)
        notify(
            user_ids=queue_owners(case, case.state),
            case=case,
            kind=Notification.Kind.DUE_SOON,
            message=notices.DUE_SOON,
            params={"number": case.tracking_number, "time": f"{local_due:%m-%d %H:%M}"},
        )
        result.due_soon += 1
    return result
