"""API shapes for cases: intake, lists, the case record, actions, notifications, 12345 orders."""

from __future__ import annotations

import copy
from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.utils import timezone
from ninja import Field, Schema
from pydantic import ConfigDict, field_validator

from civicgrid.cases.models import Case
from civicgrid.core.schemas import InputSchema

Crs = Literal["wgs84", "gcj02", "bd09"]


def _aware(value: datetime | None) -> datetime | None:
    # Clients often send local times without an offset; they mean the site's time zone.
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


# Lists page by offset up to here; past it (10,000 pages of 100) narrow the filters instead.
MAX_PAGE = 10_000
MAX_OFFSET = MAX_PAGE * 100
# Ids are 64-bit signed integers in the database.
MAX_ID = 2**63 - 1


# ---------------------------------------------------------------------------------------------
# Intake


class CaseIn(InputSchema):
    """A new report. Sent as JSON (photos as base64) or as multipart/form-data (photos as files)."""

    model_config = ConfigDict(
        # The service reports a missing category with a translated field message, so it defaults to
        # "" for parsing but is documented as required. The description is required unless the
        # category's `description_required` is false (see /categories).
        json_schema_extra={"required": ["category", "lon", "lat"]}
    )

    category: str = Field("", description="Code of a minor category (小类), e.g. C0201; see /categories")
    description: str = Field(
        "",
        description="What is wrong, up to 2000 characters; may be empty when the category's "
        "`description_required` is false",
    )
    lon: float = Field(..., description="Longitude in `crs`")
    lat: float = Field(..., description="Latitude in `crs`")
    crs: Crs = Field("wgs84", description="wgs84 (GPS), gcj02 (WeChat, AMap) or bd09 (Baidu)")
    address: str = Field("", max_length=200, description="Address or landmark, as the reporter says it")
    reporter_phone: str = Field("", description="Optional contact phone; never shown publicly")
    reporter_name: str = Field(
        "",
        max_length=50,
        description="Name of the person reporting; only for staff recording on someone's behalf",
    )
    is_public: bool = Field(
        True, description="Show the case (without personal data) on the public status page"
    )
    priority: Literal["normal", "urgent"] = Field(
        "normal", description="normal or urgent (urgent: staff intake only)"
    )
    source: Literal[tuple(Case.Source.values)] = Field(  # type: ignore[valid-type]
        "resident",
        description="resident (default), mobile_grid_member (riders), or a staff source: grid_patrol, "
        "hotline, liaison_group, deliberation (these need the intake permission)",
    )
    external_ref: str = Field("", max_length=64, description="Reference in another system (staff intake)")
    answers: dict[str, Any] | None = Field(
        None,
        description="Answers to the category's questions (see `questions` in /categories), by question "
        "code: text, a number, an ISO 8601 date and time (without a zone: China time), a choice's key, or "
        'a list of keys for several choices, e.g. {"damage": "missing", "kinds": ["car", "bike"]}. '
        "With multipart/form-data, send one field `answers.CODE` per answer (repeated for several "
        "choices) or `answers` as a JSON object. Errors come back keyed `answers.CODE`.",
    )
    photos: list[str] = Field(
        default_factory=list,
        description="JSON only: photos as base64 strings (a `data:image/...;base64,` prefix is allowed). "
        "With multipart/form-data, send them as files in the `photos` field instead.",
    )


class CaseCreatedOut(Schema):
    tracking_number: str = Field(..., description="Readable over the phone, e.g. 20261129-0042")
    state: str
    state_label: str
    routed: bool = Field(..., description="False when the point is outside every grid (the unrouted queue)")
    grid: str | None = Field(None, description="Code of the grid it was filed under")
    village: str | None = None
    town: str | None = None
    created_at: datetime
    status_url: str = Field(..., description="The public status page of this case")
    url: str = Field(..., description="This case in the API (for people who may see it)")


# ---------------------------------------------------------------------------------------------
# Lists


