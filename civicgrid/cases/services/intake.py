"""Intake: file a report as a case, once, whatever door it comes through."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.models import ClientApp, User
from civicgrid.cases import access as case_access
from civicgrid.cases import categories, counts, figures
from civicgrid.cases.answers import answers_check
from civicgrid.cases.models import (
    Case,
    CaseEvent,
    CasePhoto,
    Category,
    TrackingCounter,
)
from civicgrid.cases.services.notifying import notify_step
from civicgrid.cases.services.photos import _photos_save, photos_clean
from civicgrid.cases.workflow import step_due
from civicgrid.core.errors import ApplicationError, PermissionDenied
from civicgrid.lib import ratelimit
from civicgrid.places import routing

logger = logging.getLogger(__name__)
PHONE_RE = re.compile(r"^(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})$")
IDEMPOTENCY_KEY_RE = re.compile(r"^[A-Za-z0-9._:-]{8,80}$")
State = Case.State
# Django computes `Choices.values` on every access; intake checks these on every report.
SOURCES = frozenset(Case.Source.values)
PRIORITIES = frozenset(Case.Priority.values)
# Reports are counted per person or address per hour (CASE_INTAKE_*_PER_HOUR).
RATE_WINDOW = 3600

# ---------------------------------------------------------------------------------------------
# Intake


def _next_tracking_number(now: datetime) -> str:
    """Return the next readable tracking number of the day: 20261129-0042.

    The day's counter is incremented by one UPDATE … RETURNING (SQLite ≥ 3.35 and PostgreSQL), so two
    intakes never get the same number.
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


# Sources where staff record a case for someone else: never the recorder's own report.
STAFF_SOURCES = frozenset(
    {Case.Source.HOTLINE, Case.Source.LIAISON, Case.Source.DELIBERATION, Case.Source.PATROL}
)
# A photo is required of people on the spot; a hotline caller or a liaison group has none to send.
ON_THE_SPOT_SOURCES = frozenset({Case.Source.RESIDENT, Case.Source.MOBILE, Case.Source.PATROL})
# Staff writing down what a caller or a meeting told them (a 12345 order, imported or typed) file the
# case without the answers nobody gave: a required question is not asked of these sources.
# Reports anyone may send, counted per person or client address: the report page and the API. An
# Open311 client app is limited per key by its door (`accounts.services.client_app_check_rate`).
RATE_LIMITED_SOURCES = frozenset({Case.Source.RESIDENT, Case.Source.MOBILE})
TOLD_SOURCES = frozenset({Case.Source.HOTLINE, Case.Source.LIAISON, Case.Source.DELIBERATION})


def _scoped_key(submitter: User | None, key: str) -> str:
    # Keys are per signed-in client; anonymous clients share one namespace, where the request's
    # fingerprint keeps one client's retry from being answered with another client's case.
    return f"{submitter.pk if submitter else 'anon'}:{key}"


def request_fingerprint(
    *,
    source: str,
    category: str,
    lon: float,
    lat: float,
    description: str,
    address: str,
    photo_hashes: Sequence[str],
    reporter_name: str,
    reporter_phone: str,
    is_public: bool,
    priority: str,
    external_ref: str,
    answers: Mapping[str, Any] | None = None,
) -> str:
    """Return a hash of the normalized fields that make a report: the same request gives the same hash.

    The point is WGS-84 rounded to about 1 cm, so one point sent in another coordinate system or
    with more digits is still the same report. Answers (as `answers_check` normalised them) count
    when there are any; a report without them hashes as it did before questions existed.
    """
    fields = [
        source,
        category,
        round(lon, 7),
        round(lat, 7),
        description,
        address,
        list(photo_hashes),
        reporter_name,
        reporter_phone,
        bool(is_public),
        priority,
        external_ref,
    ]
    if answers:
        fields.append([[code, answers[code]] for code in sorted(answers)])
    return hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode()).hexdigest()


