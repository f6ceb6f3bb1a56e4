"""Reads of the volunteers app: activity lists, sign-ups, rosters, hours and the service record.

Every list is scoped by `access` here and bounded (paged by the caller or capped).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from civicgrid.core.scopes import is_root
from civicgrid.places.models import Place
from civicgrid.volunteers import access
from civicgrid.volunteers.models import (
    Activity,
    Certificate,
    HoursRecord,
    Signup,
    Team,
    TeamMembership,
    Volunteer,
)

WHEN_CHOICES = ("upcoming", "past", "all")


@dataclass(frozen=True)
class ActivityFilters:
    when: str = "upcoming"
    service_field: str = ""
    community: str = ""  # a place code
    team: int | None = None
    text: str = ""


def _with_counts(qs: QuerySet[Activity]) -> QuerySet[Activity]:
    return qs.annotate(
        confirmed_count=Count("signups", filter=Q(signups__state=Signup.State.CONFIRMED)),
        waiting_count=Count("signups", filter=Q(signups__state=Signup.State.WAITING)),
    )


def activity_list(*, user, filters: ActivityFilters, now: datetime | None = None) -> QuerySet[Activity]:
    """Return the activities `user` may see with `filters`: published, closed and cancelled for everyone,
    drafts of the teams they manage; upcoming ones soonest first, past ones latest first."""
    now = now or timezone.now()
    visible = Q(status__in=[Activity.Status.PUBLISHED, Activity.Status.CLOSED, Activity.Status.CANCELLED])
    if user is not None and user.is_authenticated:
        visible |= Q(team__in=access.teams_managed(user))
    qs = Activity.objects.filter(visible)
    if filters.when == "upcoming":
        qs = qs.filter(ends_at__gt=now).exclude(status=Activity.Status.CANCELLED).order_by("starts_at", "id")
    elif filters.when == "past":
        qs = qs.filter(ends_at__lte=now).order_by("-starts_at", "-id")
    else:
        qs = qs.order_by("-starts_at", "-id")
    if filters.service_field:
        qs = qs.filter(service_field=filters.service_field)
    if filters.community:
        qs = qs.filter(community__code__startswith=filters.community)
    if filters.team:
        qs = qs.filter(team_id=filters.team)
    if filters.text:
        qs = qs.filter(Q(title__icontains=filters.text) | Q(place_name__icontains=filters.text))
    return _with_counts(qs.select_related("team", "team__community", "community"))


def activity_get(*, user, pk: int) -> Activity | None:
    """Return activity `pk` with its counts if `user` may see it, else None."""
    activity = _with_counts(
        Activity.objects.filter(pk=pk).select_related("team", "team__community", "community")
    ).first()
    if activity is None or not access.can_view_activity(user, activity):
        return None
    return activity


def signup_of(activity: Activity, volunteer: Volunteer | None) -> Signup | None:
    if volunteer is None:
        return None
    return Signup.objects.filter(activity=activity, volunteer=volunteer).first()


def signups_by_activity(volunteer: Volunteer | None, activity_ids: list[int]) -> dict[int, Signup]:
    if volunteer is None or not activity_ids:
        return {}
    return {
        s.activity_id: s for s in Signup.objects.filter(volunteer=volunteer, activity_id__in=activity_ids)
    }


def waiting_position(signup: Signup) -> int | None:
    """Return the 1-based place of a waiting sign-up in its activity's line."""
    if signup.state != Signup.State.WAITING:
        return None
    ahead = Signup.objects.filter(activity_id=signup.activity_id, state=Signup.State.WAITING).filter(
        Q(queued_at__lt=signup.queued_at) | Q(queued_at=signup.queued_at, pk__lt=signup.pk)
    )
    return ahead.count() + 1


def my_signups(volunteer: Volunteer, *, limit: int = 100) -> list[Signup]:
    """Return the volunteer's sign-ups that are not cancelled, latest activities first (bounded)."""
    return list(
        Signup.objects.filter(volunteer=volunteer)
        .exclude(state=Signup.State.CANCELLED)
        .select_related("activity", "activity__team")
        .order_by("-activity__starts_at", "-id")[:limit]
    )


def attendance_sheet(activity: Activity) -> list[Signup]:
    """Return the activity's sign-ups in line order (confirmed, then waiting), with their volunteers."""
    order = {Signup.State.CONFIRMED: 0, Signup.State.WAITING: 1, Signup.State.CANCELLED: 2}
    rows = list(activity.signups.select_related("volunteer").order_by("queued_at", "id"))
    return sorted(rows, key=lambda s: order[s.state])


def roster(team: Team) -> list[TeamMembership]:
    return list(
        team.memberships.filter(is_active=True)
        .select_related("volunteer", "volunteer__user")
        .order_by("role", "volunteer__real_name")
    )


def teams_for_volunteer(volunteer: Volunteer) -> list[TeamMembership]:
    return list(
        TeamMembership.objects.filter(
            volunteer=volunteer, is_active=True, team__is_active=True
        ).select_related("team")
    )