class CaseListQuery(InputSchema):
    queue: str = Field("", max_length=40, description="A work queue: verify, decide, check, village, "
                       "dispatch, requests, unrouted, sign, in_progress, rate")  # fmt: skip
    state: str = Field("", max_length=40, description="A case state, e.g. reported, dispatched")
    category: str = Field("", max_length=20, description="A category code, major (C02) or minor (C0201)")
    region: str = Field(
        "", max_length=20, description="A place code: cases in that grid, village, town or district"
    )
    source: str = Field(
        "", max_length=40, description="resident, mobile_grid_member, grid_patrol, hotline, ..."
    )
    agency: str = Field("", max_length=40, description="An agency code: cases it leads or co-handles")
    date_from: date | None = Field(None, description="Reported on or after this day")
    date_to: date | None = Field(None, description="Reported on or before this day")
    overdue: bool | None = Field(None, description="Only overdue (true) or only on time (false)")
    text: str = Field(
        "", max_length=200, description="Search tracking number, description, address, external reference"
    )
    mine: bool = Field(False, description="Only cases I reported")
    limit: int = Field(20, ge=1, le=100)
    cursor: str = Field(
        "",
        max_length=120,
        description="Where the next page starts: the `cursor` parameter of the previous answer's `next`; "
        "as fast as the first page however deep. Overrides offset and page",
    )
    offset: int = Field(
        0,
        ge=0,
        le=MAX_OFFSET,
        description=f"Items to skip; at most {MAX_OFFSET}. Kept for older clients: a deep offset is slow, "
        "follow `next` instead",
    )
    page: int | None = Field(
        None,
        ge=1,
        le=MAX_PAGE,
        description=f"1-based page of `limit` items (at most {MAX_PAGE}); overrides offset. Kept for older "
        "clients: follow `next` instead",
    )


class CodeNameOut(Schema):
    code: str
    name: str


class CaseListItemOut(Schema):
    tracking_number: str
    state: str
    state_label: str
    category: CodeNameOut
    source: str
    priority: str
    address: str
    created_at: datetime
    step_due_at: datetime | None
    is_overdue: bool
    routed: bool
    town: str | None
    village: str | None
    grid: str | None
    lead_agency: CodeNameOut | None


COUNT_CAP_TEXT = (
    "counted up to 1,000: when `count_exact` is false there are more than 1,000 and `count` is 1000"
)


class CaseListOut(Schema):
    count: int = Field(..., description=f"Matching cases, not only this page; {COUNT_CAP_TEXT}")
    count_exact: bool = Field(..., description="Whether `count` is every matching case (false: 1,000+)")
    limit: int
    offset: int
    next: str | None = Field(
        ..., description="The URL of the next page (same filters, a `cursor`); null on the last page"
    )
    items: list[CaseListItemOut]


# ---------------------------------------------------------------------------------------------
# The case record


class ReporterOut(Schema):
    name: str = Field(..., description="Masked unless you may see who reported it")
    phone: str = Field(
        ...,
        description="Masked unless you handle the open case in its grid, village or town (and may call them)",
    )


class DetailOut(Schema):
    label: str
    value: str


class EventOut(Schema):
    id: int
    at: datetime
    action: str
    label: str
    from_state: str
    to_state: str
    state_label: str = Field("", description="Label of the state the step led to, if it changed it")
    actor: str | None = Field(
        None, description="The person's name; shown to the staff of the case only (the reporter's "
        "only to those who may see who reported it)"
    )  # fmt: skip
    actor_role: str
    actor_role_label: str
    note: str = Field(..., description="Empty when you may not read it (internal notes are staff only)")
    note_is_reply: bool = Field(False, description="The note answers the reporter; the public reads it")
    is_public: bool = Field(True, description="The step shows on the reporter's record and the status page")
    details: list[DetailOut] = Field(default_factory=list, description="The step's facts, as shown")
    data: dict[str, Any] = Field(
        default_factory=dict,
        description="Details of the step: all of them for staff; for the reporter only the case it "
        "was merged into and the rating they gave",
    )


class PhotoOut(Schema):
    id: int
    kind: str
    event_id: int | None
    width: int
    height: int
    url: str
    thumbnail_url: str


class AppointmentOut(Schema):
    event_id: int
    starts_at: datetime
    place: str
    participants: str


class ActionOut(Schema):
    action: str = Field(..., description="POST it to /{number}/actions/{action}")
    label: str
    requires: list[str] = Field(
        ...,
        description="Fields that must be sent: note, photos, agency, merge_into, until, grid; "
        "`rating` means both `solved` and `satisfaction`",
    )
    accepts: list[str] = Field(..., description="Fields that may be sent besides the required ones")
    danger: bool = Field(..., description="Closes a door: ask for confirmation")


class CategoryRefOut(Schema):
    code: str
    name: str
    parent_code: str | None
    parent_name: str | None


