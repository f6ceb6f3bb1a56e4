"""The meetings endpoints of co-governance (mounted by governance/api.py under
/api/v1/governance/meetings): calendars, a meeting with its agenda, attendance and decisions, the
series, and a place's decisions.

The same services, selectors and presenters as the pages; every permission is in `governance.access`.
"""

from __future__ import annotations

from dataclasses import asdict

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status

from civicgrid.accounts.models import Agency, User
from civicgrid.cases.models import Case
from civicgrid.core.api_auth import errors, signed_in
from civicgrid.core.errors import ApplicationError, NotFound, PermissionDenied
from civicgrid.governance import access, presenters_meetings, selectors_meetings, services_meetings
from civicgrid.governance.models import AgendaItem, Attendance, Meeting, MeetingSeries
from civicgrid.governance.schemas_meetings import (
    GovMeetingAgendaItemIn,
    GovMeetingAgendaItemOut,
    GovMeetingAgendaOrderIn,
    GovMeetingAttendanceOut,
    GovMeetingAttendeeIn,
    GovMeetingCancelIn,
    GovMeetingDecisionIn,
    GovMeetingDecisionMarkIn,
    GovMeetingDecisionOut,
    GovMeetingDecisionPageOut,
    GovMeetingDetailOut,
    GovMeetingIn,
    GovMeetingPageOut,
    GovMeetingPublishIn,
    GovMeetingRecordIn,
    GovMeetingSeriesIn,
    GovMeetingSeriesOut,
    GovMeetingSeriesPatch,
)
from civicgrid.lib import keyset
from civicgrid.places.models import Place

router = Router(tags=["Co-governance: meetings"])
selectors = selectors_meetings
services = services_meetings
presenters = presenters_meetings


def _field(name: str, message: str) -> ApplicationError:
    return ApplicationError(message, extra={"fields": {name: message}})


def _place(code: str) -> Place:
    place = selectors.place_by_code(code)
    if place is None:
        raise _field("place_code", _("No village or grid has this code."))
    return place


def _meeting(request: HttpRequest, pk: int) -> Meeting:
    meeting = selectors.meeting_get(request.user, pk)
    if meeting is None:
        raise NotFound(_("No such meeting."))
    return meeting


def _cursor(call):
    try:
        return call()
    except keyset.InvalidCursor:
        raise _field("after", _("This cursor is not one of this list.")) from None


def meeting_out(meeting: Meeting) -> dict:
    return {
        "id": meeting.pk,
        "title": meeting.title,
        "starts_at": meeting.starts_at,
        "venue": meeting.venue,
        "state": meeting.state,
        "state_label": meeting.get_state_display(),
        "is_published": meeting.is_published,
        "place_code": meeting.place.code,
        "place_name": meeting.place.display_name,
        "village_code": meeting.place.code[:12],
        "series_id": meeting.series_id,
        "agenda_count": getattr(meeting, "agenda_count", None),
        "decision_count": getattr(meeting, "decision_count", None),
    }


def _detail(request: HttpRequest, meeting: Meeting) -> dict:
    agenda = selectors.agenda_of(meeting)
    view = presenters.meeting_view(
        request.user,
        meeting,
        agenda=agenda,
        attendance=selectors.attendance_of(meeting),
        decisions=selectors.decisions_of(meeting),
    )
    moves = []
    if "edit" in view.actions:
        moves = [
            {"case_number": case.tracking_number, "action": t.action, "label": str(t.label)}
            for case, t in selectors.agenda_moves(request.user, agenda)
        ]
    return {
        **meeting_out(meeting),
        "minutes": view.minutes,
        "held_at": meeting.held_at if view.sees_all else None,
        "version": meeting.version,
        "can_manage": view.can_manage,
        "agenda": [asdict(a) for a in view.agenda],
        "attendance": _attendance(view.attendance),
        "decisions": [asdict(d) for d in view.decisions],
        "case_moves": moves,
    }


def _attendance(view: presenters.AttendanceView) -> dict:
    return {
        "rows": [asdict(r) for r in view.rows],
        "counted": [{"kind_label": label, "count": n} for label, n in view.counted],
        "present": view.present,
        "total": view.total,
    }