def team_list(*, user, community: Place | None = None) -> QuerySet[Team]:
    """Return the teams `user` manages (optionally of one community) with their member counts."""
    qs = access.teams_managed(user)
    if community is not None:
        qs = qs.filter(community=community)
    return (
        qs.select_related("community")
        .annotate(
            member_count=Count("memberships", filter=Q(memberships__is_active=True), distinct=True),
            pending_count=Count("hours", filter=Q(hours__status=HoursRecord.Status.PENDING), distinct=True),
        )
        .order_by("community__code", "name")
    )


def team_leaders(team_ids: list[int]) -> dict[int, list[str]]:
    leaders: dict[int, list[str]] = {}
    rows = TeamMembership.objects.filter(
        team_id__in=team_ids, role=TeamMembership.Role.LEADER, is_active=True
    )
    for team_id, name in rows.values_list("team_id", "volunteer__real_name"):
        leaders.setdefault(team_id, []).append(name)
    return leaders


def pending_hours(team: Team, *, limit: int = 200) -> list[HoursRecord]:
    return list(
        HoursRecord.objects.filter(team=team, status=HoursRecord.Status.PENDING)
        .select_related("volunteer", "activity", "corrects")
        .order_by("day", "id")[:limit]
    )


def hours_of(volunteer: Volunteer, *, limit: int = 200) -> list[HoursRecord]:
    """Return the volunteer's hours records in every state, newest first (bounded)."""
    return list(
        HoursRecord.objects.filter(volunteer=volunteer)
        .select_related("team", "activity", "corrects")
        .order_by("-day", "-id")[:limit]
    )


@dataclass(frozen=True)
class HoursTotals:
    approved: int
    pending: int


def hours_totals(volunteer: Volunteer) -> HoursTotals:
    sums = HoursRecord.objects.filter(volunteer=volunteer).aggregate(
        approved=Sum("minutes", filter=Q(status=HoursRecord.Status.APPROVED)),
        pending=Sum("minutes", filter=Q(status=HoursRecord.Status.PENDING)),
    )
    return HoursTotals(approved=sums["approved"] or 0, pending=sums["pending"] or 0)


def approved_hours(
    *,
    volunteer: Volunteer | None = None,
    team: Team | None = None,
    community: Place | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[HoursRecord]:
    """Return the approved records (the service record) of a volunteer, a team or a community, by day."""
    qs = HoursRecord.objects.filter(status=HoursRecord.Status.APPROVED)
    if volunteer is not None:
        qs = qs.filter(volunteer=volunteer)
    if team is not None:
        qs = qs.filter(team=team)
    if community is not None:
        qs = qs.filter(community=community)
    if date_from:
        qs = qs.filter(day__gte=date_from)
    if date_to:
        qs = qs.filter(day__lte=date_to)
    return qs.order_by("day", "id")


def record_lines(
    *,
    volunteer: Volunteer,
    community: Place | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> list[dict]:
    """Return the lines of a volunteer's service record: one per approved record (corrections too).

    Each line: record id, day (ISO), service content, service field, organiser (the team), minutes
    (signed), kind. What a certificate snapshots and the record page shows.
    """
    qs = approved_hours(volunteer=volunteer, community=community, date_from=date_from, date_to=date_to)
    return [
        {
            "record": r["pk"],
            "day": r["day"].isoformat(),
            "content": r["content"],
            "service_field": r["service_field"],
            "organiser": r["team__name"] or r["community__name"],
            "minutes": r["minutes"],
            "kind": r["kind"],
        }
        for r in qs.values(
            "pk", "day", "content", "service_field", "team__name", "community__name", "minutes", "kind"
        )
    ]


def certificates_of(volunteer: Volunteer) -> list[Certificate]:
    return list(volunteer.certificates.select_related("community").order_by("-issued_at")[:50])


def volunteer_by_number(*, user, number: str) -> Volunteer | None:
    volunteer = Volunteer.objects.filter(number=number).select_related("community", "user").first()
    if volunteer is None or not access.can_view_volunteer(user, volunteer):
        return None
    return volunteer


def volunteers_of_community(community: Place, *, text: str = "", limit: int = 50) -> list[Volunteer]:
    qs = Volunteer.objects.filter(community=community, is_active=True)
    if text:
        qs = qs.filter(Q(real_name__icontains=text) | Q(number__icontains=text) | Q(phone=text))
    return list(qs.order_by("seq")[:limit])


def communities_for_registration() -> QuerySet[Place]:
    return Place.objects.filter(level=Place.Level.VILLAGE).order_by("code")


def managed_communities(user) -> QuerySet[Place]:
    qs = access.communities_managed(user)
    if is_root(user):
        # A superuser runs everything; list the communities that have teams, not every village.
        qs = qs.filter(volunteer_teams__isnull=False).distinct()
    return qs.order_by("code")