class AnswerOut(Schema):
    code: str = Field(..., description="The question's code")
    label: str = Field(..., description="The question, in the request's language")
    value: Any = Field(
        ..., description="The answer as stored: text, a number, an ISO date and time, a key or keys"
    )
    text: str = Field(..., description="The answer as a person reads it (choices by name)")


class CaseDetailOut(Schema):
    tracking_number: str
    state: str
    state_label: str
    source: str
    source_label: str
    category: CategoryRefOut
    description: str
    answers: list[AnswerOut] = Field(..., description="Answers to the category's questions")
    address: str
    lon: float
    lat: float
    routed: bool
    grid: str | None
    village: str | None
    town: str | None
    district: str | None
    priority: str
    is_public: bool
    external_ref: str
    reporter: ReporterOut
    lead_agency: CodeNameOut | None
    co_agencies: list[CodeNameOut]
    pending_request: str
    pending_until: datetime | None
    merged_into: str | None
    merged_cases: list[str]
    step_due_at: datetime | None
    is_overdue: bool
    response_due_at: datetime | None
    resolution_due_at: datetime | None
    solved: bool | None
    satisfaction: str
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    version: int
    events: list[EventOut]
    photos: list[PhotoOut]
    appointments: list[AppointmentOut]
    actions: list[ActionOut] = Field(..., description="What you may do to this case now")


class AppointmentIn(InputSchema):
    starts_at: datetime
    place: str = Field(..., max_length=200)
    participants: str = Field("", max_length=1000)

    aware_start = field_validator("starts_at")(_aware)


class ActionIn(InputSchema):
    """What an action takes; /{number} lists, per allowed action, what it requires and accepts."""

    note: str = Field("", max_length=2000, description="Note or reason")
    agency: str | None = Field(None, description="Lead agency code (dispatch)")
    co_agencies: list[str] = Field(default_factory=list, description="Co-handling agency codes (dispatch)")
    appointment: AppointmentIn | None = Field(None, description="On-site appointment (dispatch)")
    until: datetime | date | None = Field(
        None,
        description="Extension runs until (request_extension): a time, or a day (YYYY-MM-DD), which means "
        "the end of that working day (CASE_WORKDAY_END, 18:00 by default)",
    )
    merge_into: str | None = Field(None, description="Tracking number of the case to merge into")
    grid: str | None = Field(None, description="Grid code (assign_grid)")
    solved: bool | None = Field(None, description="Was it solved? (rate)")
    satisfaction: str = Field("", description="satisfied, basically_satisfied or unsatisfied (rate)")
    photos: list[str] = Field(
        default_factory=list,
        description="JSON only: base64 photos. With multipart/form-data, send files in `photos`.",
    )

    @field_validator("until", mode="before")
    @classmethod
    def day_or_time(cls, value: Any) -> Any:
        # "2026-12-05" is a day; anything longer is a time.
        if isinstance(value, str) and len(value.strip()) == 10:
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                return value
        return value

    @field_validator("until")
    @classmethod
    def aware_until(cls, value: datetime | date | None) -> datetime | date | None:
        return _aware(value) if isinstance(value, datetime) else value


class CommentIn(InputSchema):
    note: str = Field(..., max_length=2000)
    reply: bool = Field(
        False, description="Staff of the case: the note answers the reporter, who (and the public) reads it"
    )


# ---------------------------------------------------------------------------------------------
# Categories, notifications, the public page


class ChoiceOut(Schema):
    key: str = Field(..., description="What an answer sends")
    name: str = Field(..., description="What a person reads, in the request's language")
    name_en: str


class QuestionOut(Schema):
    code: str = Field(..., description="The key of the answer in `answers`")
    label: str = Field(..., description="The question, in the request's language")
    label_en: str
    hint: str = Field(..., description="A hint on how to answer, in the request's language")
    hint_en: str
    datatype: Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"] = Field(
        ...,
        description="string (≤ 200 characters), text (≤ 2000), number, datetime (ISO 8601), "
        "singlevaluelist (one key of `values`), multivaluelist (a list of keys)",
    )
    required: bool
    order: int = Field(..., description="Ask in this order (1 first)")
    values: list[ChoiceOut] = Field(..., description="The choices of the list types; empty otherwise")


class MinorCategoryOut(Schema):
    code: str
    name: str
    name_en: str
    photo_required: bool
    description_required: bool = Field(..., description="False: a report may come without a description")
    quick_icon: str = Field(
        ...,
        description="Set for the common problems a report page shows as large icons (an icon name); else empty",
    )
    phrases: list[str] = Field(
        ..., description="Suggested phrases for the description, in the request's language"
    )
    is_urgent: bool
    questions: list[QuestionOut] = Field(..., description="What a report in this category answers too")