def case_create(
    *,
    reporter: User | None,
    source: str,
    category: Category | str | None,
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
    answers: Mapping[str, Any] | None = None,
    client_app: ClientApp | None = None,
    location: routing.Location | None = None,
    resolution_due_at: datetime | None = None,
    after_insert: Callable[[Case], None] | None = None,
) -> Intake:
    """File a report as a case; a retried submission returns the first case instead of a second.

    Every intake door (report page, API, 12345 orders and imports, Open311) calls this with what it
    got, and every intake rule is here:

    1. Check the input: the source against the actor (staff record for others, mobile grid members
       report as such), staff-only fields (a reporter's name, urgent, an external reference), the
       category (`categories.eligible`, from a code or a Category), the text, phone and photo count,
       the answers to the category's questions (`answers.answers_check`: errors keyed
       `answers.<code>`). Nothing is written when anything is wrong.
    2. Route the point (a point outside every grid is kept, unrouted, for the nearest region), clean
       the photos and take the request's fingerprint.
    3. Insert first, in one transaction: tracking number, the case with its (scoped) idempotency key and
       fingerprint, its "report" event (with `event_data`, e.g. when a 12345 order was received),
       photos, and a notification to each person whose queue it lands in.
    4. When the key or the external reference is taken (a retry, or a concurrent submission that won),
       read that case back: the same request returns it; the key with another request is refused
       (422, `idempotency_key_reused`), saying nothing of the other case. An external reference (a
       12345 order number) returns its case even if the order reads differently now.

    An Open311 request (source "open311") is filed by the client application whose key it came with
    (`client_app`), and only so; the client may name the person reporting. `location`: where a report
    without a point was placed from its address (`places.addresses.locate_address`), unrouted.
    `resolution_due_at`: a deadline the report came with (a 12345 order's own time limit), kept as
    the case's resolution deadline; the first step is due by then at the latest. `after_insert(case)`
    writes what a door keeps beside the case (the 12345 order's row) in the case's own transaction.
    """
    actor = actor or reporter
    if source not in SOURCES:
        raise ApplicationError(_("Unknown source “%(source)s”.") % {"source": source}, code="invalid_source")
    if (source == Case.Source.OPEN311) != (client_app is not None):
        message = _("Open311 requests are filed by a client application with its api_key, at /open311/v2/.")
        raise ApplicationError(message, code="invalid_source", extra={"fields": {"source": message}})
    reporter_name = (reporter_name or "").strip()[:50]
    external_ref = (external_ref or "").strip()[:64]
    is_staff = False
    if source in STAFF_SOURCES:
        case_access.check_intake(actor)
        is_staff = True
        # A case recorded for someone else is not the recorder's own report; the event names the recorder.
        reporter = None
    elif reporter_name or external_ref or priority == Case.Priority.URGENT:
        # Asked only when it matters: a resident's plain report never looks up roles.
        is_staff = case_access.can_intake(actor)
    if source == Case.Source.MOBILE and not case_access.is_mobile_grid_member(actor):
        raise PermissionDenied(_("Only mobile grid members report as mobile grid members."))
    errors = {}
    if not is_staff:
        if reporter_name and client_app is None:
            errors["reporter_name"] = _("Only staff recording a case for someone give the reporter's name.")
        if priority == Case.Priority.URGENT:
            errors["priority"] = _("Only staff mark a report urgent; urgent categories are urgent anyway.")
        if external_ref:
            errors["external_ref"] = _("Only staff give an external reference.")
    chosen = categories.eligible(category)
    if chosen is None:
        code = category.code if isinstance(category, Category) else (category or "").strip()
        errors["category"] = (
            _("No category with the code “%(code)s” to choose.") % {"code": code[:20]}
            if code
            else _("Choose a category from the list.")
        )
    cleaned_answers: dict[str, Any] = {}
    if chosen is not None:
        cleaned_answers, answer_errors = answers_check(chosen, answers, require=source not in TOLD_SOURCES)
        errors.update(answer_errors)
    description = (description or "").strip()
    if not description and (chosen is None or chosen.description_required):
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
    if chosen is not None and chosen.photo_required and source in ON_THE_SPOT_SOURCES and not photos:
        errors["photos"] = _("This category needs at least one photo.")
    if errors:
        raise ApplicationError(
            _("Please correct the marked fields."), code="invalid", extra={"fields": errors}
        )
    assert chosen is not None
    address = (address or "").strip()[:200]
    scoped_key = _scoped_key(actor, idempotency_key) if idempotency_key else None
    limited = None
    rate_key = None
    try:
        rate_key = _check_rate(actor, source, client)
    except ApplicationError as exc:
        # A retry of an accepted report is still answered when its sender is at the limit (below).
        if scoped_key is None:
            raise
        limited = exc
    # A report placed by its address alone comes with where it was placed (`places.addresses`).
    location = location if location is not None else routing.locate(lon, lat, crs=crs)
    cleaned = photos_clean(photos)
    fingerprint = request_fingerprint(
        source=source,
        category=chosen.code,
        lon=location.lon,
        lat=location.lat,
        description=description,
        address=address,
        photo_hashes=[p.sha256 for p in cleaned],
        reporter_name=reporter_name,
        reporter_phone=reporter_phone,
        is_public=is_public,
        priority=priority,
        external_ref=external_ref,
        answers=cleaned_answers,
    )
    if limited is not None:
        existing = _existing(scoped_key, source, external_ref, fingerprint)
        if existing is None:
            raise limited
        return Intake(existing, False)
    now = timezone.now()
    # Everything but the writes is done before the transaction: on SQLite it holds the database's
    # write lock from its first statement (BEGIN IMMEDIATE), so other writers wait for it.
    case = Case(
        source=source,
        category=chosen,
        description=description,
        address=address,
        lon=location.lon,
        lat=location.lat,
        input_crs=crs,
        routed=location.routed,
        grid_id=location.grid.id if location.grid else None,
        village_id=location.village.id if location.village else None,
        town_id=location.town.id if location.town else None,
        district_id=location.district.id if location.district else None,
        reporter=reporter,
        reporter_name=reporter_name,
        reporter_phone=reporter_phone,
        is_public=is_public,
        priority=Case.Priority.URGENT if chosen.is_urgent else priority,
        external_ref=external_ref,
        idempotency_key=scoped_key,
        request_fingerprint=fingerprint if scoped_key else "",
        answers=cleaned_answers,
    )
    case.resolution_due_at = case.due_limit = resolution_due_at
    case.step_due_at = step_due(case, State.REPORTED, now)
    if resolution_due_at is not None and case.step_due_at is not None:
        case.step_due_at = min(case.step_due_at, resolution_due_at)
    event = CaseEvent(
        actor=actor,
        actor_role=source,
        action="report",
        to_state=State.REPORTED,
        note="",
        data={**(event_data or {}), "routed": location.routed, "crs": crs},
    )
    # On PostgreSQL the day's counter row stays locked from its UPDATE to the end of the transaction,
    # so drawn inside, every report of the day would wait for the one before it to commit (measured:
    # 3.9 ms of each intake's 17 under the bench's 16 clients). It is drawn in its own statement
    # first: numbers stay unique and increasing, and a report that then fails (a retry refused by
    # its key) leaves a gap. On SQLite a writer holds the whole database anyway: drawn inside.
    early = connection.vendor == "postgresql" and not connection.in_atomic_block
    number = _next_tracking_number(now) if early else None
    try:
        with transaction.atomic():
            case.tracking_number = number or _next_tracking_number(now)
            # Insert first: the unique key (or order number) refuses a second case for one request.
            case.save(force_insert=True)
            event.case = case
            event.save(force_insert=True)
            _photos_save(case, event, cleaned, CasePhoto.Kind.REPORT)
            if after_insert is not None:
                after_insert(case)
            # In-app notifications are rows of this database: written with the case, never lost apart.
            notify_step(case, State.REPORTED)
            # Last, so the day's tally rows, which every report updates, are held the shortest time.
            figures.record(case, event)
            counts.move(None, counts.where(case))
    except IntegrityError:
        # The key or order number is taken: a retry, or a concurrent submission that won the race.
        existing = _existing(scoped_key, source, external_ref, fingerprint)
        if existing is None:
            raise
        if rate_key is not None:
            # A retry of an accepted report does not count against its sender's limit.
            ratelimit.give_back(rate_key, window=RATE_WINDOW)
        return Intake(existing, False)
    return Intake(case, True, location)


