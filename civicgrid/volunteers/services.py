"""Every write of the volunteers app: registration, teams, activities, sign-ups, attendance, hours,
certificates. Each runs in one transaction, checks `access` first, and writes its audit row (for
administrative writes) in that transaction; `hours_approved` goes out after the commit.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.core import audit
from civicgrid.core.errors import ApplicationError, Conflict, NotFound, PermissionDenied, invalid
from civicgrid.lib.geo import haversine_m
from civicgrid.lib.privacy import mask_id_number
from civicgrid.places.models import Place
from civicgrid.volunteers import access, checkin, conf
from civicgrid.volunteers.choices import ServiceField
from civicgrid.volunteers.models import (
    Activity,
    Certificate,
    HoursRecord,
    Signup,
    Team,
    TeamMembership,
    Volunteer,
    split_skills,
)
from civicgrid.volunteers.selectors import record_lines
from civicgrid.volunteers.signals import HoursAnnouncement, hours_approved

logger = logging.getLogger("civicgrid.volunteers")

# Check-in opens this long before an activity starts.
CHECKIN_EARLY = timedelta(minutes=30)
# Check-out stays open this long after the scheduled end (until the activity is closed).
CHECKOUT_LATE = timedelta(hours=2)
MAX_MANUAL_MINUTES = 24 * 60


def _lock_place(community: Place) -> None:
    """Serialise numbering within a community (PostgreSQL row lock; SQLite writes are serial anyway)."""
    list(Place.objects.select_for_update().filter(pk=community.pk).values_list("pk", flat=True))


# ---------------------------------------------------------------------------------------------
# Registration


def id_number_hash(id_number: str) -> str:
    return hmac.new(
        settings.SECRET_KEY.encode(), id_number.strip().upper().encode(), hashlib.sha256
    ).hexdigest()


@transaction.atomic
def volunteer_register(
    *,
    user,
    community: Place,
    real_name: str,
    skills: str = "",
    national_number: str = "",
    id_number: str = "",
    phone: str | None = None,
) -> Volunteer:
    """Register `user` as a volunteer of `community` and give them the community's next number.

    The phone comes from the account unless given (a roster import of someone without one); an ID
    number is kept only as a keyed hash and its masked form.
    """
    errors: dict[str, str] = {}
    if community is None or community.level != Place.Level.VILLAGE:
        errors["community"] = _("Choose a village or community.")
    real_name = (real_name or "").strip()
    if not real_name:
        errors["real_name"] = _("Enter your real name.")
    elif len(real_name) > 50:
        errors["real_name"] = _("Enter at most %(limit)s characters.") % {"limit": 50}
    id_number = (id_number or "").strip().upper()
    if id_number and not (
        len(id_number) == 18 and id_number[:17].isdigit() and id_number[17] in "0123456789X"
    ):
        errors["id_number"] = _("Enter an 18-character resident ID number.")
    if errors:
        raise invalid(errors)
    if Volunteer.objects.filter(user=user).exists():
        raise Conflict(_("This account is already registered as a volunteer."), code="already_registered")
    _lock_place(community)
    seq = (Volunteer.objects.filter(community=community).aggregate(m=Max("seq"))["m"] or 0) + 1
    volunteer = Volunteer.objects.create(
        user=user,
        community=community,
        real_name=real_name,
        phone=(phone if phone is not None else user.phone) or "",
        skills="、".join(split_skills(skills or ""))[:200],
        number=f"{community.code}-{seq:04d}",
        seq=seq,
        national_number=(national_number or "").strip()[:40],
        id_number_hash=id_number_hash(id_number) if id_number else "",
        id_number_masked=mask_id_number(id_number) if id_number else "",
    )
    if hasattr(user, "_civicgrid_volunteer"):
        del user._civicgrid_volunteer
    return volunteer


@transaction.atomic
def volunteer_update(*, volunteer: Volunteer, actor, skills: str, national_number: str = "") -> Volunteer:
    """Change a volunteer's skills and national number (the person, or whoever may see their record)."""
    access.check_view_volunteer(actor, volunteer)
    Volunteer.objects.filter(pk=volunteer.pk).update(
        skills="、".join(split_skills(skills or ""))[:200],
        national_number=(national_number or "").strip()[:40],
    )
    volunteer.refresh_from_db()
    return volunteer


# ---------------------------------------------------------------------------------------------
# Teams