class MajorCategoryOut(Schema):
    code: str
    name: str
    name_en: str
    kind: str
    children: list[MinorCategoryOut]


class CategoriesQuery(InputSchema):
    lon: float | None = Field(None, description="Only categories valid at this point (with lat)")
    lat: float | None = None
    crs: Crs = Field("wgs84", description="wgs84, gcj02 or bd09")


class NotificationOut(Schema):
    id: int
    kind: str
    kind_label: str
    text: str
    case: str | None = Field(
        ..., description="Tracking number; null for a daily digest (`kind` digest), which sums up many cases"
    )
    created_at: datetime
    read_at: datetime | None


class NotificationListOut(Schema):
    count: int = Field(
        ..., description=f"Your notifications (unread ones with `unread=true`); {COUNT_CAP_TEXT}"
    )
    count_exact: bool = Field(..., description="Whether `count` is all of them (false: 1,000+)")
    unread: int = Field(
        ..., description="Your unread notifications, counted up to 1,000 (see `unread_exact`)"
    )
    unread_exact: bool = Field(..., description="Whether `unread` is all of them (false: 1,000+)")
    next: str | None = Field(..., description="The URL of the next (older) page; null on the last page")
    items: list[NotificationOut]


class NotificationsQuery(InputSchema):
    unread: bool = Field(False, description="Only unread notifications")
    limit: int = Field(50, ge=1, le=200)
    cursor: str = Field(
        "",
        max_length=120,
        description="Where the next page starts: the `cursor` parameter of the previous answer's `next`. "
        "Overrides offset",
    )
    offset: int = Field(
        0,
        ge=0,
        le=MAX_OFFSET,
        description=f"Items to skip; at most {MAX_OFFSET}. Kept for older clients: follow `next` instead",
    )


class NotificationsReadIn(InputSchema):
    ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None = Field(
        None, max_length=1000, description="Notifications to mark read (at most 1000)"
    )
    all: bool = Field(False, description="Mark all of mine read")


class NotificationsReadOut(Schema):
    marked: int
    unread: int


class PublicEventOut(Schema):
    id: int
    at: datetime
    action: str
    label: str
    state: str = Field(..., description="The state after the step")
    from_state: str
    state_label: str = Field("", description="Label of the state the step led to, if it changed it")
    actor_role: str
    actor_role_label: str = Field(..., description="Who acted, as a role; never a name")
    note: str = Field(
        ..., description="A reply to the reporter (a resolution, a rejection's reason); else empty"
    )
    note_is_reply: bool
    details: list[DetailOut] = Field(default_factory=list)


class PublicPhotoOut(Schema):
    id: int
    kind: str
    event_id: int | None
    thumbnail_url: str = Field(..., description="Report and result photos, at thumbnail size only")


class PublicCaseOut(Schema):
    tracking_number: str
    state: str
    state_label: str
    category: str
    created_at: datetime
    address: str
    lon: float = Field(..., description="Rounded to about 100 m")
    lat: float
    events: list[PublicEventOut]
    merged_into: str
    photos: list[PublicPhotoOut] = Field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# 12345 hotline


class HotlineOrderIn(InputSchema):
    order_number: str = Field(
        ..., min_length=1, max_length=64, description="The 12345 work-order number (工单编号)"
    )
    category: str = Field(
        ...,
        max_length=200,
        description="The hotline's category path (问题分类, e.g. 城乡建设>市容环卫>垃圾清运), mapped through the "
        "hotline category table; or a CivicGrid minor category code. A path not mapped yet is refused "
        "(code category_unmapped) and listed for an administrator to map.",
    )
    description: str = Field(..., description="What the caller reported (诉求内容)")
    lon: float | None = Field(None, description="Optional: with lat, the point of the problem")
    lat: float | None = None
    crs: str = "wgs84"
    address: str = Field(
        "",
        max_length=200,
        description="The address as the call-taker wrote it (事发地址): required without lon/lat; matched in "
        "the standard address register, or the order waits unrouted in the region's queue",
    )
    caller_phone: str = ""
    caller_name: str = ""
    received_at: datetime | None = Field(None, description="When the hotline took the call (受理时间)")
    urgent: bool = False
    kind: str = Field("", description="诉求类型: 咨询, 求助, 投诉, 举报 or 建议 (or consultation, help, ...)")
    time_limit: str = Field(
        "",
        max_length=40,
        description="The order's own time limit (办理时限): a date-time, or a span counted from received_at "
        "such as 5个工作日 (working days), 3天, 24小时; the case's resolution deadline",
    )
    handling_unit: str = Field("", max_length=100, description="承办单位")

    aware_received = field_validator("received_at")(_aware)