def _fresh_detail(request: HttpRequest, pk: int) -> dict:
    return _detail(request, _meeting(request, pk))


def _series_out(series: MeetingSeries) -> dict:
    return {
        "id": series.pk,
        "place_code": series.place.code,
        "name": series.name,
        "rule": series.rule,
        "params": series.params,
        "on_holiday": series.on_holiday,
        "time": series.time,
        "venue": series.venue,
        "is_active": series.is_active,
    }


# --- Calendars and meetings ----------------------------------------------------------------------


@router.get(
    "/",
    response={200: GovMeetingPageOut, **errors(400, 401, 403)},
    auth=signed_in,
    summary="A village's or grid's meetings, coming or past",
)
def meeting_list(request: HttpRequest, place: str, when: str = "upcoming", after: str = ""):
    """From today on, soonest first (`when=upcoming`), or before today, latest first (`past`), 20 a
    page. Residents of the village get the published meetings only."""
    found = _place(place)
    if not access.can_view_calendar(request.user, found):
        raise PermissionDenied(_("You may not see the meetings of this place."))
    when = "past" if when == "past" else "upcoming"
    page = _cursor(lambda: selectors.calendar_page(request.user, found, when=when, cursor=after))
    return {"items": [meeting_out(m) for m in page.items], "next_cursor": page.next_cursor}


@router.post(
    "/",
    response={201: GovMeetingDetailOut, **errors(400, 401, 403, 413)},
    auth=signed_in,
    summary="Add a one-off meeting",
)
def meeting_create(request: HttpRequest, payload: GovMeetingIn):
    meeting = services.meeting_create(
        actor=request.user,
        place=_place(payload.place_code),
        title=payload.title,
        starts_at=payload.starts_at,
        venue=payload.venue,
    )
    return Status(201, _fresh_detail(request, meeting.pk))


@router.get(
    "/decisions",
    response={200: GovMeetingDecisionPageOut, **errors(400, 401, 403)},
    auth=signed_in,
    summary="The decisions of a town, village or grid, by due day",
)
def decision_list(request: HttpRequest, place: str, show: str = "open", after: str = ""):
    """`show`: open (to do), overdue, done, dropped or all; 20 a page, earliest due first."""
    found = selectors.decision_place_by_code(place)
    if found is None:
        raise _field("place", _("No town, village or grid has this code."))
    if not access.can_view_decisions(request.user, found):
        raise PermissionDenied(_("You may not see the decisions of this place."))
    if show not in selectors.DECISION_FILTERS:
        raise _field("show", _("Choose open, overdue, done, dropped or all."))
    page = _cursor(lambda: selectors.decisions_page(request.user, found, show=show, cursor=after))
    sees_all = access.sees_all_meetings(request.user, found)
    rows = presenters.decision_rows(request.user, page.items, sees_all=sees_all)
    return {"items": [asdict(r) for r in rows], "next_cursor": page.next_cursor}


@router.post(
    "/decisions/{pk}/mark",
    response={200: GovMeetingDecisionOut, **errors(400, 401, 403, 404, 409, 413)},
    auth=signed_in,
    summary="Mark a decision done or dropped",
)
def decision_mark(request: HttpRequest, pk: int, payload: GovMeetingDecisionMarkIn):
    decision = selectors.decision_get(request.user, pk)
    if decision is None:
        raise NotFound(_("No such decision."))
    decision = services.decision_mark(
        actor=request.user, decision=decision, state=payload.state, note=payload.note
    )
    decision = selectors.decision_get(request.user, pk)
    sees_all = access.sees_all_meetings(request.user, decision.meeting.place)
    return asdict(presenters.decision_rows(request.user, [decision], sees_all=sees_all)[0])


@router.get(
    "/series",
    response={200: list[GovMeetingSeriesOut], **errors(400, 401, 403)},
    auth=signed_in,
    summary="The recurring meetings of a village (and its grids) or a grid",
)
def series_list(request: HttpRequest, place: str):
    found = _place(place)
    if not access.sees_all_meetings(request.user, found):
        raise PermissionDenied(_("You may not see the meetings of this place."))
    return [_series_out(s) for s in selectors.series_of(found)]