@transaction.atomic
def team_create(*, actor, community: Place, name: str, service_field: str, description: str = "") -> Team:
    """Create a team of `community` (its office only)."""
    access.check_manage_community(actor, community)
    name = (name or "").strip()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = _("Enter the team's name.")
    if service_field not in ServiceField.values:
        errors["service_field"] = _("Choose a service field.")
    if name and Team.objects.filter(community=community, name=name).exists():
        errors["name"] = _("This community already has a team of that name.")
    if errors:
        raise invalid(errors)
    team = Team.objects.create(
        community=community, name=name[:100], service_field=service_field, description=description or ""
    )
    audit.record(
        actor=actor,
        action="volunteers.team_create",
        target=team,
        place_code=community.code,
        changes=audit.as_created({"name": team.name, "service_field": service_field}),
    )
    return team


def team_update(
    *, actor, team: Team, name: str, service_field: str, description: str = "", is_active: bool = True
) -> Team:
    """Rename a team, change its field or description, or retire it (its office only). A retired team
    keeps its activities and hours; it takes no new activities."""
    access.check_administer_team(actor, team)
    name = (name or "").strip()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = _("Enter the team's name.")
    if service_field not in ServiceField.values:
        errors["service_field"] = _("Choose a service field.")
    if name and Team.objects.filter(community=team.community, name=name).exclude(pk=team.pk).exists():
        errors["name"] = _("This community already has a team of that name.")
    if errors:
        raise invalid(errors)
    fields = ["name", "service_field", "description", "is_active"]
    before = audit.snapshot(team, fields)
    team.name, team.service_field = name[:100], service_field
    team.description, team.is_active = (description or "").strip(), bool(is_active)
    team.save(update_fields=fields)
    changes = audit.diff(before, audit.snapshot(team, fields))
    if changes:
        audit.record(
            actor=actor,
            action="volunteers.team_update",
            target=team,
            place_code=team.community.code,
            changes=changes,
        )
    return team


def _membership(team: Team, volunteer: Volunteer) -> TeamMembership | None:
    return TeamMembership.objects.filter(team=team, volunteer=volunteer).first()


@transaction.atomic
def team_member_add(
    *, actor, team: Team, volunteer: Volunteer, role: str = TeamMembership.Role.MEMBER
) -> TeamMembership:
    """Put `volunteer` on the team's roster (leaders and the office); only the office appoints leaders."""
    access.check_manage_team(actor, team)
    if role == TeamMembership.Role.LEADER:
        access.check_administer_team(actor, team)
    elif role != TeamMembership.Role.MEMBER:
        raise invalid({"role": _("Choose a role.")})
    membership = _membership(team, volunteer)
    if membership is None:
        membership = TeamMembership.objects.create(team=team, volunteer=volunteer, role=role)
        changes = audit.as_created({"volunteer": str(volunteer), "role": role})
    else:
        before = {"role": membership.role, "is_active": membership.is_active}
        TeamMembership.objects.filter(pk=membership.pk).update(role=role, is_active=True)
        membership.refresh_from_db()
        changes = audit.diff(before, {"role": role, "is_active": True})
    audit.record(
        actor=actor,
        action="volunteers.leader_appoint" if role == TeamMembership.Role.LEADER else "volunteers.member_add",
        target=membership,
        place_code=team.community.code,
        changes=changes,
    )
    return membership


@transaction.atomic
def team_member_remove(*, actor, team: Team, volunteer: Volunteer) -> None:
    """Take `volunteer` off the roster (their hours stay theirs); removing a leader is the office's."""
    access.check_manage_team(actor, team)
    membership = _membership(team, volunteer)
    if membership is None or not membership.is_active:
        raise NotFound(_("This volunteer is not on the team."))
    if membership.role == TeamMembership.Role.LEADER:
        access.check_administer_team(actor, team)
    TeamMembership.objects.filter(pk=membership.pk).update(is_active=False, role=TeamMembership.Role.MEMBER)
    audit.record(
        actor=actor,
        action="volunteers.member_remove",
        target=membership,
        place_code=team.community.code,
        changes={"is_active": {"from": True, "to": False}},
    )


# ---------------------------------------------------------------------------------------------
# Activities

ACTIVITY_FIELDS = (
    "title",
    "description",
    "service_field",
    "starts_at",
    "ends_at",
    "place_name",
    "lon",
    "lat",
    "capacity",
    "signup_opens_at",
    "signup_closes_at",
    "cancel_cutoff_hours",
    "required_skills",
    "checkin_radius_m",
    "status",
)


