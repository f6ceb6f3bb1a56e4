"""API schemas of the volunteers app; the outputs mirror the presenters' views."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Field, Schema

from civicgrid.core.schemas import InputSchema


class ActivityOut(Schema):
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
    my_state: str = Field(..., description='Your sign-up: "", "confirmed", "waiting" or "cancelled"')
    my_position: int | None = Field(None, description="Your place on the waiting list")
    checked_in_at: datetime | None
    checked_out_at: datetime | None
    can_sign_up: bool
    can_cancel: bool
    can_manage: bool


class ActivityListOut(Schema):
    count: int
    items: list[ActivityOut]


class ActivityQuery(InputSchema):
    when: str = Field("upcoming", pattern="^(upcoming|past|all)$")
    service_field: str = ""
    community: str = Field("", max_length=15, description="A place code (prefix)")
    team: int | None = None
    text: str = Field("", max_length=50)
    offset: int = Field(0, ge=0, le=10000)
    limit: int = Field(20, ge=1, le=100)


class SignupOut(Schema):
    activity_id: int
    state: str
    position: int | None


class CheckIn(InputSchema):
    token: str = Field(..., max_length=40, description="The token of the scanned code's URL")
    lon: float | None = Field(None, ge=-180, le=180, description="WGS-84, when the activity checks distance")
    lat: float | None = Field(None, ge=-90, le=90)


class CheckOut(Schema):
    action: str = Field(..., description='"in" or "out"')
    checked_in_at: datetime | None
    checked_out_at: datetime | None


class HoursOut(Schema):
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
    day: date
    content: str
    minutes: int
    hours: str
    started_at: datetime | None
    ended_at: datetime | None
    missing_checkout: bool
    corrects_id: int | None
    reason: str
    decline_reason: str


class MyHoursOut(Schema):
    approved_minutes: int
    pending_minutes: int
    items: list[HoursOut]


class DeclineIn(InputSchema):
    reason: str = Field(..., min_length=1, max_length=300)


class ExportQuery(InputSchema):
    volunteer: str = Field("", max_length=24, description="A volunteer number")
    team: int | None = None
    community: str = Field("", max_length=15, description="A village or community's code")
    date_from: date | None = None
    date_to: date | None = None