@router.post(
    "/series",
    response={201: GovMeetingSeriesOut, **errors(400, 401, 403, 413)},
    auth=signed_in,
    summary="Add a recurring meeting (its meetings of the next 60 days are planned)",
)
def series_create(request: HttpRequest, payload: GovMeetingSeriesIn):
    values = payload.dict(exclude={"place_code"})
    series = services.series_create(actor=request.user, place=_place(payload.place_code), **values)
    return Status(201, _series_out(series))


@router.patch(
    "/series/{pk}",
    response={200: GovMeetingSeriesOut, **errors(400, 401, 403, 404)},
    auth=signed_in,
    summary="Change a recurring meeting (and plan its meetings again)",
)
def series_update(request: HttpRequest, pk: int, payload: GovMeetingSeriesPatch):
    series = selectors.series_get(request.user, pk)
    if series is None:
        raise NotFound(_("No such meeting series."))
    changes = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    return _series_out(services.series_update(actor=request.user, series=series, **changes))


@router.get(
    "/{pk}",
    response={200: GovMeetingDetailOut, **errors(400, 401, 403, 404)},
    auth=signed_in,
    summary="A meeting: its agenda, attendance, minutes and decisions",
)
def meeting_detail(request: HttpRequest, pk: int):
    """What the viewer may see of it: residents get a published meeting without minutes, internal
    notes or the names of residents who came."""
    return _fresh_detail(request, pk)


@router.post(
    "/{pk}/record",
    response={200: GovMeetingDetailOut, **errors(400, 401, 403, 404, 409, 413)},
    auth=signed_in,
    summary="Record the meeting as held (or correct its minutes)",
)
def meeting_record(request: HttpRequest, pk: int, payload: GovMeetingRecordIn):
    services.meeting_record(
        actor=request.user,
        meeting=_meeting(request, pk),
        minutes=payload.minutes,
        held_at=payload.held_at,
        version=payload.version,
    )
    return _fresh_detail(request, pk)


@router.post(
    "/{pk}/cancel",
    response={200: GovMeetingDetailOut, **errors(400, 401, 403, 404, 409, 413)},
    auth=signed_in,
    summary="Cancel a planned meeting",
)
def meeting_cancel(request: HttpRequest, pk: int, payload: GovMeetingCancelIn):
    services.meeting_cancel(
        actor=request.user, meeting=_meeting(request, pk), reason=payload.reason, version=payload.version
    )
    return _fresh_detail(request, pk)


@router.post(
    "/{pk}/publish",
    response={200: GovMeetingDetailOut, **errors(400, 401, 403, 404, 409, 413)},
    auth=signed_in,
    summary="Publish the agenda and decisions to the village's residents (or withdraw them)",
)
def meeting_publish(request: HttpRequest, pk: int, payload: GovMeetingPublishIn):
    services.meeting_publish(actor=request.user, meeting=_meeting(request, pk), published=payload.published)
    return _fresh_detail(request, pk)


# --- The agenda ----------------------------------------------------------------------------------


@router.get(
    "/{pk}/agenda",
    response={200: list[GovMeetingAgendaItemOut], **errors(400, 401, 403, 404)},
    auth=signed_in,
    summary="A meeting's agenda, in order",
)
def agenda_list(request: HttpRequest, pk: int):
    meeting = _meeting(request, pk)
    sees_all = access.sees_all_meetings(request.user, meeting.place)
    return [asdict(a) for a in presenters.agenda_rows(selectors.agenda_of(meeting), sees_all=sees_all)]


def _item_out(request: HttpRequest, meeting: Meeting, item: AgendaItem) -> dict:
    rows = presenters.agenda_rows(selectors.agenda_of(meeting), sees_all=True)
    return asdict(next(r for r in rows if r.id == item.pk))