def _check_rate(actor: User | None, source: str, client: str) -> str | None:
    """Refuse a flood of reports from one person or, when anonymous, one client address; return the
    key the report was counted under (None when not counted).

    Staff recording hotline orders or liaison-group cases are not limited, nor Open311 client apps
    here (their door limits each key); residents and mobile grid members are.
    """
    if source not in RATE_LIMITED_SOURCES:
        return None
    if actor is not None and actor.is_authenticated:
        key, limit = f"intake:user:{actor.pk}", settings.CASE_INTAKE_USER_PER_HOUR
    elif client:
        key, limit = f"intake:client:{client}", settings.CASE_INTAKE_ANONYMOUS_PER_HOUR
    else:
        return None
    if limit <= 0:
        return None
    if not ratelimit.allow(key, limit=limit, window=RATE_WINDOW):
        raise ApplicationError(
            _("Too many reports from here in the last hour. Please try again later."),
            code="rate_limited",
            status=429,
        )
    return key


def _existing(scoped_key: str | None, source: str, external_ref: str, fingerprint: str) -> Case | None:
    """Return the case already filed with this key or order number, or None.

    A case found by its key must have been filed by the same request; otherwise the key is refused
    without a word about that case (another anonymous client may have chosen the same key).
    """
    if scoped_key:
        case = Case.objects.filter(idempotency_key=scoped_key).first()
        if case is not None:
            if case.request_fingerprint != fingerprint:
                raise ApplicationError(
                    _(
                        "This idempotency key was already used for a different report. "
                        "Send a new report with a new key."
                    ),
                    code="idempotency_key_reused",
                    extra={"field": "idempotency_key"},
                    status=422,
                )
            return case
    if external_ref:
        return Case.objects.filter(source=source, external_ref=external_ref).first()
    return None
