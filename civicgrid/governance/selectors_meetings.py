"""Reads of deliberation meetings: calendars, a meeting and its parts, decisions, and what may go
on an agenda or be picked on a meeting's forms.

Every list a viewer asks for is scoped here through `governance.access`: those who see all of a
place's meetings get every one, the people of its village the published ones only. Lists are
keyset-paged on the indexes of `governance.models` (a village's or grid's meetings by start, a
town's or village's decisions by state and due day).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from civicgrid.accounts.models import Agency, RoleAssignment, User
from civicgrid.cases.models import Case
from civicgrid.cases.workflow import Transition, allowed_actions
from civicgrid.core.roles import GRID_ROLES, Role
from civicgrid.core.scopes import is_root, scopes
from civicgrid.governance import access
from civicgrid.governance.models import AgendaItem, Attendance, Decision, ForumTopic, Meeting, MeetingSeries
from civicgrid.lib import keyset
from civicgrid.places.models import Place
from civicgrid.places.services import code_ancestors

PAGE_SIZE = 20
# Longest list of places the meetings home offers (a district's administrators search by code).
MAX_PLACES = 200


class DateColumn(keyset.Column):
    """A column of dates in a keyset order (written as the day's ordinal)."""

    def write(self, value: Any) -> str:
        return str(value.toordinal())

    def read(self, text: str) -> Any:
        if not text.isdigit() or len(text) > 7:
            raise keyset.InvalidCursor(text)
        try:
            return date.fromordinal(int(text))
        except ValueError:
            raise keyset.InvalidCursor(text) from None


# A calendar's coming meetings, soonest first; its past ones, latest first.
UPCOMING = keyset.Order("mu", (keyset.Column("starts_at", "time"), keyset.Column("id", "int")))
PAST = keyset.Order(
    "mp", (keyset.Column("starts_at", "time", descending=True), keyset.Column("id", "int", descending=True))
)
# Decisions by due day, earliest first.
DECISIONS = keyset.Order("md", (DateColumn("due_on", "date"), keyset.Column("id", "int")))

UPCOMING_WHEN = "upcoming"
PAST_WHEN = "past"


def start_of_today(now: datetime | None = None) -> datetime:
    today = timezone.localdate(now)
    return timezone.make_aware(datetime.combine(today, time.min), timezone.get_default_timezone())


# --- Places --------------------------------------------------------------------------------------


def place_by_code(code: str) -> Place | None:
    """A village or grid by its code (the places that hold meetings), with its parents."""
    return (
        Place.objects.select_related("parent__parent")
        .filter(code=(code or "").strip()[:15], level__in=[Place.Level.VILLAGE, Place.Level.GRID])
        .first()
    )


def decision_place_by_code(code: str) -> Place | None:
    """A town, village or grid by its code (the places with a list of decisions)."""
    return (
        Place.objects.select_related("parent")
        .filter(
            code=(code or "").strip()[:15],
            level__in=[Place.Level.TOWN, Place.Level.VILLAGE, Place.Level.GRID],
        )
        .first()
    )


def calendar_places(user) -> list[Place]:
    """The villages and grids whose calendars `user` opens from the meetings home: the village (and,
    for grid staff, the grid) of each of their roles; the villages of a town or region above (at most
    MAX_PLACES, in code order)."""
    if is_root(user):
        return list(Place.objects.filter(level=Place.Level.VILLAGE).order_by("code")[:MAX_PLACES])
    found: dict[str, Place] = {}
    wide: list[Place] = []
    for s in scopes(user):
        place = s.place
        if place is None:
            continue
        if place.level == Place.Level.GRID:
            if s.role in GRID_ROLES:
                found.setdefault(place.code, place)
            village = place.parent
            found.setdefault(village.code, village)
        elif place.level == Place.Level.VILLAGE:
            found.setdefault(place.code, place)
        else:
            wide.append(place)
    if wide:
        condition = Q()
        for place in wide:
            condition |= Q(code__startswith=place.scope_prefix)
        for place in Place.objects.filter(condition, level=Place.Level.VILLAGE).order_by("code")[:MAX_PLACES]:
            found.setdefault(place.code, place)
    return sorted(found.values(), key=lambda p: p.code)[:MAX_PLACES]


def decision_places(user) -> list[Place]:
    """The towns whose decisions `user` may list (town operators and the region's staff), and the
    villages of `calendar_places` they see in full."""
    towns: dict[str, Place] = {}
    for s in scopes(user):
        if s.place is not None and s.place.level == Place.Level.TOWN and s.role in access.REGION_READERS:
            towns.setdefault(s.place.code, s.place)
    villages = [p for p in calendar_places(user) if p.level == Place.Level.VILLAGE]
    return [*towns.values(), *[v for v in villages if access.sees_all_meetings(user, v)]]


# --- Calendars -----------------------------------------------------------------------------------


def _counted(qs: QuerySet[Meeting]) -> QuerySet[Meeting]:
    def count_of(model) -> Subquery:
        rows = (
            model.objects.filter(meeting=OuterRef("pk")).order_by().values("meeting").annotate(n=Count("pk"))
        )
        return Subquery(rows.values("n"), output_field=IntegerField())

    return qs.annotate(agenda_count=count_of(AgendaItem), decision_count=count_of(Decision))


def place_meetings(user, place: Place) -> QuerySet[Meeting]:
    """The meetings of a village (its own and its grids') or of a grid that `user` may see: all of
    them, or the published ones. Each filter is the first column of an index with `starts_at`."""
    if place.level == Place.Level.GRID:
        qs = Meeting.objects.filter(place=place)
    else:
        qs = Meeting.objects.filter(village=place)
    if not access.sees_all_meetings(user, place):
        qs = qs.filter(is_published=True) if access.can_view_calendar(user, place) else qs.none()
    return qs.select_related("place")


def calendar_page(
    user, place: Place, *, when: str = UPCOMING_WHEN, cursor: str = "", size: int = PAGE_SIZE, now=None
) -> keyset.Page:
    """One page of a calendar: the meetings from today on, soonest first, or those before today,
    latest first, each with its counts of agenda items and decisions. Raises InvalidCursor."""
    boundary = start_of_today(now)
    qs = _counted(place_meetings(user, place))
    if when == PAST_WHEN:
        return keyset.page_after(
            qs.filter(starts_at__lt=boundary).order_by(*PAST.order_by()), PAST, cursor, size
        )
    return keyset.page_after(
        qs.filter(starts_at__gte=boundary).order_by(*UPCOMING.order_by()), UPCOMING, cursor, size
    )


@dataclass(frozen=True)
class MonthDay:
    day: date | None  # None: a blank before the 1st or after the last day
    meetings: list[Meeting]
    is_today: bool = False


def calendar_month(user, place: Place, year: int, month: int, now=None) -> list[list[MonthDay]]:
    """The weeks (Monday first) of a month with the meetings of each day (one query)."""
    tz = timezone.get_default_timezone()
    first = date(year, month, 1)
    last = date(year, month, calendar.monthrange(year, month)[1])
    start = timezone.make_aware(datetime.combine(first, time.min), tz)
    end = timezone.make_aware(datetime.combine(last + timedelta(days=1), time.min), tz)
    by_day: dict[date, list[Meeting]] = {}
    qs = (
        place_meetings(user, place)
        .filter(starts_at__gte=start, starts_at__lt=end)
        .order_by("starts_at", "id")
    )
    for meeting in qs:
        by_day.setdefault(timezone.localtime(meeting.starts_at, tz).date(), []).append(meeting)
    today = timezone.localdate(now)
    weeks: list[list[MonthDay]] = []
    week: list[MonthDay] = [MonthDay(None, [])] * first.weekday()
    for n in range(1, last.day + 1):
        day = date(year, month, n)
        week.append(MonthDay(day, by_day.get(day, []), day == today))
        if len(week) == 7:
            weeks.append(week)
            week = []
    if week:
        weeks.append(week + [MonthDay(None, [])] * (7 - len(week)))
    return weeks


# --- A meeting -----------------------------------------------------------------------------------


def meeting_get(user, pk: int) -> Meeting | None:
    """A meeting `user` may see, with its places and series; None otherwise."""
    meeting = (
        Meeting.objects.select_related("place__parent", "village", "town", "series", "recorded_by")
        .filter(pk=pk)
        .first()
    )
    if meeting is None or not access.can_view_meeting(user, meeting):
        return None
    return meeting


def agenda_of(meeting: Meeting) -> list[AgendaItem]:
    return list(
        AgendaItem.objects.filter(meeting=meeting)
        .select_related("case__category", "topic")
        .order_by("order", "id")
    )


def attendance_of(meeting: Meeting) -> list[Attendance]:
    return list(Attendance.objects.filter(meeting=meeting).order_by("kind", "id"))


def decisions_of(meeting: Meeting) -> list[Decision]:
    return list(
        Decision.objects.filter(meeting=meeting)
        .select_related("owner_user", "owner_agency", "case")
        .order_by("due_on", "id")
    )


def agenda_cases(meeting: Meeting) -> QuerySet[Case]:
    """The cases that may go on the meeting's agenda: those waiting at its village (`Case.State.
    VILLAGE`; of its grid, for a grid's meeting), through the case index on (village, state)."""
    qs = Case.objects.filter(village_id=meeting.village_id, state=Case.State.VILLAGE)
    if meeting.place_id != meeting.village_id:
        qs = qs.filter(grid_id=meeting.place_id)
    return qs


def agenda_case_choices(meeting: Meeting, limit: int = 100) -> list[Case]:
    """The cases waiting at the village that are not on this agenda yet, oldest first."""
    taken = AgendaItem.objects.filter(meeting=meeting, case__isnull=False).values("case_id")
    return list(
        agenda_cases(meeting)
        .exclude(pk__in=taken)
        .select_related("category")
        .order_by("created_at", "id")[:limit]
    )


def agenda_topics(meeting: Meeting) -> QuerySet[ForumTopic]:
    """The forum topics that may go on the agenda: open (or on another agenda) in the meeting's
    village, or its grid for a grid's meeting."""
    qs = ForumTopic.objects.filter(
        village_id=meeting.village_id, state__in=[ForumTopic.State.OPEN, ForumTopic.State.ON_AGENDA]
    )
    if meeting.place_id != meeting.village_id:
        qs = qs.filter(grid_id=meeting.place_id)
    return qs


def agenda_topic_choices(meeting: Meeting, limit: int = 50) -> list[ForumTopic]:
    """Open topics of the village not on this agenda yet, the most supported first."""
    taken = AgendaItem.objects.filter(meeting=meeting, topic__isnull=False).values("topic_id")
    return list(
        agenda_topics(meeting)
        .filter(state=ForumTopic.State.OPEN)
        .exclude(pk__in=taken)
        .order_by("-support_count", "-id")[:limit]
    )


def attendee_users(meeting: Meeting) -> QuerySet[User]:
    """The people who may be named as attendees or owners: anyone with an active role in the
    meeting's town (its cadres, grid staff, residents, the town's operators)."""
    prefix = meeting.town.scope_prefix
    holders = RoleAssignment.objects.filter(
        user=OuterRef("pk"), is_active=True, place__code__startswith=prefix
    )
    return User.objects.filter(Exists(holders), is_active=True)


# The roles the meeting page offers to pick from (anyone else is typed, or sent by the API by id).
PICKED_ROLES = (Role.VILLAGE_CADRE, Role.GRID_LEADER, Role.GRID_WORKER, Role.TOWN_OPERATOR)


def attendee_choices(meeting: Meeting, limit: int = 200) -> list[tuple[int, str]]:
    """(user id, "name · role") of the village's cadres and grid staff and the town's operators."""
    rows = (
        RoleAssignment.objects.filter(is_active=True, role__in=PICKED_ROLES, user__is_active=True)
        .filter(
            Q(place__code__startswith=meeting.village.scope_prefix)
            | Q(place_id=meeting.town_id, role=Role.TOWN_OPERATOR)
        )
        .select_related("user")
        .order_by("role", "user__display_name", "user_id")[: limit * 2]
    )
    seen: dict[int, str] = {}
    for row in rows:
        seen.setdefault(row.user_id, f"{row.user} · {Role(row.role).label}")
    return list(seen.items())[:limit]


def meeting_agencies(meeting: Meeting) -> QuerySet[Agency]:
    """The active agencies serving the meeting's town or a region above it."""
    town = meeting.town
    codes = [town.code, *code_ancestors(town.code, town.level)]
    return Agency.objects.filter(is_active=True, region__code__in=codes).order_by("code")


def case_moves(user, case: Case) -> list[Transition]:
    """The workflow steps a decision may take on `case` for `user` now: the actions the case's
    table allows them (`cases.workflow.allowed_actions`) that need nothing but a note (the
    decision's text) — not a comment, nor one that needs photos, an agency or a grid."""
    return [
        t
        for t in allowed_actions(case=case, user=user)
        if t.action != "comment" and t.target is not None and t.requires <= frozenset({"note"})
    ]


def agenda_moves(user, agenda: list[AgendaItem]) -> list[tuple[Case, Transition]]:
    """(case, step) of each step a decision may take on each case of an agenda (`case_moves`)."""
    return [(item.case, t) for item in agenda if item.case is not None for t in case_moves(user, item.case)]


def case_grids(meeting: Meeting) -> QuerySet[Place]:
    """The grids a case a village's decision opens may be placed in (none for a grid's meeting,
    whose cases go to its grid)."""
    if meeting.place_id != meeting.village_id:
        return Place.objects.none()
    return Place.objects.filter(parent_id=meeting.village_id, level=Place.Level.GRID).order_by("code")


def empty_planned(series: MeetingSeries, *, since: datetime) -> list[Meeting]:
    """The series' planned, unpublished meetings from `since` with nothing added to them yet."""
    qs = Meeting.objects.filter(
        series=series, state=Meeting.State.PLANNED, is_published=False, starts_at__gte=since
    )
    for model in (AgendaItem, Attendance, Decision):
        qs = qs.exclude(Exists(model.objects.filter(meeting=OuterRef("pk"))))
    return list(qs)


def series_get(user, pk: int) -> MeetingSeries | None:
    """A series whose place's meetings `user` sees in full; None otherwise."""
    series = MeetingSeries.objects.select_related("place__parent").filter(pk=pk).first()
    if series is None or not access.sees_all_meetings(user, series.place):
        return None
    return series


def series_of(place: Place) -> list[MeetingSeries]:
    """The series of a grid, or of a village (its own and its grids')."""
    if place.level == Place.Level.GRID:
        qs = MeetingSeries.objects.filter(place=place)
    else:
        qs = MeetingSeries.objects.filter(town_id=place.parent_id).filter(
            Q(place=place) | Q(place__parent=place)
        )
    return list(qs.select_related("place").order_by("-is_active", "name", "id"))


# --- Decisions -----------------------------------------------------------------------------------

DECISION_FILTERS = ("open", "overdue", "done", "dropped", "all")


def place_decisions(user, place: Place) -> QuerySet[Decision]:
    """The decisions of a town, village or grid that `user` may see: all, or those of published
    meetings. A town's and a village's go through their (place, state, due_on) indexes."""
    if place.level == Place.Level.TOWN:
        qs = Decision.objects.filter(town=place)
    elif place.level == Place.Level.VILLAGE:
        qs = Decision.objects.filter(village=place)
    else:
        qs = Decision.objects.filter(village_id=place.parent_id, meeting__place=place)
    if not access.sees_all_meetings(user, place):
        qs = qs.filter(meeting__is_published=True) if access.can_view_decisions(user, place) else qs.none()
    return qs


def decisions_page(
    user,
    place: Place,
    *,
    show: str = "open",
    cursor: str = "",
    size: int = PAGE_SIZE,
    today: date | None = None,
) -> keyset.Page:
    """One page of a place's decisions by due day: "open" (to do), "overdue" (to do, due before
    today), "done", "dropped" or "all". Raises InvalidCursor."""
    today = today or timezone.localdate()
    qs = place_decisions(user, place)
    if show in ("open", "overdue"):
        qs = qs.filter(state=Decision.State.OPEN)
        if show == "overdue":
            qs = qs.filter(due_on__lt=today)
    elif show in ("done", "dropped"):
        qs = qs.filter(state=show)
    qs = qs.select_related("meeting__place", "owner_user", "owner_agency", "case").order_by(
        *DECISIONS.order_by()
    )
    return keyset.page_after(qs, DECISIONS, cursor, size)


def decision_get(user, pk: int) -> Decision | None:
    decision = (
        Decision.objects.select_related(
            "meeting__place", "meeting__village", "owner_user", "owner_agency", "case"
        )
        .filter(pk=pk)
        .first()
    )
    if decision is None or not access.can_view_meeting(user, decision.meeting):
        return None
    return decision