@router.post(
    "/{pk}/agenda",
    response={201: GovMeetingAgendaItemOut, **errors(400, 401, 403, 404, 409, 413)},
    auth=signed_in,
    summary="Put a case waiting at the village, a forum topic or a cadre's item on the agenda",
)
def agenda_add(request: HttpRequest, pk: int, payload: GovMeetingAgendaItemIn):
    meeting = _meeting(request, pk)
    access.check_manage_meetings(request.user, meeting.place)
    if payload.source == AgendaItem.Source.CASE:
        case = selectors.agenda_cases(meeting).filter(tracking_number=payload.case_number.strip()).first()
        if case is None:
            raise _field("case_number", _("No case with this number waits at this village."))
        item = services.agenda_add_case(
            actor=request.user, meeting=meeting, case=case, title=payload.title, note=payload.note
        )
    elif payload.source == AgendaItem.Source.TOPIC:
        topic = (
            selectors.agenda_topics(meeting).filter(pk=payload.topic_id).first() if payload.topic_id else None
        )
        if topic is None:
            raise _field("topic_id", _("No open topic of this village's forum has this id."))
        item = services.agenda_add_topic(
            actor=request.user, meeting=meeting, topic=topic, title=payload.title, note=payload.note
        )
    elif payload.source == AgendaItem.Source.CADRE:
        item = services.agenda_add_item(
            actor=request.user, meeting=meeting, title=payload.title, note=payload.note
        )
    else:
        raise _field("source", _("Choose case, topic or cadre."))
    return Status(201, _item_out(request, meeting, item))


@router.put(
    "/{pk}/agenda/order",
    response={200: list[GovMeetingAgendaItemOut], **errors(400, 401, 403, 404, 409)},
    auth=signed_in,
    summary="Put the agenda in a new order (every item's id, once)",
)
def agenda_order(request: HttpRequest, pk: int, payload: GovMeetingAgendaOrderIn):
    meeting = _meeting(request, pk)
    services.agenda_reorder(actor=request.user, meeting=meeting, item_ids=payload.item_ids)
    return [asdict(a) for a in presenters.agenda_rows(selectors.agenda_of(meeting), sees_all=True)]


@router.delete(
    "/{pk}/agenda/{item_id}",
    response={204: None, **errors(400, 401, 403, 404, 409)},
    auth=signed_in,
    summary="Take an item off the agenda",
)
def agenda_remove(request: HttpRequest, pk: int, item_id: int):
    meeting = _meeting(request, pk)
    item = AgendaItem.objects.filter(pk=item_id, meeting=meeting).first()
    if item is None:
        raise NotFound(_("No such agenda item."))
    item.meeting = meeting
    services.agenda_remove(actor=request.user, item=item)
    return Status(204, None)


# --- Attendance ----------------------------------------------------------------------------------


@router.get(
    "/{pk}/attendance",
    response={200: GovMeetingAttendanceOut, **errors(400, 401, 403, 404)},
    auth=signed_in,
    summary="Who came to a meeting (as the viewer may see it)",
)
def attendance_list(request: HttpRequest, pk: int):
    meeting = _meeting(request, pk)
    sees_all = access.sees_all_meetings(request.user, meeting.place)
    return _attendance(presenters.attendance_view(selectors.attendance_of(meeting), sees_all=sees_all))


@router.post(
    "/{pk}/attendance",
    response={201: GovMeetingAttendanceOut, **errors(400, 401, 403, 404, 409, 413)},
    auth=signed_in,
    summary="Add who came: a person on record, an agency, or a typed name",
)
def attendance_add(request: HttpRequest, pk: int, payload: GovMeetingAttendeeIn):
    meeting = _meeting(request, pk)
    access.check_manage_meetings(request.user, meeting.place)
    user = User.objects.filter(pk=payload.user_id).first() if payload.user_id else None
    if payload.user_id and user is None:
        raise _field("user_id", _("Choose someone with a role in this town."))
    agency = (
        Agency.objects.filter(code=payload.agency_code.strip()).first()
        if payload.agency_code.strip()
        else None
    )
    if payload.agency_code.strip() and agency is None:
        raise _field("agency_code", _("Choose an agency serving this town."))
    services.attendance_add(
        actor=request.user,
        meeting=meeting,
        kind=payload.kind,
        user=user,
        agency=agency,
        name=payload.name,
        organisation=payload.organisation,
        present=payload.present,
    )
    return Status(
        201, _attendance(presenters.attendance_view(selectors.attendance_of(meeting), sees_all=True))
    )


