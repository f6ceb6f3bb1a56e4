"""What a viewer sees of a meeting and its decisions: built once here, rendered by the pages and the
API alike.

Those who see all of a place's meetings (its managers, the region's staff) see everything: the
minutes, internal notes on agenda items, every attendee, case numbers. The people of the village see
a published meeting's agenda (titles, sources, outcomes; a case's number only when the case is
public) and decisions; of the attendance, the names of the village cadres and residents'
representatives and the agencies and paired units that came, the others counted by the part they
played. Nobody's phone is ever part of a meeting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.cases.workflow import action_label
from civicgrid.governance import access
from civicgrid.governance.models import AgendaItem, Attendance, Decision, Meeting

# The parts whose attendees the residents read by name (people in public roles, or institutions).
NAMED_FOR_RESIDENTS = frozenset(
    {
        Attendance.Kind.CADRE,
        Attendance.Kind.REPRESENTATIVE,
        Attendance.Kind.AGENCY,
        Attendance.Kind.PAIRED_UNIT,
    }
)


@dataclass(frozen=True)
class AgendaRow:
    id: int
    order: int
    source: str
    source_label: str
    title: str
    note: str  # internal: empty for residents
    outcome: str
    case_id: int | None
    case_number: str
    case_url: str
    case_state: str
    topic_id: int | None
    topic_support: int | None
    first: bool
    last: bool


@dataclass(frozen=True)
class AttendeeRow:
    id: int
    kind: str
    kind_label: str
    name: str
    organisation: str
    present: bool


@dataclass(frozen=True)
class AttendanceView:
    rows: list[AttendeeRow]  # the attendees shown by name
    counted: list[tuple[str, int]]  # (part, how many) of those not shown by name
    present: int
    total: int


@dataclass(frozen=True)
class DecisionRow:
    id: int
    text: str
    owner: str
    due_on: date
    state: str
    state_label: str
    overdue: bool
    on_time: bool | None  # done by its due day; None while not done
    done_at: datetime | None
    done_note: str
    case_number: str
    case_url: str
    case_step: str  # "Case opened" or the workflow action's label
    meeting_id: int
    meeting_title: str
    meeting_starts_at: datetime
    place_name: str
    can_mark: bool


@dataclass(frozen=True)
class MeetingView:
    meeting: Meeting
    sees_all: bool
    can_manage: bool
    state_label: str
    minutes: str
    agenda: list[AgendaRow]
    attendance: AttendanceView
    decisions: list[DecisionRow]
    place_name: str
    series_name: str
    is_past: bool
    calendar_url: str
    actions: list[str] = field(default_factory=list)


def _case_link(case, sees_all: bool) -> tuple[str, str]:
    """(number, url) of a case as a viewer of the meeting may follow it: staff to the case, the
    village's people to the public status page of a public case, nothing otherwise."""
    if case is None:
        return "", ""
    if sees_all:
        return case.tracking_number, case.get_absolute_url()
    if case.is_public:
        return case.tracking_number, reverse("cases:public_status_number", args=[case.tracking_number])
    return "", ""


def agenda_rows(items: list[AgendaItem], *, sees_all: bool) -> list[AgendaRow]:
    rows = []
    for i, item in enumerate(items):
        number, url = _case_link(item.case, sees_all)
        rows.append(
            AgendaRow(
                id=item.pk,
                order=item.order,
                source=item.source,
                source_label=item.get_source_display(),
                title=item.title,
                note=item.note if sees_all else "",
                outcome=item.outcome,
                case_id=item.case_id if sees_all else None,
                case_number=number,
                case_url=url,
                case_state=item.case.get_state_display() if item.case is not None and sees_all else "",
                topic_id=item.topic_id,
                topic_support=item.topic.support_count if item.topic is not None else None,
                first=i == 0,
                last=i == len(items) - 1,
            )
        )
    return rows


