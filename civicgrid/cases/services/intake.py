"""Intake: file a report as a case, once, whatever door it comes through."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.models import User
from civicgrid.cases import access as case_access
from civicgrid.cases import sql
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
from civicgrid.lib import ratelimit, rows
from civicgrid.places import routing

logger = logging.getLogger(__name__)
PHONE_RE = re.compile(r"^(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})$")
IDEMPOTENCY_KEY_RE = re.compile(r"^[A-Za-z0-9._:-]{8,80}$")
State = Case.State
# Django computes `Choices.values` on every access; intake checks these on every report.
SOURCES = frozenset(Case.Source.values)
PRIORITIES = frozenset(Case.Priority.values)

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
    if source in staff_sources and not case_access.can_intake(actor):
        raise PermissionDenied(_("Only staff may record cases from this source."))
    if source == Case.Source.MOBILE and not case_access.is_mobile_grid_member(actor):
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
    case.step_due_at = step_due(case, State.REPORTED, now)
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
            notify_step(case, State.REPORTED)
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