# ---------------------------------------------------------------------------------------------


def inline_schema(model: type[Schema], *, files: tuple[str, ...] = ()) -> dict[str, Any]:
    """Return a model's JSON schema with its definitions inlined, for hand-written request bodies.

    `files` names list fields that a multipart body carries as file uploads instead of strings.
    """
    schema = model.model_json_schema()
    definitions = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return resolve(copy.deepcopy(definitions[ref.removeprefix("#/$defs/")]))
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    schema = resolve(schema)
    for name in files:
        schema["properties"][name] = {
            "type": "array",
            "items": {"type": "string", "format": "binary"},
            "title": name.capitalize(),
        }
    return schema


# ---------------------------------------------------------------------------------------------
# The overview (`civicgrid.cases.overview`, docs/metrics.md)


class OverviewQuery(InputSchema):
    period: Literal["month", "last_month", "30d", "year"] = Field(
        "month", description="This month to date, last month, the last 30 days, or this year to date"
    )
    region: str = Field(
        "", max_length=15, pattern=r"^[0-9]*$", description="The code of an area within your regions"
    )


class RateOut(Schema):
    value: float | None = Field(description="part ÷ whole; null when whole is 0")
    part: int
    whole: int


class PeriodOut(Schema):
    key: str
    start: date
    end: date


class HandlingOut(Schema):
    average: float | None = Field(
        description="Hours from the report to the last resolution, of the cases closed"
    )
    p90: float | None = Field(description="The 90th percentile of the same, in hours")


class TrendDayOut(Schema):
    day: date
    new: int
    closed: int


class CategoryCountOut(Schema):
    code: str
    name: str
    new: int


class OverviewChildOut(Schema):
    code: str
    name: str
    new: int
    open: int
    overdue: int
    closed: int
    response: RateOut
    satisfaction: RateOut
    on_time_closure: RateOut


class RisingOut(Schema):
    code: str
    name: str
    new: int = Field(description="New cases in the period")
    before: int = Field(description="New cases in as many days just before")


class RepeatLocationOut(Schema):
    lon: float
    lat: float
    address: str
    cases: list[str] = Field(description="Tracking numbers, newest first")


class OverviewOut(Schema):
    title: str
    region: str = Field(description="The area the overview was narrowed to, or empty")
    agency: str | None = Field(description="The agency's code, for agency staff")
    period: PeriodOut
    counts: dict[str, int] = Field(
        description="new_today, new, open, overdue, due_soon, closed (agencies: open, overdue, due_soon, "
        "dispatched, closed)"
    )
    counts_exact: dict[str, bool] = Field(description="False where a count stopped at 1,000 (shown 1,000+)")
    rates: dict[str, RateOut] = Field(
        description="response, resolution, satisfaction, on_time_closure, first_time, rework, returns"
    )
    handling_hours: HandlingOut
    trend: list[TrendDayOut]
    categories: list[CategoryCountOut]
    rising: list[RisingOut] = Field(description="Major classes rising against as many days before")
    children: list[OverviewChildOut]


class RankingQuery(InputSchema):
    kind: Literal["", "towns", "villages", "agencies", "workers"] = Field(
        "", description="What to rank (default: the first your scope allows)"
    )
    month: str = Field("", pattern=r"^(\d{4}-(0[1-9]|1[0-2]))?$", description="YYYY-MM; default last month")
    offset: int = Field(
        0, ge=0, le=1_000_000, description="Units to skip (a city ranks thousands of workers)"
    )
    limit: int = Field(100, ge=1, le=1000, description="Units to return from `offset`, in rank order")


class RankingEntryOut(Schema):
    rank: int | None = Field(description="Equal scores share a rank; null without a score")
    key: int
    code: str = Field(description="A place's code; empty for agencies and workers")
    name: str
    score: float | None = Field(
        description="The composite score (0–100); for grid workers, verification on time (%)"
    )
    previous_rank: int | None
    previous_score: float | None
    rates: dict[str, RateOut]