def _clean_activity(values: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    values = {k: values.get(k) for k in ACTIVITY_FIELDS}
    values["title"] = (values["title"] or "").strip()
    values["place_name"] = (values["place_name"] or "").strip()
    values["description"] = values["description"] or ""
    values["required_skills"] = "、".join(split_skills(values["required_skills"] or ""))[:200]
    values["cancel_cutoff_hours"] = values["cancel_cutoff_hours"] or 0
    values["status"] = values["status"] or Activity.Status.PUBLISHED
    if not values["title"]:
        errors["title"] = _("Enter a title.")
    if not values["place_name"]:
        errors["place_name"] = _("Enter where volunteers meet.")
    if values["service_field"] not in ServiceField.values:
        errors["service_field"] = _("Choose a service field.")
    if values["status"] not in (Activity.Status.DRAFT, Activity.Status.PUBLISHED):
        errors["status"] = _("Choose draft or published.")
    starts, ends = values["starts_at"], values["ends_at"]
    if not isinstance(starts, datetime):
        errors["starts_at"] = _("Enter a date and time.")
    if not isinstance(ends, datetime):
        errors["ends_at"] = _("Enter a date and time.")
    elif isinstance(starts, datetime) and ends <= starts:
        errors["ends_at"] = _("The end must come after the start.")
    elif isinstance(starts, datetime) and ends - starts > timedelta(hours=24):
        errors["ends_at"] = _("An activity lasts at most 24 hours; make one per day.")
    capacity = values["capacity"]
    if not isinstance(capacity, int) or capacity < 1 or capacity > 10000:
        errors["capacity"] = _("Enter a number of places between 1 and 10,000.")
    lon, lat = values["lon"], values["lat"]
    if (lon is None) != (lat is None):
        errors["lon"] = _("Give both longitude and latitude, or neither.")
    elif lon is not None and not (-180 <= lon <= 180 and -90 <= lat <= 90):
        errors["lon"] = _("This is not a WGS-84 longitude and latitude.")
    radius = values["checkin_radius_m"]
    if radius is not None:
        if radius < 10 or radius > 100000:
            errors["checkin_radius_m"] = _("Enter a distance between 10 and 100,000 metres.")
        elif lon is None:
            errors["checkin_radius_m"] = _("A check-in distance needs the place's longitude and latitude.")
    opens, closes = values["signup_opens_at"], values["signup_closes_at"]
    if opens and closes and closes <= opens:
        errors["signup_closes_at"] = _("Sign-up must close after it opens.")
    if closes and isinstance(ends, datetime) and closes > ends:
        errors["signup_closes_at"] = _("Sign-up must close before the activity ends.")
    if values["cancel_cutoff_hours"] < 0 or values["cancel_cutoff_hours"] > 720:
        errors["cancel_cutoff_hours"] = _("Enter a number of hours between 0 and 720.")
    if errors:
        raise invalid(errors)
    return values


@transaction.atomic
def activity_create(*, actor, team: Team, **fields) -> Activity:
    """Create an activity of `team` (its leaders and the office), published unless saved as a draft."""
    access.check_manage_team(actor, team)
    if not team.is_active:
        raise Conflict(_("This team is no longer active."), code="team_inactive")
    values = _clean_activity(fields)
    activity = Activity.objects.create(team=team, community=team.community, created_by=actor, **values)
    audit.record(
        actor=actor,
        action="volunteers.activity_create",
        target=activity,
        place_code=team.community.code,
        changes=audit.as_created({"title": activity.title, "starts_at": activity.starts_at}),
    )
    return activity


@transaction.atomic
def activity_update(*, actor, activity: Activity, **fields) -> Activity:
    """Change an activity that is not closed or cancelled; never below the places already taken.

    Added places go to the waiting list in order, as a cancellation would.
    """
    activity = _lock_activity(activity.pk)
    access.check_manage_team(actor, activity.team)
    if activity.status in (Activity.Status.CLOSED, Activity.Status.CANCELLED):
        raise Conflict(_("A closed or cancelled activity cannot be changed."), code="activity_final")
    values = _clean_activity(fields)
    confirmed = activity.signups.filter(state=Signup.State.CONFIRMED).count()
    if values["capacity"] < confirmed:
        raise invalid(
            {
                "capacity": _("%(n)d volunteers already have a place; cancel sign-ups first.")
                % {"n": confirmed}
            }
        )
    before = audit.snapshot(activity, list(ACTIVITY_FIELDS))
    Activity.objects.filter(pk=activity.pk).update(**values)
    activity.refresh_from_db()
    _promote(activity)
    audit.record(
        actor=actor,
        action="volunteers.activity_update",
        target=activity,
        place_code=activity.community.code,
        changes=audit.diff(before, audit.snapshot(activity, list(ACTIVITY_FIELDS))),
    )
    return activity


@transaction.atomic
def activity_cancel(*, actor, activity: Activity) -> Activity:
    activity = _lock_activity(activity.pk)
    access.check_manage_team(actor, activity.team)
    if activity.status not in (Activity.Status.DRAFT, Activity.Status.PUBLISHED):
        raise Conflict(_("A closed or cancelled activity cannot be changed."), code="activity_final")
    if activity.signups.filter(checked_in_at__isnull=False).exists():
        raise Conflict(
            _("Volunteers have already checked in; close the activity instead."), code="has_attendance"
        )
    Activity.objects.filter(pk=activity.pk).update(status=Activity.Status.CANCELLED)
    audit.record(
        actor=actor,
        action="volunteers.activity_update",
        target=activity,
        place_code=activity.community.code,
        changes={"status": {"from": activity.status, "to": Activity.Status.CANCELLED}},
    )
    activity.refresh_from_db()
    return activity


def _lock_activity(activity_id: int) -> Activity:
    """Return the activity, row-locked for the transaction (sign-ups and the waiting list serialise on it)."""
    activity = Activity.objects.select_for_update().filter(pk=activity_id).first()
    if activity is None:
        raise NotFound(_("No such activity."))
    # The related rows are read after the lock, without locking them too.
    return Activity.objects.select_related("team", "community").get(pk=activity.pk)


# ---------------------------------------------------------------------------------------------
# Sign-up and the waiting list


def _promote(activity: Activity, now: datetime | None = None) -> list[Signup]:
    """Move the waiting list up into free places, first come first served (under the activity's lock)."""
    free = activity.capacity - activity.signups.filter(state=Signup.State.CONFIRMED).count()
    if free <= 0:
        return []
    moved = list(activity.signups.filter(state=Signup.State.WAITING).order_by("queued_at", "id")[:free])
    if moved:
        Signup.objects.filter(pk__in=[s.pk for s in moved]).update(state=Signup.State.CONFIRMED)
    return moved


@transaction.atomic
def signup_create(*, activity: Activity, volunteer: Volunteer, actor, now: datetime | None = None) -> Signup:
    """Sign `volunteer` up: a place while there is one, else the waiting list.

    1. Lock the activity's row: concurrent sign-ups for the last places wait for each other, so the
       confirmed count read here is the one the insert is judged by (capacity is never exceeded).
    2. Refuse outside the sign-up window, for a draft, cancelled, closed or started activity.
    3. Confirm when a place is free, else queue; a cancelled sign-up is reused with a new place in line.
    """
    now = now or timezone.now()
    if actor.pk != volunteer.user_id:
        raise PermissionDenied(_("Volunteers sign themselves up."))
    if not volunteer.is_active:
        raise PermissionDenied(_("Your volunteer registration is not active."))
    activity = _lock_activity(activity.pk)
    if activity.status != Activity.Status.PUBLISHED:
        raise Conflict(_("This activity is not open for sign-up."), code="not_open")
    if activity.signup_opens_at and now < activity.signup_opens_at:
        raise Conflict(_("Sign-up has not opened yet."), code="signup_not_open")
    closes = activity.signup_closes_at or activity.starts_at
    if now >= closes:
        raise Conflict(_("Sign-up for this activity has closed."), code="signup_closed")
    existing = Signup.objects.filter(activity=activity, volunteer=volunteer).first()
    if existing is not None and existing.state != Signup.State.CANCELLED:
        raise Conflict(_("You have already signed up for this activity."), code="already_signed_up")
    taken = activity.signups.filter(state=Signup.State.CONFIRMED).count()
    waiting = activity.signups.filter(state=Signup.State.WAITING).exists()
    state = Signup.State.CONFIRMED if taken < activity.capacity and not waiting else Signup.State.WAITING
    if existing is None:
        return Signup.objects.create(activity=activity, volunteer=volunteer, state=state, queued_at=now)
    Signup.objects.filter(pk=existing.pk).update(state=state, queued_at=now, cancelled_at=None)
    existing.refresh_from_db()
    return existing


def cancel_deadline(activity: Activity) -> datetime:
    return activity.starts_at - timedelta(hours=activity.cancel_cutoff_hours)


@transaction.atomic
def signup_cancel(*, activity: Activity, volunteer: Volunteer, actor, now: datetime | None = None) -> Signup:
    """Cancel a sign-up (the volunteer, within the cancellation rule; or the team's managers, any time
    before the start); the first on the waiting list takes the freed place, in the same transaction."""
    now = now or timezone.now()
    activity = _lock_activity(activity.pk)
    by_manager = actor.pk != volunteer.user_id
    if by_manager:
        access.check_manage_team(actor, activity.team)
    signup = (
        Signup.objects.filter(activity=activity, volunteer=volunteer)
        .exclude(state=Signup.State.CANCELLED)
        .first()
    )
    if signup is None:
        raise NotFound(_("There is no sign-up to cancel."))
    if activity.status != Activity.Status.PUBLISHED or now >= activity.starts_at or signup.checked_in_at:
        raise Conflict(_("The activity has started; a sign-up can no longer be cancelled."), code="started")
    if not by_manager and signup.state == Signup.State.CONFIRMED and now >= cancel_deadline(activity):
        raise Conflict(
            _("Places cannot be cancelled within %(hours)d hours of the start; ask the team leader.")
            % {"hours": activity.cancel_cutoff_hours},
            code="cancel_too_late",
        )
    Signup.objects.filter(pk=signup.pk).update(state=Signup.State.CANCELLED, cancelled_at=now)
    _promote(activity, now)
    signup.refresh_from_db()
    return signup


# ---------------------------------------------------------------------------------------------
# Attendance


@dataclass(frozen=True)
class Scan:
    signup: Signup
    action: str  # "in" or "out"


def _distance_check(activity: Activity, lon: float | None, lat: float | None) -> None:
    if activity.checkin_radius_m is None or activity.lon is None:
        return
    if lon is None or lat is None:
        raise ApplicationError(
            _("This activity checks where you are: allow your browser to share your location and try again."),
            code="position_required",
        )
    distance = haversine_m(lon, lat, activity.lon, activity.lat)
    if distance > activity.checkin_radius_m:
        raise ApplicationError(
            _("You are %(distance)d m from the activity's place; check in within %(radius)d m of it.")
            % {"distance": round(distance), "radius": activity.checkin_radius_m},
            code="too_far",
            extra={"distance_m": round(distance), "radius_m": activity.checkin_radius_m},
        )


@transaction.atomic
def attendance_scan(
    *,
    activity: Activity,
    user,
    token: str = "",
    ticket: str = "",
    lon: float | None = None,
    lat: float | None = None,
    now: datetime | None = None,
) -> Scan:
    """Check the signed-in volunteer in (or, once in, out) with the activity's code.

    1. The code's token must be of the current or previous window, or the ticket of a valid scan
       still fresh (the confirmation page's); a photo of an old code is refused.
    2. The volunteer must hold a confirmed place; check-in opens 30 minutes before the start,
       check-out stays open until two hours after the end.
    3. With a check-in distance, the position sent must lie within it.
    """
    now = now or timezone.now()
    if not (token and checkin.token_valid(activity.pk, token, now)) and not (
        ticket and checkin.ticket_valid(ticket, activity.pk, user.pk)
    ):
        raise ApplicationError(
            _("This code has expired. Scan the code on the leader's phone again."), code="code_expired"
        )
    volunteer = access.volunteer_of(user)
    activity = _lock_activity(activity.pk)
    signup = None
    if volunteer is not None:
        signup = Signup.objects.filter(
            activity=activity, volunteer=volunteer, state=Signup.State.CONFIRMED
        ).first()
    if signup is None:
        raise PermissionDenied(_("You have no confirmed place on this activity."), code="not_signed_up")
    if activity.status != Activity.Status.PUBLISHED:
        raise Conflict(_("This activity is closed for check-in."), code="not_open")
    if signup.checked_out_at:
        raise Conflict(_("You have already checked out of this activity."), code="already_checked_out")
    _distance_check(activity, lon, lat)
    if signup.checked_in_at is None:
        if now < activity.starts_at - CHECKIN_EARLY:
            raise Conflict(_("Check-in opens 30 minutes before the start."), code="too_early")
        if now >= activity.ends_at:
            raise Conflict(
                _("The activity has ended; ask the leader to record your attendance."), code="ended"
            )
        updated = Signup.objects.filter(pk=signup.pk, checked_in_at__isnull=True).update(checked_in_at=now)
        action = "in"
    else:
        if now > activity.ends_at + CHECKOUT_LATE:
            raise Conflict(_("Check-out has closed; ask the leader to record it."), code="ended")
        updated = Signup.objects.filter(pk=signup.pk, checked_out_at__isnull=True).update(checked_out_at=now)
        action = "out"
    if not updated:
        raise Conflict(_("Your attendance changed meanwhile; reload the page."), code="conflict")
    signup.refresh_from_db()
    return Scan(signup=signup, action=action)


@transaction.atomic
def attendance_mark(*, actor, signup: Signup, action: str, at: datetime | None = None) -> Signup:
    """Check a volunteer in or out by hand (the team's leaders and office), or undo a mistaken mark.

    `action`: "in", "out", "clear" (no attendance). Only before the activity is closed.
    """
    at = at or timezone.now()
    activity = _lock_activity(signup.activity_id)
    access.check_manage_team(actor, activity.team)
    signup = Signup.objects.get(pk=signup.pk)
    if activity.status != Activity.Status.PUBLISHED:
        raise Conflict(_("Attendance can only be changed before the activity is closed."), code="not_open")
    if signup.state != Signup.State.CONFIRMED:
        raise Conflict(_("Only volunteers with a confirmed place can be checked in."), code="not_confirmed")
    if action == "in":
        changes = {
            "checked_in_at": signup.checked_in_at or at,
            "checked_in_by": signup.checked_in_by or actor,
        }
    elif action == "out":
        if signup.checked_in_at is None:
            raise Conflict(_("Check the volunteer in first."), code="not_checked_in")
        changes = {"checked_out_at": max(at, signup.checked_in_at), "checked_out_by": actor}
    elif action == "clear":
        changes = {
            "checked_in_at": None,
            "checked_in_by": None,
            "checked_out_at": None,
            "checked_out_by": None,
        }
    else:
        raise invalid({"action": _("Choose check in, check out or clear.")})
    Signup.objects.filter(pk=signup.pk).update(**changes)
    signup.refresh_from_db()
    return signup


def attendance_minutes(
    activity: Activity, signup: Signup, rule: str | None = None
) -> tuple[int, datetime, datetime, bool]:
    """Return (minutes, from, until, missing check-out) of a checked-in sign-up.

    Time counts from the later of check-in and the start, to the earlier of check-out and the end;
    a missing check-out is credited by `rule` ("none": 0, "scheduled": to the scheduled end).
    """
    rule = rule or conf.missing_checkout_rule()
    start = max(signup.checked_in_at, activity.starts_at)
    missing = signup.checked_out_at is None
    if missing:
        end = activity.ends_at if rule == "scheduled" else start
    else:
        end = min(signup.checked_out_at, activity.ends_at)
    end = max(end, start)
    return int((end - start).total_seconds()) // 60, start, end, missing


@transaction.atomic
def activity_close(*, activity: Activity, actor=None, now: datetime | None = None) -> list[HoursRecord]:
    """Close an ended activity and write a pending hours record for each volunteer who checked in.

    Run by `manage.py volunteer_close_activities` (actor None) and by the leader's "close" button.
    Closing twice does nothing the second time (compare-and-set on the status; one attendance
    record per volunteer and activity).
    """
    now = now or timezone.now()
    activity = _lock_activity(activity.pk)
    if actor is not None:
        access.check_manage_team(actor, activity.team)
    if activity.status != Activity.Status.PUBLISHED:
        raise Conflict(_("Only a published activity can be closed."), code="not_open")
    if now < activity.ends_at:
        raise Conflict(_("The activity has not ended yet."), code="not_ended")
    if not Activity.objects.filter(pk=activity.pk, status=Activity.Status.PUBLISHED).update(
        status=Activity.Status.CLOSED, closed_at=now
    ):
        raise Conflict(_("Someone else closed the activity meanwhile."), code="conflict")
    rule = conf.missing_checkout_rule()
    day = timezone.localdate(activity.starts_at)
    records = []
    signups = activity.signups.filter(
        state=Signup.State.CONFIRMED, checked_in_at__isnull=False
    ).select_related("volunteer")
    for signup in signups:
        minutes, start, end, missing = attendance_minutes(activity, signup, rule)
        records.append(
            HoursRecord(
                volunteer=signup.volunteer,
                activity=activity,
                team=activity.team,
                community=activity.community,
                service_field=activity.service_field,
                kind=HoursRecord.Kind.ATTENDANCE,
                minutes=minutes,
                day=day,
                content=activity.title,
                started_at=start,
                ended_at=end,
                missing_checkout=missing,
                created_by=actor,
                created_at=now,
            )
        )
    HoursRecord.objects.bulk_create(records)
    return records


def activities_close_ended(*, now: datetime | None = None) -> tuple[int, int]:
    """Close every published activity that ended; return (activities closed, records written)."""
    now = now or timezone.now()
    closed = written = 0
    for activity in Activity.objects.filter(status=Activity.Status.PUBLISHED, ends_at__lte=now).order_by(
        "ends_at"
    ):
        try:
            records = activity_close(activity=activity, now=now)
        except Conflict:
            continue  # closed meanwhile by its leader
        closed += 1
        written += len(records)
    return closed, written


# ---------------------------------------------------------------------------------------------
# Hours: decisions, corrections, manual records


def _announcement(record: HoursRecord) -> HoursAnnouncement:
    return HoursAnnouncement(
        record_id=record.pk,
        kind=record.kind,
        user_id=record.volunteer.user_id,
        volunteer_id=record.volunteer_id,
        activity_id=record.activity_id,
        team_id=record.team_id,
        community_id=record.community_id,
        service_field=record.service_field,
        minutes=record.minutes,
        day=record.day,
        approved_at=record.decided_at,
        approved_by_id=record.decided_by_id,
        corrects_id=record.corrects_id,
    )


def _send(message: HoursAnnouncement) -> None:
    for receiver, result in hours_approved.send_robust(sender=HoursAnnouncement, record=message):
        if isinstance(result, Exception):
            logger.error(
                "A receiver of hours record %s failed: %r",
                message.record_id,
                receiver,
                exc_info=(type(result), result, result.__traceback__),
            )


def announce_on_commit(record: HoursRecord) -> None:
    """Send `hours_approved` for an approved record once the current transaction commits."""
    transaction.on_commit(functools.partial(_send, _announcement(record)))


def _check_decider(actor, record: HoursRecord) -> None:
    if record.team_id is not None:
        access.check_manage_team(actor, record.team)
    else:
        access.check_manage_community(actor, record.community)


@transaction.atomic
def hours_decide(
    *, record: HoursRecord, actor, approve: bool, reason: str = "", now: datetime | None = None
) -> HoursRecord:
    """Approve or decline a pending record (the team's leaders and office); declining needs a reason.

    The status moves by compare-and-set from pending, so two leaders deciding at once make one
    decision. On approval `hours_approved` is sent once the transaction commits (never on rollback).
    A leader does not approve their own hours; the office does.
    """
    now = now or timezone.now()
    record = HoursRecord.objects.select_related("team", "community", "volunteer").get(pk=record.pk)
    _check_decider(actor, record)
    if record.volunteer.user_id == actor.pk and not access.manages_community(actor, record.community):
        raise PermissionDenied(_("Your own hours are confirmed by another leader or the community office."))
    reason = (reason or "").strip()
    if not approve and not reason:
        raise invalid({"reason": _("Say why the hours are declined.")})
    status = HoursRecord.Status.APPROVED if approve else HoursRecord.Status.DECLINED
    updated = HoursRecord.objects.filter(pk=record.pk, status=HoursRecord.Status.PENDING).update(
        status=status, decided_by=actor, decided_at=now, decline_reason="" if approve else reason[:300]
    )
    if not updated:
        raise Conflict(_("These hours were already decided."), code="already_decided")
    record = HoursRecord.objects.select_related("volunteer").get(pk=record.pk)
    audit.record(
        actor=actor,
        action="volunteers.hours_decide",
        target=record,
        place_code=record.community.code,
        changes={"status": {"from": HoursRecord.Status.PENDING, "to": status}, "minutes": record.minutes}
        | ({} if approve else {"reason": reason[:300]}),
    )
    if approve:
        announce_on_commit(record)
    return record


def net_minutes(record: HoursRecord) -> int:
    """Return the record's minutes with its approved and pending corrections."""
    corrections = record.corrections.exclude(status=HoursRecord.Status.DECLINED).aggregate(s=Sum("minutes"))[
        "s"
    ]
    return record.minutes + (corrections or 0)


@transaction.atomic
def hours_correct(
    *, original: HoursRecord, minutes: int, reason: str, actor, now: datetime | None = None
) -> HoursRecord:
    """Add a pending correction of `minutes` (signed) to an approved record; the original stays as it was.

    The sum of the record and its corrections may not go below zero.
    """
    now = now or timezone.now()
    original = (
        HoursRecord.objects.select_for_update(of=("self",))
        .select_related("team", "community", "volunteer")
        .get(pk=original.pk)
    )
    _check_decider(actor, original)
    if not access.can_correct(actor, original.volunteer):
        raise access.refuse(_("Someone else corrects your own hours."))
    errors: dict[str, str] = {}
    if original.status != HoursRecord.Status.APPROVED:
        raise Conflict(
            _("Only approved hours are corrected; decline pending ones instead."), code="not_approved"
        )
    if original.kind == HoursRecord.Kind.CORRECTION:
        raise Conflict(_("Correct the original record, not a correction."), code="correction_of_correction")
    if not isinstance(minutes, int) or minutes == 0 or abs(minutes) > MAX_MANUAL_MINUTES:
        errors["minutes"] = _("Enter minutes to add (or, below zero, to take away), at most 1,440.")
    elif net_minutes(original) + minutes < 0:
        errors["minutes"] = _("A correction cannot take away more than the record holds.")
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = _("Say why the record is corrected.")
    if errors:
        raise invalid(errors)
    record = HoursRecord.objects.create(
        volunteer=original.volunteer,
        activity=original.activity,
        team=original.team,
        community=original.community,
        service_field=original.service_field,
        kind=HoursRecord.Kind.CORRECTION,
        minutes=minutes,
        day=original.day,
        content=original.content,
        corrects=original,
        reason=reason[:300],
        created_by=actor,
        created_at=now,
    )
    audit.record(
        actor=actor,
        action="volunteers.hours_correct",
        target=record,
        place_code=original.community.code,
        changes=audit.as_created({"corrects": original.pk, "minutes": minutes, "reason": reason[:300]}),
    )
    return record


@transaction.atomic
def hours_record_manual(
    *, actor, team: Team, volunteer: Volunteer, minutes: int, day: date, content: str, reason: str
) -> HoursRecord:
    """Record hours given outside an activity's attendance (pending until approved by someone else)."""
    access.check_manage_team(actor, team)
    errors: dict[str, str] = {}
    if not team.memberships.filter(volunteer=volunteer).exists():
        errors["volunteer"] = _("This volunteer is not on the team.")
    if not isinstance(minutes, int) or not 1 <= minutes <= MAX_MANUAL_MINUTES:
        errors["minutes"] = _("Enter between 1 and 1,440 minutes.")
    if not isinstance(day, date) or day > timezone.localdate():
        errors["day"] = _("Enter a day that is not in the future.")
    content = (content or "").strip()
    if not content:
        errors["content"] = _("Say what the service was.")
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = _("Say why the hours are recorded by hand.")
    if errors:
        raise invalid(errors)
    record = HoursRecord.objects.create(
        volunteer=volunteer,
        team=team,
        community=team.community,
        service_field=team.service_field,
        kind=HoursRecord.Kind.MANUAL,
        minutes=minutes,
        day=day,
        content=content[:200],
        reason=reason[:300],
        created_by=actor,
    )
    audit.record(
        actor=actor,
        action="volunteers.hours_manual",
        target=record,
        place_code=team.community.code,
        changes=audit.as_created({"volunteer": str(volunteer), "minutes": minutes, "day": day}),
    )
    return record


# ---------------------------------------------------------------------------------------------
# Certificates


@transaction.atomic
def certificate_issue(
    *, actor, volunteer: Volunteer, period_start: date, period_end: date, now: datetime | None = None
) -> Certificate:
    """Issue a 志愿服务记录证明 of the approved hours `volunteer` gave `volunteer.community` in the period.

    The community's office issues it ("whoever records certifies"); the number is the next of the
    community's in the year of issue ("2026-0001"), taken under a lock on the community's row.
    """
    now = now or timezone.now()
    community = volunteer.community
    if not access.can_issue_certificate(actor, volunteer):
        raise PermissionDenied(_("Certificates are issued by the volunteer's community office."))
    if not isinstance(period_start, date) or not isinstance(period_end, date) or period_end < period_start:
        raise invalid({"period_end": _("The end of the period must not come before its start.")})
    lines = record_lines(volunteer=volunteer, community=community, date_from=period_start, date_to=period_end)
    total = sum(line["minutes"] for line in lines)
    if total <= 0:
        raise ApplicationError(
            _("There are no approved hours in this period to certify."), code="nothing_to_certify"
        )
    _lock_place(community)
    year = timezone.localtime(now).year
    seq = (Certificate.objects.filter(community=community, year=year).aggregate(m=Max("seq"))["m"] or 0) + 1
    try:
        with transaction.atomic():
            certificate = Certificate.objects.create(
                community=community,
                year=year,
                seq=seq,
                number=f"{year}-{seq:04d}",
                volunteer=volunteer,
                volunteer_name=volunteer.real_name,
                volunteer_number=volunteer.number,
                period_start=period_start,
                period_end=period_end,
                total_minutes=total,
                lines=lines,
                issued_by=actor,
                issued_by_name=str(actor)[:100],
                issued_at=now,
            )
    except IntegrityError:
        raise Conflict(_("Another certificate took this number; issue it again."), code="conflict") from None
    audit.record(
        actor=actor,
        action="volunteers.certificate_issue",
        target=certificate,
        place_code=community.code,
        changes=audit.as_created(
            {"number": certificate.number, "volunteer": str(volunteer), "total_minutes": total}
        ),
    )
    return certificate
