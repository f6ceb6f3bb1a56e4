"""What one viewer sees of a case, built once; the API and the pages render it and decide nothing.

Who sees what (the audiences of `civicgrid.cases.access.audience`, as in 12345 practice):
- staff of the case (any relation but "reporter", and superusers): every step, staff names,
  internal notes and the steps' data. The reporter is named only where `access.can_view_reporter`
  (an agency sees them masked) — in the facts and on the record, where the steps the reporter
  took then show the role "Reporter" and no name. Their phone is whole, to call, only for the staff
  handling the open case (`access.can_contact_reporter`), masked for everyone else. The staff get
  links that open their phone's map app at the point (`lib.map_links`).
- the reporter (also a staff member of another town who reported it): their own phone masked; the
  public steps, the public replies (`CaseEvent.note_is_reply`) and their own notes; role labels, never staff names; of the
  steps' data only public facts (the case it was merged into, the rating they gave); report and
  result photos.
- the public (the public status page of a public case): the public steps and replies; no names,
  phones or other notes; the point to about 100 m; report and result photos as thumbnails.

Used by `cases/api.py` (detail, action and comment answers, the public status) and
`cases/views_case.py` / `cases/views_report.py` (the case page, the public status page, photos).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from civicgrid.accounts.models import Agency
from civicgrid.cases import access
from civicgrid.cases.access import PUBLIC, REPORTER, STAFF
from civicgrid.cases.answers import AnswerView, answer_items
from civicgrid.cases.models import Case, CaseEvent, CaseFollower, CasePhoto, Satisfaction
from civicgrid.cases.workflow import Transition, action_label, allowed_actions, public_label, transition
from civicgrid.core.errors import NotFound
from civicgrid.lib.map_links import MapLink, map_links
from civicgrid.lib.privacy import mask_name, mask_phone

# Who acted, as the record names them (CaseEvent.actor_role: an actor kind of workflow.py, or the
# source of the report for its first event).
ROLE_LABELS = {
    "grid": gettext_lazy("Grid worker"),
    "village": gettext_lazy("Village / community"),
    "town": gettext_lazy("Town command centre"),
    "agency": gettext_lazy("Handling agency"),
    "reporter": gettext_lazy("Reporter"),
    "follow_up": gettext_lazy("Follow-up call"),
    "viewer": gettext_lazy("Staff"),
    "system": gettext_lazy("System"),
    **{value: label for value, label in Case.Source.choices},
}
# Rounded to 3 decimals (about 100 m), so a reporter at home cannot be found through the point.
PUBLIC_POINT_DECIMALS = 3


@dataclass(frozen=True)
class CodeName:
    code: str
    name: str


@dataclass(frozen=True)
class CategoryView:
    code: str
    name: str
    parent_code: str | None
    parent_name: str | None


@dataclass(frozen=True)
class PhotoView:
    id: int
    kind: str
    kind_label: str
    event_id: int | None
    width: int
    height: int
    thumbnail_url: str
    # "" when this viewer gets the thumbnail only.
    url: str


@dataclass(frozen=True)
class AppointmentView:
    event_id: int
    starts_at: datetime
    place: str
    participants: str


@dataclass(frozen=True)
class ReporterView:
    name: str
    phone: str
    # Masked: the page shows the phone as text, not as a number to call.
    masked: bool

    @property
    def tel(self) -> str:
        """Return the `tel:` link that calls the reporter ("" when the phone is masked or missing)."""
        if self.masked:
            return ""
        digits = "".join(c for c in self.phone if c.isdigit() or c == "+")
        return f"tel:{digits}" if digits else ""


@dataclass
class EntryView:
    """One step of the record as this viewer sees it."""

    id: int
    at: datetime
    action: str
    label: str
    from_state: str
    to_state: str
    # The label of the state the step led to, when it changed the state ("" otherwise).
    state_label: str
    actor: str | None
    actor_role: str
    actor_role_label: str
    note: str
    note_is_reply: bool
    is_public: bool
    details: list[tuple[str, str]]
    data: dict[str, Any]
    merged_into: str
    photos: list[PhotoView] = field(default_factory=list)
    appointments: list[AppointmentView] = field(default_factory=list)


@dataclass
class CaseView:
    """Everything a door shows of one case to one viewer."""

    audience: str
    # For the action forms and URLs of the page; what it shows comes from the fields below.
    case: Case
    tracking_number: str
    state: str
    state_label: str
    is_open: bool
    source: str
    source_label: str
    category: CategoryView
    description: str
    # The answers to the category's questions (none for the public).
    answers: list[AnswerView]
    address: str
    lon: float
    lat: float
    routed: bool
    grid: CodeName | None
    village: CodeName | None
    town: CodeName | None
    district: CodeName | None
    priority: str
    is_public: bool
    external_ref: str
    reporter: ReporterView | None
    lead_agency: CodeName | None
    co_agencies: list[CodeName]
    pending_request: str
    pending_request_label: str
    pending_until: datetime | None
    merged_into: str | None
    merged_into_url: str
    merged_cases: list[str]
    step_due_at: datetime | None
    is_overdue: bool
    response_due_at: datetime | None
    resolution_due_at: datetime | None
    responded_at: datetime | None
    resolved_at: datetime | None
    solved: bool | None
    satisfaction: str
    satisfaction_label: str
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    version: int
    # Oldest first.
    entries: list[EntryView]
    photos: list[PhotoView]
    appointments: list[AppointmentView]
    actions: list[Transition]
    # The people who joined the case instead of reporting it again (`CaseFollower`): the staff only.
    # Their count, and their names masked for the staff who may see who reported (the verifier's).
    follower_count: int = 0
    followers: list[str] = field(default_factory=list)
    # Links opening the phone's map app at the point, each in the app's coordinates: the staff only.
    map_links: list[MapLink] = field(default_factory=list)

    @property
    def is_staff(self) -> bool:
        return self.audience == STAFF

    @property
    def entries_newest_first(self) -> list[EntryView]:
        return self.entries[::-1]

    @property
    def report_photos(self) -> list[PhotoView]:
        return [p for p in self.photos if p.kind == CasePhoto.Kind.REPORT]


# ---------------------------------------------------------------------------------------------
# The rules


def entry_shown(seen_as: str | None, event: CaseEvent) -> bool:
    """Return whether an audience sees a step of the record at all.

    The public does not see a step that is public only for a note it may not read (the reporter's
    own comment): it would be an empty line.
    """
    if seen_as == STAFF:
        return True
    if seen_as not in (REPORTER, PUBLIC) or not event.is_public:
        return False
    if seen_as == PUBLIC and not event.note_is_reply:
        row = transition(event.from_state, event.action)
        return row is None or row.public
    return True


def _note_shown(seen_as: str, event: CaseEvent, user) -> bool:
    if seen_as == STAFF or event.note_is_reply:
        return True
    # The reporter reads their own notes (comments, the note with their rating).
    return seen_as == REPORTER and event.actor_id is not None and event.actor_id == getattr(user, "pk", None)


def photo_shown(seen_as: str | None, photo: CasePhoto, event: CaseEvent | None) -> tuple[str, ...]:
    """Return the sizes of `photo` an audience may open: none when its step is hidden from them."""
    if event is not None and not entry_shown(seen_as, event):
        return ()
    return access.photo_sizes(seen_as, photo.kind)


def _by_reporter(event: CaseEvent, case: Case) -> bool:
    """Return whether the reporter took this step as the reporter (the report, a rating, a comment)."""
    if event.actor_id is None or event.actor_id != case.reporter_id:
        return False
    return event.action == "report" or event.actor_role in ("reporter", "viewer")


# ---------------------------------------------------------------------------------------------
# Building the view


def _local(value: str | None) -> str:
    """Return an ISO time from an event's data as local "Y-m-d H:i" ("" when unreadable)."""
    moment = parse_datetime(value) if isinstance(value, str) else None
    if moment is None:
        return ""
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _rating_details(data: dict[str, Any]) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    if data.get("satisfaction") in Satisfaction.values:
        rows.append((_("Solved"), _("Yes") if data.get("solved") else _("No")))
        rows.append((_("Satisfaction"), str(Satisfaction(data["satisfaction"]).label)))
        if data.get("reopened"):
            rows.append((_("Result"), _("Reopened for another try")))
    return rows