class RankingOut(Schema):
    kind: str
    month: str
    weights: dict[str, int]
    kinds: list[str]
    total: int = Field(description="Units in the whole ranking")
    offset: int
    entries: list[RankingEntryOut] = Field(description="`limit` units from `offset`, in rank order")
    as_of: datetime | None = Field(
        None,
        description="When a large ranking (a city's villages or workers) was worked out, when it was "
        "read from the cache (up to 5 minutes old for the month under way); null: worked out now",
    )


class RepeatLocationsQuery(InputSchema):
    region: str = Field(
        "", max_length=15, pattern=r"^[0-9]*$", description="The code of an area within your regions"
    )


# ---------------------------------------------------------------------------------------------
# The monthly report (`civicgrid.cases.monthly`, docs/metrics.md)


class MonthlyReportQuery(InputSchema):
    month: str = Field(
        "",
        max_length=20,
        description="YYYY-MM, this month or an earlier one; default last month. Anything else: 400",
    )
    region: str = Field(
        "", max_length=15, pattern=r"^[0-9]*$", description="The code of an area within your regions"
    )


class MonthlyVolumeOut(Schema):
    value: int
    previous: int | None = Field(description="The month before's; null for a count of today")
    change: int | None
    exact: bool = Field(description="False where a count of today stopped at 1,000 (shown 1,000+)")


class MonthlyRateOut(Schema):
    now: RateOut
    previous: RateOut
    change: float | None = Field(description="In percentage points; null unless both months have a value")


class MonthlyHandlingOut(Schema):
    average: float | None = Field(
        description="Hours from the report to the last resolution, of the cases closed"
    )
    p90: float | None = Field(description="The 90th percentile of the same, in hours")
    previous_average: float | None
    previous_p90: float | None


class MonthlyScoreOut(Schema):
    value: float | None = Field(description="The composite score (0–100) of the scope's own figures")
    previous: float | None = Field(description="The month before's, with that month's weights")
    change: float | None
    weights: dict[str, int] = Field(description="This month's weights")


class MonthlyRankingEntryOut(Schema):
    rank: int | None
    key: int
    code: str
    name: str
    score: float | None = Field(description="The composite score; for grid workers, verification on time (%)")
    previous_rank: int | None
    previous_score: float | None
    rank_change: int | None = Field(description="Places up since the month before (negative: down)")


class MonthlyRankingOut(Schema):
    kind: str
    total: int = Field(description="Units in the ranking")
    as_of: datetime | None = Field(
        None, description="When a large ranking was worked out, if read from the cache; null: worked out now"
    )
    entries: list[MonthlyRankingEntryOut] = Field(
        description="All units of a ranking of up to 15; of a longer one the first 10 and the last 5, as the "
        "report shows them (the whole ranking: GET /api/v1/cases/rankings)"
    )


class MonthlyCategoryOut(Schema):
    code: str
    name: str
    new: int
    previous: int
    change: int
    share: float | None = Field(description="Of the month's new cases; null when there were none")


class MonthlyMajorOut(MonthlyCategoryOut):
    minors: list[MonthlyCategoryOut]


class MonthlyCategoriesOut(Schema):
    new: int = Field(description="New cases of every category this month")
    previous: int
    majors: list[MonthlyMajorOut]


class MonthlyAgencyOut(Schema):
    key: int
    name: str
    dispatched: int
    closed: int
    score: float | None
    rates: dict[str, RateOut] = Field(
        description="response, returns, resolution, satisfaction, on_time_closure"
    )


class MonthlyReportOut(Schema):
    title: str
    month: str
    previous_month: str
    partial: bool = Field(description="True for this month: its figures so far")
    region: str
    agency: str | None = Field(description="The agency's code, for agency staff")
    generated_at: datetime
    volumes: dict[str, MonthlyVolumeOut] = Field(
        description="new, dispatched, closed, closed_late, still_open, overdue_now "
        "(agencies: dispatched, closed, closed_late, open_now, overdue_now)"
    )
    rates: dict[str, MonthlyRateOut] = Field(
        description="response, resolution, satisfaction, on_time_closure, first_time, rework, returns, "
        "verification_on_time"
    )
    handling_hours: MonthlyHandlingOut
    score: MonthlyScoreOut
    rankings: list[MonthlyRankingOut] = Field(description="Every ranking of your whole scope, for the month")
    categories: MonthlyCategoriesOut
    agencies: list[MonthlyAgencyOut]
    rising: list[RisingOut] = Field(description="Major classes rising against the month before")
    repeat_locations: list[RepeatLocationOut] = Field(
        description="Places reported 3 or more times within 50 m in the 30 days to the month's end"
    )
