"""The API's shapes of deliberation meetings (pydantic, through django-ninja). Every name starts with
`GovMeeting`: schema names are unique across the whole API."""

from __future__ import annotations

import datetime as dt
from datetime import date, datetime
from typing import Any

from ninja import Schema
from pydantic import Field


class GovMeetingOut(Schema):
    id: int
    title: str
    starts_at: datetime
    venue: str
    state: str = Field(description="planned, held or cancelled")
    state_label: str
    is_published: bool
    place_code: str
    place_name: str
    village_code: str
    series_id: int | None
    agenda_count: int | None = None
    decision_count: int | None = None


class GovMeetingPageOut(Schema):
    items: list[GovMeetingOut]
    next_cursor: str = Field("", description="Send as `after` for the next page; empty on the last page.")


class GovMeetingAgendaItemOut(Schema):
    id: int
    order: int
    source: str = Field(description="case, topic or cadre")
    source_label: str
    title: str
    note: str = Field(description="Internal: empty for residents.")
    outcome: str
    case_number: str = Field(description="Empty for residents when the case is not public.")
    topic_id: int | None
    topic_support: int | None


class GovMeetingAttendeeOut(Schema):
    id: int
    kind: str
    kind_label: str
    name: str
    organisation: str
    present: bool


class GovMeetingAttendanceCountOut(Schema):
    kind_label: str
    count: int


class GovMeetingAttendanceOut(Schema):
    rows: list[GovMeetingAttendeeOut] = Field(
        description="Everyone for the staff; for residents the cadres, representatives, agencies and paired units."
    )
    counted: list[GovMeetingAttendanceCountOut] = Field(
        description="The others, counted by the part they played."
    )
    present: int
    total: int


class GovMeetingDecisionOut(Schema):
    id: int
    text: str
    owner: str
    due_on: date
    state: str = Field(description="open, done or dropped")
    state_label: str
    overdue: bool
    on_time: bool | None = Field(description="Done by its due day; null while not done.")
    done_at: datetime | None
    done_note: str
    case_number: str
    case_step: str = Field(description="“Case opened” or the label of the workflow step taken.")
    meeting_id: int
    meeting_title: str
    meeting_starts_at: datetime
    place_name: str = Field(description="The village or grid whose meeting decided it.")


class GovMeetingDecisionPageOut(Schema):
    items: list[GovMeetingDecisionOut]
    next_cursor: str = ""


class GovMeetingCaseMoveOut(Schema):
    case_number: str
    action: str
    label: str


class GovMeetingDetailOut(GovMeetingOut):
    minutes: str = Field(description="Empty for residents.")
    held_at: datetime | None
    version: int = Field(description="Send back when recording or cancelling (compare-and-set).")
    can_manage: bool
    agenda: list[GovMeetingAgendaItemOut]
    attendance: GovMeetingAttendanceOut
    decisions: list[GovMeetingDecisionOut]
    case_moves: list[GovMeetingCaseMoveOut] = Field(
        default_factory=list,
        description="For managers: the workflow steps a decision may take on the agenda's cases.",
    )


class GovMeetingIn(Schema):
    place_code: str = Field(description="The village or grid holding the meeting.")
    title: str
    starts_at: datetime
    venue: str = ""


class GovMeetingRecordIn(Schema):
    minutes: str
    held_at: datetime | None = None
    version: int


class GovMeetingCancelIn(Schema):
    reason: str = ""
    version: int


class GovMeetingPublishIn(Schema):
    published: bool = True


class GovMeetingAgendaItemIn(Schema):
    source: str = Field(description="case (give case_number), topic (give topic_id) or cadre (give title)")
    case_number: str = ""
    topic_id: int | None = None
    title: str = ""
    note: str = ""


class GovMeetingAgendaOrderIn(Schema):
    item_ids: list[int]


class GovMeetingAttendeeIn(Schema):
    kind: str
    user_id: int | None = None
    agency_code: str = ""
    name: str = ""
    organisation: str = ""
    present: bool = True


class GovMeetingOpenCaseIn(Schema):
    category: str = Field(description="The code of the new case's category.")
    description: str = Field("", description="Default: the decision's text.")
    grid_code: str = Field("", description="Place the case at the centre of this grid of the village.")
    lon: float | None = None
    lat: float | None = None
    is_public: bool = True


class GovMeetingMoveCaseIn(Schema):
    case_number: str
    action: str = Field(description="One of the detail's `case_moves` for this case.")


class GovMeetingDecisionIn(Schema):
    text: str
    due_on: date
    owner_user_id: int | None = None
    owner_agency_code: str = ""
    owner_name: str = ""
    agenda_item_id: int | None = None
    open_case: GovMeetingOpenCaseIn | None = None
    move_case: GovMeetingMoveCaseIn | None = None


class GovMeetingDecisionMarkIn(Schema):
    state: str = Field(description="done or dropped")
    note: str = ""


class GovMeetingSeriesOut(Schema):
    id: int
    place_code: str
    name: str
    rule: str
    params: dict[str, Any]
    on_holiday: str
    time: dt.time
    venue: str
    is_active: bool


class GovMeetingSeriesIn(Schema):
    place_code: str
    name: str
    rule: str = Field(description="days, weekday or weekly")
    params: dict[str, Any] = Field(
        description='{"days": [5, 15, 25]}, {"nth": 1, "weekday": 0} or {"weekday": 2}'
    )
    on_holiday: str = Field("keep", description="keep, next, previous or skip")
    time: dt.time
    venue: str = ""
    is_active: bool = True


class GovMeetingSeriesPatch(Schema):
    name: str | None = None
    rule: str | None = None
    params: dict[str, Any] | None = None
    on_holiday: str | None = None
    time: dt.time | None = None
    venue: str | None = None
    is_active: bool | None = None