def _staff_details(event: CaseEvent, agencies: dict[int, Agency]) -> list[tuple[str, str]]:
    """Return the facts a step carries in its data, as (label, value) pairs for the staff."""
    data = event.data if isinstance(event.data, dict) else {}
    rows: list[tuple[str, str]] = []
    if event.action in ("dispatch", "redispatch") and data.get("agency") in agencies:
        rows.append((_("Lead agency"), _name(agencies[data["agency"]])))
        co = [_name(agencies[pk]) for pk in data.get("co_agencies", []) if pk in agencies]
        if co:
            rows.append((_("Co-handling agencies"), "、".join(co)))
    if event.action == "return_dispatch" and data.get("agency") in agencies:
        rows.append((_("Returned by"), _name(agencies[data["agency"]])))
    if event.action == "assign_grid" and data.get("grid"):
        rows.append((_("Grid"), str(data["grid"])))
    if data.get("until"):
        rows.append((_("Until"), _local(data["until"])))
    if event.action == "approve_request" and data.get("request") in Case.Request.values:
        rows.append((_("Request"), str(Case.Request(data["request"]).label)))
    if event.action in ("rate", "auto_close"):
        rows.extend(_rating_details(data))
    if event.action == "overdue" and data.get("due"):
        rows.append((_("Deadline was"), _local(data["due"])))
    if event.action == "report" and data.get("open311_client_name"):
        rows.append((_("Filed through"), _("Open311: %(name)s") % {"name": data["open311_client_name"]}))
    if event.action == "report" and data.get("located_by") == "address":
        rows.append((_("Location"), _("Placed from the address only: put it in its grid")))
    elif event.action == "report" and data.get("routed") is False:
        rows.append((_("Location"), _("Outside every grid: kept for the nearest region")))
    return rows