def attendance_view(rows: list[Attendance], *, sees_all: bool) -> AttendanceView:
    shown: list[AttendeeRow] = []
    counted: dict[str, int] = {}
    for row in rows:
        if sees_all or row.kind in NAMED_FOR_RESIDENTS:
            name = row.name
            if not sees_all and row.kind in (Attendance.Kind.AGENCY, Attendance.Kind.PAIRED_UNIT):
                # An institution by its name; the person who came for it stays unnamed.
                name = row.organisation or row.name
            shown.append(
                AttendeeRow(row.pk, row.kind, row.get_kind_display(), name, row.organisation, row.present)
            )
        elif row.present:
            label = row.get_kind_display()
            counted[label] = counted.get(label, 0) + 1
    if not sees_all:
        shown = [r for r in shown if r.present]
    return AttendanceView(
        rows=shown,
        counted=sorted(counted.items()),
        present=sum(1 for r in rows if r.present),
        total=len(rows),
    )


def owner_label(decision: Decision) -> str:
    if decision.owner_user_id is not None:
        return str(decision.owner_user)
    if decision.owner_agency_id is not None:
        return decision.owner_agency.name
    return decision.owner_name


def decision_row(
    user, decision: Decision, *, sees_all: bool, today: date, meeting: Meeting | None = None
) -> DecisionRow:
    meeting = meeting or decision.meeting
    number, url = _case_link(decision.case, sees_all)
    step = ""
    if decision.case_id is not None:
        step = _("Case opened") if not decision.case_action else action_label(decision.case_action)
    on_time = None
    if decision.state == Decision.State.DONE and decision.done_at is not None:
        on_time = timezone.localdate(decision.done_at) <= decision.due_on
    decision.meeting = meeting
    return DecisionRow(
        id=decision.pk,
        text=decision.text,
        owner=owner_label(decision),
        due_on=decision.due_on,
        state=decision.state,
        state_label=decision.get_state_display(),
        overdue=decision.state == Decision.State.OPEN and decision.due_on < today,
        on_time=on_time,
        done_at=decision.done_at,
        done_note=decision.done_note,
        case_number=number,
        case_url=url,
        case_step=step,
        meeting_id=meeting.pk,
        meeting_title=meeting.title,
        meeting_starts_at=meeting.starts_at,
        place_name=meeting.place.display_name,
        can_mark=decision.state == Decision.State.OPEN and access.can_update_decision(user, decision),
    )


def decision_rows(
    user, decisions: list[Decision], *, sees_all: bool, today: date | None = None
) -> list[DecisionRow]:
    today = today or timezone.localdate()
    return [decision_row(user, d, sees_all=sees_all, today=today) for d in decisions]


def meeting_actions(meeting: Meeting, can_manage: bool) -> list[str]:
    """What a manager may do to the meeting now: "record", "cancel", "publish", "unpublish", "edit"
    (agenda, attendance, decisions)."""
    if not can_manage:
        return []
    found = []
    if meeting.state != Meeting.State.CANCELLED:
        found += ["record", "edit"]
        found.append("unpublish" if meeting.is_published else "publish")
    if meeting.state == Meeting.State.PLANNED:
        found.append("cancel")
    return found


def meeting_view(
    user,
    meeting: Meeting,
    *,
    agenda: list[AgendaItem],
    attendance: list[Attendance],
    decisions: list[Decision],
    now: datetime | None = None,
) -> MeetingView:
    now = now or timezone.now()
    can_manage = access.can_manage_meetings(user, meeting.place)
    sees_all = can_manage or access.sees_all_meetings(user, meeting.place)
    today = timezone.localdate(now)
    return MeetingView(
        meeting=meeting,
        sees_all=sees_all,
        can_manage=can_manage,
        state_label=meeting.get_state_display(),
        minutes=meeting.minutes if sees_all else "",
        agenda=agenda_rows(agenda, sees_all=sees_all),
        attendance=attendance_view(attendance, sees_all=sees_all),
        decisions=[decision_row(user, d, sees_all=sees_all, today=today, meeting=meeting) for d in decisions],
        place_name=meeting.place.display_name,
        series_name=meeting.series.name if meeting.series_id else "",
        is_past=meeting.starts_at < now,
        calendar_url=reverse("governance:meetings_calendar", args=[meeting.place.code]),
        actions=meeting_actions(meeting, can_manage),
    )
