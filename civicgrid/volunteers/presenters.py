"""What a viewer sees of an activity, a sign-up and an hours record: built once, here, and rendered by
both the pages and the API. Activities carry no personal data; a volunteer's phone is masked for
anyone but the person and those who manage them (`access.can_see_contacts`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from django.utils import timezone

from civicgrid.lib.privacy import mask_phone
from civicgrid.volunteers import access, selectors
from civicgrid.volunteers.choices import ServiceField
from civicgrid.volunteers.models import Activity, HoursRecord, Signup, Volunteer
from civicgrid.volunteers.services import cancel_deadline


@dataclass(frozen=True)
class ActivityView:
    id: int
    title: str
    description: str
    status: str
    status_label: str
    team_id: int
    team: str
    community: str
    community_code: str
    service_field: str
    service_field_label: str
    starts_at: datetime
    ends_at: datetime
    place_name: str
    lon: float | None
    lat: float | None
    capacity: int
    confirmed: int
    waiting: int
    places_left: int
    signup_opens_at: datetime | None
    signup_closes_at: datetime | None
    cancel_cutoff_hours: int
    cancel_deadline: datetime
    required_skills: list[str]
    checkin_radius_m: int | None
    # The viewer's own sign-up: "" (none), "confirmed", "waiting", "cancelled"; their place in line.
    my_state: str
    my_position: int | None
    checked_in_at: datetime | None
    checked_out_at: datetime | None
    can_sign_up: bool
    can_cancel: bool
    can_manage: bool

    def as_dict(self) -> dict:
        return asdict(self)


_UNSET = object()


def activity_views(activities: list[Activity], viewer, *, now: datetime | None = None) -> list[ActivityView]:
    """Return the views of a page of activities, reading the viewer's sign-ups in one query."""
    volunteer = access.volunteer_of(viewer)
    mine = selectors.signups_by_activity(volunteer, [a.pk for a in activities])
    return [activity_view(a, viewer, now=now, signup=mine.get(a.pk)) for a in activities]


def activity_view(activity: Activity, viewer, *, now: datetime | None = None, signup=_UNSET) -> ActivityView:
    now = now or timezone.now()
    confirmed = getattr(activity, "confirmed_count", None)
    if confirmed is None:
        confirmed = activity.signups.filter(state=Signup.State.CONFIRMED).count()
    waiting = getattr(activity, "waiting_count", None)
    if waiting is None:
        waiting = activity.signups.filter(state=Signup.State.WAITING).count()
    volunteer = access.volunteer_of(viewer)
    if signup is _UNSET:
        signup = selectors.signup_of(activity, volunteer)
    my_state = signup.state if signup else ""
    open_now = (
        activity.status == Activity.Status.PUBLISHED
        and (activity.signup_opens_at is None or now >= activity.signup_opens_at)
        and now < (activity.signup_closes_at or activity.starts_at)
    )
    deadline = cancel_deadline(activity)
    can_cancel = bool(
        signup
        and signup.state != Signup.State.CANCELLED
        and activity.status == Activity.Status.PUBLISHED
        and not signup.checked_in_at
        and now < activity.starts_at
        and (signup.state == Signup.State.WAITING or now < deadline)
    )
    return ActivityView(
        id=activity.pk,
        title=activity.title,
        description=activity.description,
        status=activity.status,
        status_label=str(activity.get_status_display()),
        team_id=activity.team_id,
        team=activity.team.name,
        community=activity.community.display_name,
        community_code=activity.community.code,
        service_field=activity.service_field,
        service_field_label=str(ServiceField(activity.service_field).label),
        starts_at=activity.starts_at,
        ends_at=activity.ends_at,
        place_name=activity.place_name,
        lon=activity.lon,
        lat=activity.lat,
        capacity=activity.capacity,
        confirmed=confirmed,
        waiting=waiting,
        places_left=max(0, activity.capacity - confirmed),
        signup_opens_at=activity.signup_opens_at,
        signup_closes_at=activity.signup_closes_at,
        cancel_cutoff_hours=activity.cancel_cutoff_hours,
        cancel_deadline=deadline,
        required_skills=[s for s in activity.required_skills.split("、") if s],
        checkin_radius_m=activity.checkin_radius_m,
        my_state=my_state,
        my_position=selectors.waiting_position(signup)
        if signup and signup.state == Signup.State.WAITING
        else None,
        checked_in_at=signup.checked_in_at if signup else None,
        checked_out_at=signup.checked_out_at if signup else None,
        can_sign_up=bool(
            open_now and volunteer is not None and (signup is None or signup.state == Signup.State.CANCELLED)
        ),
        can_cancel=can_cancel,
        can_manage=bool(
            viewer is not None and viewer.is_authenticated and access.can_manage_team(viewer, activity.team)
        ),
    )


@dataclass(frozen=True)
class HoursView:
    id: int
    kind: str
    kind_label: str
    status: str
    status_label: str
    volunteer_id: int
    volunteer_name: str
    volunteer_number: str
    activity_id: int | None
    team: str
    day: str
    content: str
    minutes: int
    hours: str
    started_at: datetime | None
    ended_at: datetime | None
    missing_checkout: bool
    corrects_id: int | None
    reason: str
    decline_reason: str

    def as_dict(self) -> dict:
        return asdict(self)


def hours_text(minutes: int) -> str:
    """Return minutes as hours with two decimals: 90 → "1.50"."""
    return f"{minutes / 60:.2f}"


def hours_view(record: HoursRecord) -> HoursView:
    return HoursView(
        id=record.pk,
        kind=record.kind,
        kind_label=str(record.get_kind_display()),
        status=record.status,
        status_label=str(record.get_status_display()),
        volunteer_id=record.volunteer_id,
        volunteer_name=record.volunteer.real_name,
        volunteer_number=record.volunteer.number,
        activity_id=record.activity_id,
        team=record.team.name if record.team_id else "",
        day=record.day.isoformat(),
        content=record.content,
        minutes=record.minutes,
        hours=hours_text(record.minutes),
        started_at=record.started_at,
        ended_at=record.ended_at,
        missing_checkout=record.missing_checkout,
        corrects_id=record.corrects_id,
        reason=record.reason,
        decline_reason=record.decline_reason,
    )


@dataclass(frozen=True)
class VolunteerView:
    id: int
    name: str
    number: str
    national_number: str
    community: str
    phone: str
    skills: list[str]
    id_number: str


def volunteer_view(volunteer: Volunteer, viewer) -> VolunteerView:
    """A volunteer as `viewer` sees them: the phone in full only for the person and their managers."""
    full = access.can_see_contacts(viewer, volunteer)
    return VolunteerView(
        id=volunteer.pk,
        name=volunteer.real_name,
        number=volunteer.number,
        national_number=volunteer.national_number,
        community=volunteer.community.display_name,
        phone=volunteer.phone if full else mask_phone(volunteer.phone),
        skills=volunteer.skill_list(),
        id_number=volunteer.id_number_masked,
    )