def _public_facts(seen_as: str, event: CaseEvent) -> tuple[list[tuple[str, str]], dict[str, Any]]:
    """Return what the reporter or the public learn from a step's data: the merge, the rating given."""
    data = event.data if isinstance(event.data, dict) else {}
    if event.action == "rate" and seen_as == REPORTER:
        facts = {k: data[k] for k in ("solved", "satisfaction", "reopened") if k in data}
        return _rating_details(facts), facts
    if event.action == "merge" and data.get("merged_into"):
        return [], {"merged_into": data["merged_into"]}
    return [], {}


def _photo_url(number: str, photo_id: int, size: str) -> str:
    return reverse("cases:photo", args=[number, photo_id, size])


def _name(obj: Any) -> str:
    """Return the name of a place or an agency in the reader's language (English when it has one)."""
    return obj.name_en if obj.name_en and (get_language() or "").startswith("en") else obj.name


def _code_name(obj: Any) -> CodeName | None:
    return None if obj is None else CodeName(obj.code, _name(obj))


def _reporter(case: Case, user, seen_as: str) -> ReporterView | None:
    if seen_as == PUBLIC:
        return None
    name = case.reporter_name or (str(case.reporter) if case.reporter_id else "")
    shown = (
        (name or _("Anonymous"))
        if access.can_view_reporter(user, case)
        else (mask_name(name) or _("Anonymous"))
    )
    if access.can_contact_reporter(user, case):
        return ReporterView(shown, case.reporter_phone, masked=False)
    return ReporterView(shown, mask_phone(case.reporter_phone), masked=True)


def reporter_of(case: Case, user) -> ReporterView | None:
    """Return who reported `case` as `user` sees them on its page (None: not theirs to see). Used by
    the address page's panel of 12345 orders (`presenters_address`)."""
    seen_as = access.audience(user, case)
    return None if seen_as is None else _reporter(case, user, seen_as)


def _map_links(case: Case) -> list[MapLink]:
    """Return the links that open a map app at the case's stored (WGS-84) point, pinned with what
    and where it is."""
    return map_links(
        case.lon,
        case.lat,
        label=f"{case.category.display_name} {case.tracking_number}",
        detail=case.address,
    )


def _merged_url(user, case: Case, seen_as: str) -> str:
    """Return where "merged into X" leads: X's page for those who may see it, else its public status."""
    if not case.merged_into_id:
        return ""
    other = case.merged_into
    if seen_as != PUBLIC and access.can_view(user, other):
        return other.get_absolute_url()
    return reverse("cases:public_status_number", args=[other.tracking_number])