@router.delete(
    "/{pk}/attendance/{row_id}",
    response={204: None, **errors(400, 401, 403, 404, 409)},
    auth=signed_in,
    summary="Remove someone from the attendance",
)
def attendance_remove(request: HttpRequest, pk: int, row_id: int):
    meeting = _meeting(request, pk)
    row = Attendance.objects.filter(pk=row_id, meeting=meeting).first()
    if row is None:
        raise NotFound(_("No such attendee."))
    row.meeting = meeting
    services.attendance_remove(actor=request.user, attendance=row)
    return Status(204, None)


# --- Decisions -----------------------------------------------------------------------------------


@router.get(
    "/{pk}/decisions",
    response={200: list[GovMeetingDecisionOut], **errors(400, 401, 403, 404)},
    auth=signed_in,
    summary="A meeting's decisions",
)
def decisions_of_meeting(request: HttpRequest, pk: int):
    meeting = _meeting(request, pk)
    sees_all = access.sees_all_meetings(request.user, meeting.place)
    rows = presenters.decision_rows(request.user, selectors.decisions_of(meeting), sees_all=sees_all)
    return [asdict(r) for r in rows]


@router.post(
    "/{pk}/decisions",
    response={201: GovMeetingDecisionOut, **errors(400, 401, 403, 404, 409, 413)},
    auth=signed_in,
    summary="Record a decision; it may open a case or move one on the agenda through the workflow",
)
def decision_create(request: HttpRequest, pk: int, payload: GovMeetingDecisionIn):
    """Give one owner (`owner_user_id`, `owner_agency_code` or `owner_name`). With `open_case` a case
    (source "deliberation") is filed; with `move_case` the case on the agenda takes the workflow
    step `action` (see the meeting's `case_moves`). Either is all or nothing with the decision."""
    meeting = _meeting(request, pk)
    access.check_manage_meetings(request.user, meeting.place)
    if payload.open_case is not None and payload.move_case is not None:
        raise _field("move_case", _("A decision opens a case or moves one on, not both."))
    owner_user = User.objects.filter(pk=payload.owner_user_id).first() if payload.owner_user_id else None
    if payload.owner_user_id and owner_user is None:
        raise _field("owner_user_id", _("Choose someone with a role in this town."))
    code = payload.owner_agency_code.strip()
    owner_agency = Agency.objects.filter(code=code).first() if code else None
    if code and owner_agency is None:
        raise _field("owner_agency_code", _("Choose an agency serving this town."))
    item = None
    if payload.agenda_item_id is not None:
        item = AgendaItem.objects.filter(pk=payload.agenda_item_id, meeting=meeting).first()
        if item is None:
            raise _field("agenda_item_id", _("Choose an item of this meeting's agenda."))
    common = {
        "actor": request.user,
        "meeting": meeting,
        "text": payload.text,
        "due_on": payload.due_on,
        "owner": services.Owner(user=owner_user, agency=owner_agency, name=payload.owner_name),
        "agenda_item": item,
    }
    if payload.open_case is not None:
        spec = payload.open_case
        grid = None
        if spec.grid_code.strip():
            grid = Place.objects.filter(code=spec.grid_code.strip(), level=Place.Level.GRID).first()
            if grid is None:
                raise _field("grid_code", _("No grid has this code."))
        decision = services.decision_open_case(
            **common,
            category=spec.category,
            description=spec.description,
            grid=grid,
            lon=spec.lon,
            lat=spec.lat,
            is_public=spec.is_public,
        )
    elif payload.move_case is not None:
        case = Case.objects.filter(tracking_number=payload.move_case.case_number.strip()).first()
        if case is None or not AgendaItem.objects.filter(meeting=meeting, case=case).exists():
            raise _field(
                "case_number", _("Only a case on this meeting's agenda can be moved on by its decisions.")
            )
        decision = services.decision_move_case(**common, case=case, action=payload.move_case.action)
    else:
        decision = services.decision_create(**common)
    decision = selectors.decision_get(request.user, decision.pk)
    return Status(201, asdict(presenters.decision_rows(request.user, [decision], sees_all=True)[0]))
