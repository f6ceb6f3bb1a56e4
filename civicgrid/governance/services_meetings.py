"""Every write to deliberation meetings (逢五说事): series and their schedule, meetings, agendas,
attendance, minutes, decisions.

Each function runs in one transaction and asks `governance.access` first. State changes are
compare-and-set on the row as read (`Meeting.state`/`version`, `Decision.state`): a second writer
is refused, never silently overwritten. A decision that opens a case or moves one on does it through
the case workflow (`cases.services.case_create` / `case_act`, which write the case's own event), in
the decision's transaction: a refused action leaves nothing written. Administrative writes (series,
meetings created, recorded, cancelled or published, decisions made and marked) get an audit entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.accounts.models import Agency, User
from civicgrid.cases import services as case_services
from civicgrid.cases.models import Case, Category
from civicgrid.core import audit
from civicgrid.core.errors import ApplicationError, Conflict, NotFound, PermissionDenied, invalid
from civicgrid.governance import access, recurrence, selectors_meetings, services_forum
from civicgrid.governance.models import (
    AgendaItem,
    Attendance,
    Decision,
    ForumTopic,
    Meeting,
    MeetingSeries,
)
from civicgrid.places import mapindex, routing
from civicgrid.places.models import Place

# How far ahead the daily scheduler (and a series' creation) plans meetings.
SCHEDULE_DAYS = 60

# The audit log's codes of the meetings' writes (declared by the app's `ready`).
AUDIT_ACTIONS = {
    "governance.series_create": gettext_lazy("Meeting series created"),
    "governance.series_update": gettext_lazy("Meeting series changed"),
    "governance.meeting_create": gettext_lazy("Meeting added"),
    "governance.meeting_record": gettext_lazy("Meeting recorded as held"),
    "governance.meeting_cancel": gettext_lazy("Meeting cancelled"),
    "governance.meeting_publish": gettext_lazy("Meeting published to residents"),
    "governance.meeting_unpublish": gettext_lazy("Meeting withdrawn from residents"),
    "governance.decision_create": gettext_lazy("Meeting decision recorded"),
    "governance.decision_mark": gettext_lazy("Meeting decision marked"),
}


def _text(
    value: str | None, limit: int, errors: dict[str, str], field: str, *, required: bool = False
) -> str:
    value = (value or "").strip()
    if required and not value:
        errors[field] = _("This field is required.")
    elif len(value) > limit:
        errors[field] = _("Enter at most %(limit)s characters.") % {"limit": limit}
    return value


def meeting_places(place: Place) -> tuple[Place, Place]:
    """Return the village and town of a place that holds meetings (a village or a grid)."""
    if place.level == Place.Level.VILLAGE:
        village = place
    elif place.level == Place.Level.GRID:
        village = place.parent
    else:
        message = _("Meetings are held by a village (community) or a grid.")
        raise ApplicationError(message, extra={"fields": {"place": message}})
    return village, village.parent


def local_start(day: date, at: time) -> datetime:
    """The moment a meeting of `day` at local time `at` starts (the server's TIME_ZONE)."""
    return timezone.make_aware(datetime.combine(day, at), timezone.get_default_timezone())


# --- Series and their schedule -------------------------------------------------------------------

SERIES_FIELDS = ["name", "rule", "params", "on_holiday", "time", "venue", "is_active"]


def _series_values(
    *, name: str, rule: str, params: dict[str, Any] | None, on_holiday: str, time: time | None, venue: str
) -> dict[str, Any]:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {
        "name": _text(name, 80, errors, "name", required=True),
        "venue": _text(venue, 120, errors, "venue"),
        "on_holiday": on_holiday,
        "rule": rule,
        "time": time,
    }
    try:
        values["params"] = recurrence.rule_from(rule, params).params()
    except ApplicationError as exc:
        errors.update(exc.extra.get("fields", {}))
    if on_holiday not in recurrence.SHIFTS:
        errors["on_holiday"] = _("Choose what happens to a meeting on a day off.")
    if time is None:
        errors["time"] = _("Give the time the meeting starts.")
    if errors:
        raise invalid(errors)
    return values


@transaction.atomic
def series_create(
    *,
    actor: User,
    place: Place,
    name: str,
    rule: str,
    params: dict[str, Any] | None,
    time: time | None,
    on_holiday: str = MeetingSeries.Shift.KEEP,
    venue: str = "",
    is_active: bool = True,
) -> MeetingSeries:
    """Add a recurring meeting to a village or grid and plan its meetings of the next SCHEDULE_DAYS."""
    access.check_manage_meetings(actor, place)
    _village, town = meeting_places(place)
    values = _series_values(
        name=name, rule=rule, params=params, on_holiday=on_holiday, time=time, venue=venue
    )
    series = MeetingSeries.objects.create(
        place=place, town=town, created_by=actor, is_active=bool(is_active), **values
    )
    audit.record(
        actor=actor,
        action="governance.series_create",
        target=series,
        place_code=place.code,
        changes=audit.as_created(audit.snapshot(series, SERIES_FIELDS)),
    )
    _schedule(series, timezone.localdate() + timedelta(days=SCHEDULE_DAYS))
    return series


@transaction.atomic
def series_update(*, actor: User, series: MeetingSeries, **changes: Any) -> MeetingSeries:
    """Change a series (any of SERIES_FIELDS) and its schedule.

    Planned meetings ahead that the new rule no longer gives (or all of them, for a series made
    inactive) are removed while nothing was added to them (agenda, attendance, decisions, published);
    those with something stay, for the cadre to cancel. Then the next SCHEDULE_DAYS are planned again.
    """
    access.check_manage_meetings(actor, series.place)
    unknown = set(changes) - set(SERIES_FIELDS)
    if unknown:
        raise ValueError(f"Not a series field: {sorted(unknown)}")
    series = MeetingSeries.objects.select_for_update().get(pk=series.pk)
    before = audit.snapshot(series, SERIES_FIELDS)
    merged = {f: changes.get(f, getattr(series, f)) for f in SERIES_FIELDS}
    values = _series_values(
        name=merged["name"],
        rule=merged["rule"],
        params=merged["params"],
        on_holiday=merged["on_holiday"],
        time=merged["time"],
        venue=merged["venue"],
    )
    values["is_active"] = bool(merged["is_active"])
    MeetingSeries.objects.filter(pk=series.pk).update(**values)
    series.refresh_from_db()
    changed = audit.diff(before, audit.snapshot(series, SERIES_FIELDS))
    if changed:
        audit.record(
            actor=actor,
            action="governance.series_update",
            target=series,
            place_code=series.place.code,
            changes=changed,
        )
    until = timezone.localdate() + timedelta(days=SCHEDULE_DAYS)
    _drop_unplanned(series, until)
    _schedule(series, until)
    return series


def _planned_starts(series: MeetingSeries, since: date, until: date) -> list[datetime]:
    if not series.is_active:
        return []
    dates = recurrence.series_dates(series.rule, series.params, series.on_holiday, since, until)
    return [local_start(d, series.time) for d in dates]


def _drop_unplanned(series: MeetingSeries, until: date) -> int:
    """Remove the series' empty planned meetings from now on that its rule no longer gives."""
    now = timezone.now()
    keep = set(_planned_starts(series, timezone.localdate(), until))
    candidates = selectors_meetings.empty_planned(series, since=now)
    stale = [m.pk for m in candidates if m.starts_at not in keep]
    if stale:
        Meeting.objects.filter(pk__in=stale).delete()
    return len(stale)


def _schedule(series: MeetingSeries, until: date, since: date | None = None) -> int:
    """Create the series' meetings from `since` (today) to `until` that do not exist yet; return how
    many were created. A meeting of the series at a start time that exists (planned, held or
    cancelled) is never made again: the unique (series, starts_at) refuses the second one, so two
    runs at once make each meeting once."""
    since = since or timezone.localdate()
    starts = [s for s in _planned_starts(series, since, until) if s >= timezone.now()]
    if not starts:
        return 0
    existing = set(
        Meeting.objects.filter(series=series, starts_at__in=starts).values_list("starts_at", flat=True)
    )
    village, town = meeting_places(series.place)
    missing = [
        Meeting(
            series=series,
            place_id=series.place_id,
            village=village,
            town=town,
            title=series.name,
            starts_at=start,
            venue=series.venue,
        )
        for start in starts
        if start not in existing
    ]
    Meeting.objects.bulk_create(missing, ignore_conflicts=True)
    if missing:
        # Forum topics that gathered enough support while no meeting was planned go onto the first.
        first = (
            Meeting.objects.filter(
                series=series, state=Meeting.State.PLANNED, starts_at__in=[m.starts_at for m in missing]
            )
            .select_related("place__parent", "village", "town")
            .order_by("starts_at")
            .first()
        )
        if first is not None:
            services_forum.topics_to_agenda(first)
    return len(missing)


@transaction.atomic
def meetings_schedule(*, series: MeetingSeries, until: date) -> int:
    """Plan the meetings of an active series from today to `until` (idempotent); return how many were
    added."""
    return _schedule(MeetingSeries.objects.select_related("place__parent").get(pk=series.pk), until)


@dataclass
class ScheduleRun:
    series: int = 0
    created: int = 0


def meetings_schedule_all(*, days: int = SCHEDULE_DAYS, today: date | None = None) -> ScheduleRun:
    """Plan the next `days` of every active series (the daily `governance_schedule` command), one
    transaction per series."""
    today = today or timezone.localdate()
    run = ScheduleRun()
    for series in MeetingSeries.objects.filter(is_active=True).select_related("place__parent").order_by("pk"):
        with transaction.atomic():
            run.created += _schedule(series, today + timedelta(days=days), since=today)
        run.series += 1
    return run


# --- Meetings ------------------------------------------------------------------------------------

MEETING_FIELDS = ["title", "starts_at", "venue", "state", "is_published", "held_at"]


@transaction.atomic
def meeting_create(
    *, actor: User, place: Place, title: str, starts_at: datetime | None, venue: str = ""
) -> Meeting:
    """Add a one-off meeting (of no series) to a village or grid."""
    access.check_manage_meetings(actor, place)
    village, town = meeting_places(place)
    errors: dict[str, str] = {}
    title = _text(title, 120, errors, "title", required=True)
    venue = _text(venue, 120, errors, "venue")
    if starts_at is None:
        errors["starts_at"] = _("Give the day and time the meeting starts.")
    if errors:
        raise invalid(errors)
    meeting = Meeting.objects.create(
        place=place, village=village, town=town, title=title, starts_at=starts_at, venue=venue
    )
    services_forum.topics_to_agenda(meeting)
    audit.record(
        actor=actor,
        action="governance.meeting_create",
        target=meeting,
        place_code=place.code,
        changes=audit.as_created(audit.snapshot(meeting, ["title", "starts_at", "venue"])),
    )
    return meeting


def _fresh(meeting: Meeting) -> Meeting:
    found = Meeting.objects.select_related("place", "village", "town").filter(pk=meeting.pk).first()
    if found is None:
        raise NotFound(_("This meeting no longer exists."))
    return found


def _swap(meeting: Meeting, *, states: Sequence[str], version: int | None, **values: Any) -> Meeting:
    """Update the meeting only if its state is one of `states` and its version the one the writer
    read (`version`, or the row as given); refuse with a conflict otherwise."""
    expected = meeting.version if version is None else version
    updated = Meeting.objects.filter(pk=meeting.pk, state__in=list(states), version=expected).update(
        version=F("version") + 1, **values
    )
    if not updated:
        raise Conflict(
            _("Someone else changed this meeting a moment ago. Reload it and try again."), code="conflict"
        )
    return _fresh(meeting)


@transaction.atomic
def meeting_record(
    *,
    actor: User,
    meeting: Meeting,
    minutes: str,
    held_at: datetime | None = None,
    version: int | None = None,
) -> Meeting:
    """Record a meeting as held, with its minutes (or correct the minutes of a held one).

    `version`: the version the writer's form was read at; a meeting changed since is refused.
    """
    access.check_manage_meetings(actor, meeting.place)
    errors: dict[str, str] = {}
    minutes = _text(minutes, 20000, errors, "minutes", required=True)
    now = timezone.now()
    held_at = held_at or meeting.held_at or now
    if held_at > now + timedelta(minutes=5):
        errors["held_at"] = _("A meeting is recorded once it was held: the time cannot be in the future.")
    if errors:
        raise invalid(errors)
    if meeting.state == Meeting.State.CANCELLED:
        raise Conflict(_("This meeting was cancelled."), code="cancelled")
    before = audit.snapshot(meeting, MEETING_FIELDS)
    meeting = _swap(
        meeting,
        states=[Meeting.State.PLANNED, Meeting.State.HELD],
        version=version,
        state=Meeting.State.HELD,
        minutes=minutes,
        held_at=held_at,
        recorded_by=actor,
    )
    audit.record(
        actor=actor,
        action="governance.meeting_record",
        target=meeting,
        place_code=meeting.place.code,
        changes={**audit.diff(before, audit.snapshot(meeting, MEETING_FIELDS)), "minutes": len(minutes)},
    )
    return meeting


@transaction.atomic
def meeting_cancel(*, actor: User, meeting: Meeting, reason: str = "", version: int | None = None) -> Meeting:
    """Cancel a planned meeting (it stays on the calendar as cancelled; a series never plans it again)."""
    access.check_manage_meetings(actor, meeting.place)
    errors: dict[str, str] = {}
    reason = _text(reason, 200, errors, "reason")
    if errors:
        raise invalid(errors)
    if meeting.state != Meeting.State.PLANNED:
        raise Conflict(_("Only a planned meeting can be cancelled."), code="invalid_state")
    meeting = _swap(meeting, states=[Meeting.State.PLANNED], version=version, state=Meeting.State.CANCELLED)
    audit.record(
        actor=actor,
        action="governance.meeting_cancel",
        target=meeting,
        place_code=meeting.place.code,
        changes={"state": {"from": Meeting.State.PLANNED, "to": meeting.state}, "reason": reason},
    )
    return meeting


@transaction.atomic
def meeting_publish(*, actor: User, meeting: Meeting, published: bool = True) -> Meeting:
    """Show (or stop showing) a meeting's agenda and decisions to the residents of its village."""
    access.check_manage_meetings(actor, meeting.place)
    if meeting.state == Meeting.State.CANCELLED and published:
        raise Conflict(_("A cancelled meeting is not published."), code="cancelled")
    published = bool(published)
    if meeting.is_published == published:
        return meeting
    meeting = _swap(meeting, states=Meeting.State.values, version=None, is_published=published)
    audit.record(
        actor=actor,
        action="governance.meeting_publish" if published else "governance.meeting_unpublish",
        target=meeting,
        place_code=meeting.place.code,
        changes={"is_published": {"from": not published, "to": published}},
    )
    return meeting


# --- The agenda ----------------------------------------------------------------------------------


def _check_open(meeting: Meeting) -> None:
    if meeting.state == Meeting.State.CANCELLED:
        raise Conflict(_("This meeting was cancelled."), code="cancelled")


def _next_order(meeting: Meeting) -> int:
    top = AgendaItem.objects.filter(meeting=meeting).aggregate(top=Max("order"))["top"]
    return 0 if top is None else top + 1


def _add_item(meeting: Meeting, actor: User, **values: Any) -> AgendaItem:
    try:
        with transaction.atomic():
            return AgendaItem.objects.create(
                meeting=meeting, added_by=actor, order=_next_order(meeting), **values
            )
    except IntegrityError:
        raise Conflict(_("This is on the meeting's agenda already."), code="duplicate") from None


@transaction.atomic
def agenda_add_case(
    *, actor: User, meeting: Meeting, case: Case, title: str = "", note: str = ""
) -> AgendaItem:
    """Put a case that waits at the village (`Case.State.VILLAGE`, of the meeting's village and, for
    a grid's meeting, its grid) on the agenda; its title is the case's category unless given."""
    access.check_manage_meetings(actor, meeting.place)
    _check_open(meeting)
    if not selectors_meetings.agenda_cases(meeting).filter(pk=case.pk).exists():
        message = _("Only a case waiting at this village can go on its meeting's agenda.")
        raise ApplicationError(message, code="invalid_case", extra={"fields": {"case": message}})
    errors: dict[str, str] = {}
    title = _text(title, 120, errors, "title") or case.category.name[:120]
    note = _text(note, 2000, errors, "note")
    if errors:
        raise invalid(errors)
    return _add_item(meeting, actor, source=AgendaItem.Source.CASE, case=case, title=title, note=note)


@transaction.atomic
def agenda_add_topic(
    *, actor: User, meeting: Meeting, topic: ForumTopic, title: str = "", note: str = ""
) -> AgendaItem:
    """Put a forum topic of the meeting's village (of its grid, for a grid's meeting) on the agenda;
    an open topic is marked as on an agenda (from open only, compare-and-set)."""
    access.check_manage_meetings(actor, meeting.place)
    _check_open(meeting)
    if not selectors_meetings.agenda_topics(meeting).filter(pk=topic.pk).exists():
        message = _("Only an open topic of this village's forum can go on its meeting's agenda.")
        raise ApplicationError(message, code="invalid_topic", extra={"fields": {"topic": message}})
    errors: dict[str, str] = {}
    title = _text(title, 120, errors, "title") or topic.title[:120]
    note = _text(note, 2000, errors, "note")
    if errors:
        raise invalid(errors)
    item = _add_item(meeting, actor, source=AgendaItem.Source.TOPIC, topic=topic, title=title, note=note)
    ForumTopic.objects.filter(pk=topic.pk, state=ForumTopic.State.OPEN).update(
        state=ForumTopic.State.ON_AGENDA
    )
    return item


@transaction.atomic
def agenda_add_item(*, actor: User, meeting: Meeting, title: str, note: str = "") -> AgendaItem:
    """Put a matter of the cadre's own on the agenda."""
    access.check_manage_meetings(actor, meeting.place)
    _check_open(meeting)
    errors: dict[str, str] = {}
    title = _text(title, 120, errors, "title", required=True)
    note = _text(note, 2000, errors, "note")
    if errors:
        raise invalid(errors)
    return _add_item(meeting, actor, source=AgendaItem.Source.CADRE, title=title, note=note)


@transaction.atomic
def agenda_reorder(*, actor: User, meeting: Meeting, item_ids: Sequence[int]) -> list[AgendaItem]:
    """Put the agenda in the order of `item_ids` (every item of the meeting, each once)."""
    access.check_manage_meetings(actor, meeting.place)
    _check_open(meeting)
    items = {i.pk: i for i in AgendaItem.objects.select_for_update().filter(meeting=meeting)}
    if sorted(item_ids) != sorted(items) or len(set(item_ids)) != len(item_ids):
        message = _("Give every item of the agenda once, in the new order.")
        raise ApplicationError(message, extra={"fields": {"items": message}})
    changed = []
    for position, pk in enumerate(item_ids):
        if items[pk].order != position:
            items[pk].order = position
            changed.append(items[pk])
    AgendaItem.objects.bulk_update(changed, ["order"])
    return sorted(items.values(), key=lambda i: (i.order, i.pk))


def agenda_move(*, actor: User, item: AgendaItem, step: int) -> list[AgendaItem]:
    """Move an agenda item one place up (`step` -1) or down (+1)."""
    ids = list(AgendaItem.objects.filter(meeting_id=item.meeting_id).values_list("pk", flat=True))
    at = ids.index(item.pk)
    to = min(max(at + (1 if step > 0 else -1), 0), len(ids) - 1)
    ids.insert(to, ids.pop(at))
    return agenda_reorder(actor=actor, meeting=item.meeting, item_ids=ids)


@transaction.atomic
def agenda_outcome(*, actor: User, item: AgendaItem, outcome: str) -> AgendaItem:
    """Write down what the meeting said about an agenda item."""
    access.check_manage_meetings(actor, item.meeting.place)
    _check_open(item.meeting)
    errors: dict[str, str] = {}
    outcome = _text(outcome, 4000, errors, "outcome")
    if errors:
        raise invalid(errors)
    AgendaItem.objects.filter(pk=item.pk).update(outcome=outcome)
    item.outcome = outcome
    return item


@transaction.atomic
def agenda_remove(*, actor: User, item: AgendaItem) -> None:
    """Take an item off the agenda (one with decisions stays); a topic no other agenda holds is
    open for support again."""
    access.check_manage_meetings(actor, item.meeting.place)
    _check_open(item.meeting)
    if Decision.objects.filter(agenda_item=item).exists():
        raise Conflict(_("Decisions were made on this item: it stays on the agenda."), code="has_decisions")
    topic_id = item.topic_id
    AgendaItem.objects.filter(pk=item.pk).delete()
    if topic_id is not None and not AgendaItem.objects.filter(topic_id=topic_id).exists():
        ForumTopic.objects.filter(pk=topic_id, state=ForumTopic.State.ON_AGENDA).update(
            state=ForumTopic.State.OPEN
        )


# --- Attendance ----------------------------------------------------------------------------------


@transaction.atomic
def attendance_add(
    *,
    actor: User,
    meeting: Meeting,
    kind: str,
    user: User | None = None,
    agency: Agency | None = None,
    name: str = "",
    organisation: str = "",
    present: bool = True,
) -> Attendance:
    """Add who came (or was expected and did not, `present` False): one person on record (`user`,
    someone with a role in the meeting's town), one agency serving it, or a typed name."""
    access.check_manage_meetings(actor, meeting.place)
    _check_open(meeting)
    errors: dict[str, str] = {}
    if kind not in Attendance.Kind.values:
        errors["kind"] = _("Choose the part they attend as.")
    name = _text(name, 60, errors, "name")
    organisation = _text(organisation, 100, errors, "organisation")
    given = [x for x in (user, agency, name) if x]
    if len(given) != 1:
        errors["name"] = _("Choose one person, one agency, or type one name.")
    elif user is not None and not selectors_meetings.attendee_users(meeting).filter(pk=user.pk).exists():
        errors["user"] = _("Choose someone with a role in this town.")
    elif (
        agency is not None and not selectors_meetings.meeting_agencies(meeting).filter(pk=agency.pk).exists()
    ):
        errors["agency"] = _("Choose an agency serving this town.")
    if errors:
        raise invalid(errors)
    if user is not None:
        name = str(user)[:60]
    elif agency is not None:
        name = agency.name[:60]
        organisation = organisation or agency.name[:100]
    return Attendance.objects.create(
        meeting=meeting,
        kind=kind,
        user=user,
        agency=agency,
        name=name,
        organisation=organisation,
        present=bool(present),
    )


@transaction.atomic
def attendance_remove(*, actor: User, attendance: Attendance) -> None:
    access.check_manage_meetings(actor, attendance.meeting.place)
    _check_open(attendance.meeting)
    Attendance.objects.filter(pk=attendance.pk).delete()


# --- Decisions -----------------------------------------------------------------------------------

DECISION_FIELDS = [
    "text",
    "due_on",
    "owner_user",
    "owner_agency",
    "owner_name",
    "state",
    "case",
    "case_action",
]


@dataclass(frozen=True)
class Owner:
    """Who carries a decision out: a user, an agency, or a typed name (exactly one)."""

    user: User | None = None
    agency: Agency | None = None
    name: str = ""


def _decision_values(
    meeting: Meeting, *, text: str, due_on: date | None, owner: Owner, agenda_item: AgendaItem | None
) -> dict[str, Any]:
    errors: dict[str, str] = {}
    text = _text(text, 2000, errors, "text", required=True)
    name = _text(owner.name, 100, errors, "owner_name")
    if len([x for x in (owner.user, owner.agency, name) if x]) != 1:
        errors["owner"] = _("Choose one person or one agency, or type one name, to carry it out.")
    elif (
        owner.user is not None
        and not selectors_meetings.attendee_users(meeting).filter(pk=owner.user.pk).exists()
    ):
        errors["owner_user"] = _("Choose someone with a role in this town.")
    elif (
        owner.agency is not None
        and not selectors_meetings.meeting_agencies(meeting).filter(pk=owner.agency.pk).exists()
    ):
        errors["owner_agency"] = _("Choose an agency serving this town.")
    if due_on is None:
        errors["due_on"] = _("Give the day it is due.")
    elif due_on < timezone.localdate(meeting.starts_at):
        errors["due_on"] = _("The due day cannot be before the meeting.")
    if agenda_item is not None and agenda_item.meeting_id != meeting.pk:
        errors["agenda_item"] = _("Choose an item of this meeting's agenda.")
    if errors:
        raise invalid(errors)
    return {
        "text": text,
        "due_on": due_on,
        "owner_user": owner.user,
        "owner_agency": owner.agency,
        "owner_name": name,
        "agenda_item": agenda_item,
    }


def _decide(meeting: Meeting, actor: User, values: dict[str, Any], **case_values: Any) -> Decision:
    decision = Decision.objects.create(
        meeting=meeting, town_id=meeting.town_id, village_id=meeting.village_id, **values, **case_values
    )
    audit.record(
        actor=actor,
        action="governance.decision_create",
        target=decision,
        place_code=meeting.place.code,
        changes=audit.as_created(audit.snapshot(decision, DECISION_FIELDS)),
    )
    return decision


def _check_deciding(actor: User, meeting: Meeting) -> None:
    access.check_manage_meetings(actor, meeting.place)
    if meeting.state == Meeting.State.CANCELLED:
        raise Conflict(_("This meeting was cancelled."), code="cancelled")


@transaction.atomic
def decision_create(
    *,
    actor: User,
    meeting: Meeting,
    text: str,
    due_on: date | None,
    owner: Owner,
    agenda_item: AgendaItem | None = None,
) -> Decision:
    """Record what a meeting decided, who carries it out and by when."""
    _check_deciding(actor, meeting)
    values = _decision_values(meeting, text=text, due_on=due_on, owner=owner, agenda_item=agenda_item)
    return _decide(meeting, actor, values)


def _case_point(
    meeting: Meeting, *, lon: float | None, lat: float | None, grid: Place | None
) -> tuple[float, float, routing.Location | None]:
    """Where a case a decision opens is filed: a point the cadre gives (inside the village), the
    centre of a grid of the village, or the centre of the meeting's place; a centre outside every
    grid of the village files the case unrouted at the village (its cadres verify it)."""
    village = meeting.village
    if lon is not None or lat is not None:
        if lon is None or lat is None:
            raise invalid({"lon": _("Give both longitude and latitude, or neither.")})
        located = routing.locate(lon, lat)
        if located.village is None or located.village.id != village.pk or not located.routed:
            raise invalid(
                {
                    "lon": _("This point lies outside the grids of %(village)s.")
                    % {"village": village.display_name}
                }
            )
        return located.lon, located.lat, None
    place = meeting.place
    if grid is not None:
        if grid.level != Place.Level.GRID or grid.parent_id != village.pk:
            raise invalid({"grid": _("Choose a grid of %(village)s.") % {"village": village.display_name}})
        place = grid
    located_place = mapindex.current().places.get(place.pk)
    if located_place is None:
        message = _("%(place)s has no boundary to place the case by: give a point.") % {
            "place": place.display_name
        }
        raise invalid({"lon": message})
    lon, lat = located_place.center
    located = routing.locate(lon, lat)
    if located.routed and located.village is not None and located.village.id == village.pk:
        return lon, lat, None
    town = meeting.town
    district = town.parent

    def ref(p: Place) -> routing.PlaceRef:
        return routing.PlaceRef(id=p.pk, code=p.code, name=p.name, level=p.level)

    return (
        lon,
        lat,
        routing.Location(lon, lat, False, None, ref(village), ref(town), ref(district) if district else None),
    )


@transaction.atomic
def decision_open_case(
    *,
    actor: User,
    meeting: Meeting,
    text: str,
    due_on: date | None,
    owner: Owner,
    category: Category | str | None,
    description: str = "",
    agenda_item: AgendaItem | None = None,
    grid: Place | None = None,
    lon: float | None = None,
    lat: float | None = None,
    is_public: bool = True,
) -> Decision:
    """Record a decision that opens a case (source "deliberation") for the village to follow up.

    1. Check the decision (as `decision_create`) and where the case goes (`_case_point`).
    2. File the case through `cases.services.case_create`: recorded by the cadre for nobody
       (`reporter` None), its description the decision's unless given; its "report" event names the
       meeting and the decision. Its own checks (category, text) refuse with their field errors.
    3. The decision keeps the case (`case_action` ""). One transaction: nothing stays if any step fails.
    """
    _check_deciding(actor, meeting)
    values = _decision_values(meeting, text=text, due_on=due_on, owner=owner, agenda_item=agenda_item)
    lon, lat, location = _case_point(meeting, lon=lon, lat=lat, grid=grid)
    intake = case_services.case_create(
        reporter=None,
        actor=actor,
        source=Case.Source.DELIBERATION,
        category=category,
        description=(description or "").strip() or values["text"],
        lon=lon,
        lat=lat,
        is_public=is_public,
        location=location,
        event_data={"meeting": meeting.pk, "meeting_title": meeting.title},
    )
    return _decide(meeting, actor, values, case=intake.case, case_action="")


@transaction.atomic
def decision_move_case(
    *,
    actor: User,
    meeting: Meeting,
    text: str,
    due_on: date | None,
    owner: Owner,
    case: Case,
    action: str,
    agenda_item: AgendaItem | None = None,
) -> Decision:
    """Record a decision that moves a case on the meeting's agenda through the workflow.

    1. Check the decision, that the case is on this meeting's agenda, and that `action` is one the
       cadre may take on it now with the decision's text as its note (`selectors_meetings.case_moves`).
    2. Apply it with `cases.services.case_act` (its compare-and-set, its event, its notices); a refusal
       there (the case moved meanwhile) leaves nothing written.
    3. The decision keeps the case and the action.
    """
    _check_deciding(actor, meeting)
    values = _decision_values(meeting, text=text, due_on=due_on, owner=owner, agenda_item=agenda_item)
    if not AgendaItem.objects.filter(meeting=meeting, case=case).exists():
        message = _("Only a case on this meeting's agenda can be moved on by its decisions.")
        raise invalid({"case": message})
    if action not in {t.action for t in selectors_meetings.case_moves(actor, case)}:
        raise invalid({"action": _("This step is not open to you on this case now.")})
    moved = case_services.case_act(case=case, action=action, actor=actor, note=values["text"])
    return _decide(meeting, actor, values, case=moved, case_action=action)


@transaction.atomic
def decision_mark(*, actor: User, decision: Decision, state: str, note: str = "") -> Decision:
    """Mark an open decision done (with how, optionally) or dropped (with why); once only."""
    if not access.can_update_decision(actor, decision):
        raise PermissionDenied(_("You may not update this decision."))
    errors: dict[str, str] = {}
    note = _text(note, 2000, errors, "note", required=state == Decision.State.DROPPED)
    if state not in (Decision.State.DONE, Decision.State.DROPPED):
        errors["state"] = _("Mark it done or dropped.")
    if errors:
        raise invalid(errors)
    now = timezone.now()
    updated = Decision.objects.filter(pk=decision.pk, state=Decision.State.OPEN).update(
        state=state, done_at=now, done_note=note
    )
    if not updated:
        raise Conflict(_("This decision was already marked."), code="conflict")
    decision.refresh_from_db()
    audit.record(
        actor=actor,
        action="governance.decision_mark",
        target=decision,
        place_code=decision.meeting.place.code,
        changes={"state": {"from": Decision.State.OPEN, "to": state}, "done_note": note},
    )
    return decision