def _build(case: Case, user, seen_as: str) -> CaseView:
    """Build the view of `case` for `user` seen as `seen_as`, in a fixed number of queries.

    1. Read the record, photos, co-agencies (and, for the staff, appointments and the agencies the
       steps name) once each.
    2. Keep the steps, notes, names, data and photos the audience may see (the rules above).
    3. Add the facts of the case and the actions open to the user now.
    """
    staff = seen_as == STAFF
    public = seen_as == PUBLIC
    number = case.tracking_number
    # The reporter and the public read the states in plain words (the workflow's public labels).
    label_of = state_label if staff else public_label
    co_agencies = [] if public else list(case.co_agencies.all())
    if not public:
        # relations() reads the co-agencies of a case once; hand it the ones just read.
        case._co_agency_ids = {a.pk for a in co_agencies}
    events = list(case.events.select_related("actor"))
    shown = [e for e in events if entry_shown(seen_as, e)]
    photos: list[PhotoView] = []
    photos_by_event: dict[int, list[PhotoView]] = {}
    events_by_id = {e.pk: e for e in events}
    for p in case.photos.all():
        # The rule the photo view opens photos by.
        sizes = photo_shown(seen_as, p, events_by_id.get(p.event_id))
        if not sizes:
            continue
        view = PhotoView(
            id=p.pk,
            kind=p.kind,
            kind_label=str(p.get_kind_display()),
            event_id=p.event_id,
            width=p.width,
            height=p.height,
            thumbnail_url=_photo_url(number, p.pk, "thumb"),
            url=_photo_url(number, p.pk, "full") if "full" in sizes else "",
        )
        photos.append(view)
        if p.event_id is not None:
            photos_by_event.setdefault(p.event_id, []).append(view)
    # Who meets whom on site is the agencies' and the grid's business, not the reporter's.
    appointments = (
        [AppointmentView(a.event_id, a.starts_at, a.place, a.participants) for a in case.appointments.all()]
        if staff
        else []
    )
    agencies: dict[int, Agency] = {}
    if staff:
        agency_ids: set[int] = set()
        for e in shown:
            if isinstance(e.data, dict):
                if isinstance(e.data.get("agency"), int):
                    agency_ids.add(e.data["agency"])
                agency_ids.update(pk for pk in e.data.get("co_agencies", []) if isinstance(pk, int))
        agencies = Agency.objects.in_bulk(agency_ids) if agency_ids else {}
    reporter_named = staff and access.can_view_reporter(user, case)

    entries = []
    for e in shown:
        role = e.actor_role
        by_reporter = _by_reporter(e, case)
        if by_reporter:
            role = "reporter"
        named = staff and e.actor_id is not None and (reporter_named or not by_reporter)
        if staff:
            details, data = _staff_details(e, agencies), (e.data if isinstance(e.data, dict) else {})
        else:
            details, data = _public_facts(seen_as, e)
        entries.append(
            EntryView(
                id=e.pk,
                at=e.at,
                action=e.action,
                label=action_label(e.action),
                from_state=e.from_state,
                to_state=e.to_state,
                state_label=label_of(e.to_state) if e.to_state != e.from_state else "",
                actor=str(e.actor) if named else None,
                actor_role=role,
                actor_role_label=str(ROLE_LABELS.get(role, role)),
                note=e.note if _note_shown(seen_as, e, user) else "",
                note_is_reply=e.note_is_reply,
                is_public=e.is_public,
                details=details,
                data=data,
                merged_into=str((e.data or {}).get("merged_into", "")) if e.action == "merge" else "",
                photos=photos_by_event.get(e.pk, []),
                appointments=[a for a in appointments if a.event_id == e.pk],
            )
        )

    category = case.category
    parent = category.parent if category.parent_id else None
    lon, lat = case.lon, case.lat
    if public:
        lon, lat = round(lon, PUBLIC_POINT_DECIMALS), round(lat, PUBLIC_POINT_DECIMALS)
    return CaseView(
        audience=seen_as,
        case=case,
        tracking_number=number,
        state=case.state,
        state_label=label_of(case.state),
        is_open=case.is_open,
        source=case.source,
        source_label=str(case.get_source_display()),
        category=CategoryView(
            category.code,
            category.display_name,
            parent.code if parent else None,
            parent.display_name if parent else None,
        ),
        description=case.description,
        answers=[] if public else answer_items(case.category, case.answers),
        address=case.address,
        lon=lon,
        lat=lat,
        routed=case.routed,
        grid=None if public else _code_name(case.grid),
        village=None if public else _code_name(case.village),
        town=None if public else _code_name(case.town),
        district=None if public else _code_name(case.district),
        priority=case.priority,
        is_public=case.is_public,
        external_ref=case.external_ref if staff else "",
        reporter=_reporter(case, user, seen_as),
        lead_agency=None if public else _code_name(case.lead_agency),
        co_agencies=[] if public else [_code_name(a) for a in co_agencies],
        pending_request=case.pending_request,
        pending_request_label=str(case.get_pending_request_display()) if case.pending_request else "",
        pending_until=case.pending_until,
        merged_into=case.merged_into.tracking_number if case.merged_into_id else None,
        merged_into_url=_merged_url(user, case, seen_as),
        # Other people's reports merged into this one are the staff's business.
        merged_cases=list(case.merged.values_list("tracking_number", flat=True)) if staff else [],
        step_due_at=case.step_due_at,
        is_overdue=case.is_overdue,
        response_due_at=case.response_due_at,
        resolution_due_at=case.resolution_due_at,
        responded_at=case.responded_at,
        resolved_at=case.resolved_at,
        solved=case.solved,
        satisfaction=case.satisfaction,
        satisfaction_label=(
            str(Satisfaction(case.satisfaction).label) if case.satisfaction in Satisfaction.values else ""
        ),
        created_at=case.created_at,
        updated_at=case.updated_at,
        closed_at=case.closed_at,
        version=case.version,
        entries=entries,
        photos=photos,
        appointments=appointments,
        actions=[] if public else allowed_actions(case=case, user=user),
        **(_followers(case, named=reporter_named) if staff else {}),
        map_links=_map_links(case) if staff else [],
    )


# A case page lists at most this many followers' masked names (the count is all of them).
FOLLOWERS_SHOWN = 20


def _followers(case: Case, *, named: bool) -> dict[str, Any]:
    """Return the staff's facts of a case's followers: their count and, when `named`, masked names.

    One query for the first FOLLOWERS_SHOWN + 1 of them (one more to count beyond, rarely).
    """
    rows = list(
        CaseFollower.objects.filter(case_id=case.pk)
        .order_by("created_at", "id")
        .values_list("user__display_name", "user__username")[: FOLLOWERS_SHOWN + 1]
    )
    count = len(rows)
    if count > FOLLOWERS_SHOWN:
        count = CaseFollower.objects.filter(case_id=case.pk).count()
    names = [mask_name(display or username) for display, username in rows[:FOLLOWERS_SHOWN]] if named else []
    return {"follower_count": count, "followers": names}


def state_label(value: str) -> str:
    """Return the label of a case state value ("" for none or an unknown one)."""
    return str(Case.State(value).label) if value in Case.State.values else ""


_RELATED = (
    "category__parent",
    "grid",
    "village",
    "town",
    "district",
    "lead_agency",
    "merged_into",
    "reporter",
)


def case_view(*, user, case: Case | None = None, tracking_number: str = "") -> CaseView:
    """Return the case as `user` sees it on its page and in the API: as its staff or its reporter.

    A case the user may not see is "not found" (its existence is not disclosed), also when passed in.
    """
    number = case.tracking_number if case is not None else (tracking_number or "").strip()
    found = access.scope_cases(user).select_related(*_RELATED).filter(tracking_number=number).first()
    if found is None:
        raise NotFound(_("No such case, or it is outside your area."))
    seen_as = access.audience(user, found)
    if seen_as not in (STAFF, REPORTER):
        raise NotFound(_("No such case, or it is outside your area."))
    return _build(found, user, seen_as)


def public_case_view(*, tracking_number: str) -> CaseView:
    """Return a public case as anyone sees it on its public status page; a private one is not found."""
    case = (
        Case.objects.select_related(*_RELATED)
        .filter(tracking_number=(tracking_number or "").strip(), is_public=True)
        .first()
    )
    if case is None:
        raise NotFound(_("No public case has this tracking number."))
    return _build(case, None, PUBLIC)


# ---------------------------------------------------------------------------------------------
# Public summaries of many cases (Open311's request lists)


@dataclass(frozen=True)
class PublicEntry:
    """One step of a public case's record as the public sees it."""

    at: datetime
    action: str
    label: str
    state_label: str
    note: str


@dataclass(frozen=True)
class PublicSummary:
    """What anyone may read of a public case in a list: the status page's facts, in a few queries."""

    tracking_number: str
    state: str
    state_label: str
    is_open: bool
    category: CategoryView
    description: str
    address: str
    # Rounded like the status page's point (PUBLIC_POINT_DECIMALS).
    lon: float
    lat: float
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    resolution_due_at: datetime | None
    # Who handles it now: the lead agency, or the grid, village or town where it is.
    responsible: str
    # The latest public reply ("" before any).
    reply: str
    # The first report photo's thumbnail ("" without one), the size the public may open.
    photo_url: str
    # Oldest first; only when asked for.
    entries: tuple[PublicEntry, ...] = ()


# Where a case is handled, by its state, when no agency leads it.
_HANDLED_AT = {
    Case.State.VILLAGE: "village",
    Case.State.VILLAGE_HANDLING: "village",
    Case.State.TOWN: "town",
}


def responsible(case: Case) -> str:
    """Return the name of the unit handling `case` now, as 12345 publishes its 承办单位: the lead
    agency when one is dispatched, else the village or town command centre holding it, else its grid
    (or the most specific region it is filed under). An organisation's name, never a person's."""
    if case.lead_agency_id:
        return _name(case.lead_agency)
    level = _HANDLED_AT.get(case.state)
    order = [level] if level else []
    order += ["grid", "village", "town", "district"]
    for name in order:
        place = getattr(case, name)
        if place is not None:
            return _name(place)
    return ""


PUBLIC_RELATED = ("category__parent", "grid", "village", "town", "district", "lead_agency")
# The fields a public summary reads (a list of a thousand reads no more).
PUBLIC_FIELDS = (
    "id",
    "tracking_number",
    "state",
    "is_public",
    "description",
    "address",
    "lon",
    "lat",
    "created_at",
    "updated_at",
    "closed_at",
    "resolution_due_at",
    "category__code",
    "category__name",
    "category__name_en",
    "category__parent_id",
    "category__parent__code",
    "category__parent__name",
    "category__parent__name_en",
    *(
        f"{place}__{field}"
        for place in ("grid", "village", "town", "district")
        for field in ("name", "name_en")
    ),
    "lead_agency__name",
    "lead_agency__name_en",
)


def public_summaries(cases: list[Case], *, entries: bool = False) -> list[PublicSummary]:
    """Return the public summary of each public case in `cases` (others are left out), in order.

    The cases come with PUBLIC_RELATED joined; the replies (or, with `entries`, every step) and the
    report photos of all of them are read in one query each, and kept by the rules the public status
    page shows them by (`entry_shown`, `_note_shown`, `photo_shown`).
    """
    shown = [c for c in cases if c.is_public]
    ids = [c.pk for c in shown]
    steps: dict[int, list[CaseEvent]] = {}
    if ids:
        events = CaseEvent.objects.filter(case_id__in=ids, is_public=True)
        if not entries:
            events = events.filter(note_is_reply=True)
        for e in events.order_by("case_id", "at", "id"):
            if entry_shown(PUBLIC, e):
                steps.setdefault(e.case_id, []).append(e)
    photos: dict[int, str] = {}
    if ids:
        numbers = {c.pk: c.tracking_number for c in shown}
        # One reverse() for the list: "/cases/<number>/photos/<id>/thumb/".
        pattern = _photo_url("NUMBER", 0, "thumb").replace("NUMBER", "{number}").replace("/0/", "/{id}/")
        rows = (
            CasePhoto.objects.filter(case_id__in=ids, kind=CasePhoto.Kind.REPORT)
            .select_related("event")
            # What `photo_shown` reads of a photo and its step.
            .only(
                "id",
                "case_id",
                "kind",
                "event__is_public",
                "event__note_is_reply",
                "event__from_state",
                "event__action",
            )
            .order_by("case_id", "id")
        )
        for p in rows:
            if p.case_id not in photos and "thumb" in photo_shown(PUBLIC, p, p.event):
                photos[p.case_id] = pattern.format(number=numbers[p.case_id], id=p.pk)
    out = []
    for case in shown:
        category = case.category
        parent = category.parent if category.parent_id else None
        records = steps.get(case.pk, [])
        replies = [e.note for e in records if e.note_is_reply and e.note]
        out.append(
            PublicSummary(
                tracking_number=case.tracking_number,
                state=case.state,
                state_label=public_label(case.state),
                is_open=case.is_open,
                category=CategoryView(
                    category.code,
                    category.display_name,
                    parent.code if parent else None,
                    parent.display_name if parent else None,
                ),
                description=case.description,
                address=case.address,
                lon=round(case.lon, PUBLIC_POINT_DECIMALS),
                lat=round(case.lat, PUBLIC_POINT_DECIMALS),
                created_at=case.created_at,
                updated_at=case.updated_at,
                closed_at=case.closed_at,
                resolution_due_at=case.resolution_due_at,
                responsible=responsible(case),
                reply=replies[-1] if replies else "",
                photo_url=photos.get(case.pk, ""),
                entries=tuple(
                    PublicEntry(
                        at=e.at,
                        action=e.action,
                        label=str(action_label(e.action)),
                        state_label=public_label(e.to_state) if e.to_state != e.from_state else "",
                        note=e.note if _note_shown(PUBLIC, e, None) else "",
                    )
                    for e in records
                )
                if entries
                else (),
            )
        )
    return out
