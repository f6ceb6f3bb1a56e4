"""Volunteers API at /api/v1/volunteers: activities, sign-up, check-in, hours and their confirmation.

The same services, selectors and presenters as the pages; access rules through them.
"""

from __future__ import annotations

from django.http import FileResponse, HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router

from civicgrid.core.api_auth import anyone, errors, signed_in
from civicgrid.core.errors import NotFound
from civicgrid.places.models import Place
from civicgrid.volunteers import access, exports, presenters, selectors, services
from civicgrid.volunteers.models import HoursRecord, Team
from civicgrid.volunteers.schemas import (
    ActivityListOut,
    ActivityOut,
    ActivityQuery,
    CheckIn,
    CheckOut,
    DeclineIn,
    ExportQuery,
    HoursOut,
    MyHoursOut,
    SignupOut,
)

router = Router(tags=["volunteers"])


def _user(request: HttpRequest):
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def _activity(request: HttpRequest, pk: int):
    activity = selectors.activity_get(user=_user(request), pk=pk)
    if activity is None:
        raise NotFound(_("No such activity."))
    return activity


def _volunteer(request: HttpRequest):
    volunteer = access.volunteer_of(request.user)
    if volunteer is None:
        raise NotFound(_("You are not registered as a volunteer."), code="not_a_volunteer")
    return volunteer


@router.get(
    "/activities", response={200: ActivityListOut, **errors(400)}, auth=anyone, summary="Find activities"
)
def activity_list(request: HttpRequest, params: Query[ActivityQuery]):
    """Published activities (and drafts of the teams you manage); no personal data."""
    filters = selectors.ActivityFilters(
        when=params.when,
        service_field=params.service_field,
        community=params.community,
        team=params.team,
        text=params.text.strip(),
    )
    qs = selectors.activity_list(user=_user(request), filters=filters)
    items = list(qs[params.offset : params.offset + params.limit])
    return {
        "count": qs.count(),
        "items": [v.as_dict() for v in presenters.activity_views(items, _user(request))],
    }


@router.get(
    "/activities/{pk}", response={200: ActivityOut, **errors(400, 404)}, auth=anyone, summary="An activity"
)
def activity_detail(request: HttpRequest, pk: int):
    return presenters.activity_view(_activity(request, pk), _user(request)).as_dict()


@router.post(
    "/activities/{pk}/signup",
    response={200: SignupOut, **errors(400, 401, 403, 404, 409, 413)},
    auth=signed_in,
    summary="Sign up (or join the waiting list)",
)
def signup(request: HttpRequest, pk: int):
    signup = services.signup_create(
        activity=_activity(request, pk), volunteer=_volunteer(request), actor=request.user
    )
    return {"activity_id": pk, "state": signup.state, "position": selectors.waiting_position(signup)}


@router.post(
    "/activities/{pk}/cancel",
    response={200: SignupOut, **errors(400, 401, 403, 404, 409, 413)},
    auth=signed_in,
    summary="Cancel your sign-up",
)
def cancel(request: HttpRequest, pk: int):
    signup = services.signup_cancel(
        activity=_activity(request, pk), volunteer=_volunteer(request), actor=request.user
    )
    return {"activity_id": pk, "state": signup.state, "position": None}


@router.post(
    "/activities/{pk}/check",
    response={200: CheckOut, **errors(400, 401, 403, 404, 409, 413)},
    auth=signed_in,
    summary="Check in or out with a scanned code",
)
def check(request: HttpRequest, pk: int, payload: CheckIn):
    """Check in (or, once in, out) with the token of the code on the leader's phone: the current or
    previous one only (`code_expired` otherwise). With a check-in distance, send `lon`/`lat` (WGS-84):
    missing → `position_required`, too far → `too_far`."""
    result = services.attendance_scan(
        activity=_activity(request, pk),
        user=request.user,
        token=payload.token,
        lon=payload.lon,
        lat=payload.lat,
    )
    return {
        "action": result.action,
        "checked_in_at": result.signup.checked_in_at,
        "checked_out_at": result.signup.checked_out_at,
    }


@router.get(
    "/me/hours", response={200: MyHoursOut, **errors(400, 401, 404)}, auth=signed_in, summary="My hours"
)
def my_hours(request: HttpRequest):
    volunteer = _volunteer(request)
    totals = selectors.hours_totals(volunteer)
    return {
        "approved_minutes": totals.approved,
        "pending_minutes": totals.pending,
        "items": [presenters.hours_view(r).as_dict() for r in selectors.hours_of(volunteer)],
    }


def _team(request: HttpRequest, pk: int) -> Team:
    team = Team.objects.select_related("community").filter(pk=pk).first()
    if team is None:
        raise NotFound(_("No such team."))
    access.check_manage_team(request.user, team)
    return team


@router.get(
    "/teams/{pk}/hours/pending",
    response={200: list[HoursOut], **errors(400, 401, 403, 404)},
    auth=signed_in,
    summary="A team's hours awaiting confirmation",
)
def team_pending(request: HttpRequest, pk: int):
    return [presenters.hours_view(r).as_dict() for r in selectors.pending_hours(_team(request, pk))]


def _record(pk: int) -> HoursRecord:
    record = HoursRecord.objects.select_related("volunteer", "team", "community").filter(pk=pk).first()
    if record is None:
        raise NotFound(_("No such hours record."))
    return record


@router.post(
    "/hours/{pk}/approve",
    response={200: HoursOut, **errors(400, 401, 403, 404, 409, 413)},
    auth=signed_in,
    summary="Approve pending hours",
)
def approve(request: HttpRequest, pk: int):
    record = services.hours_decide(record=_record(pk), actor=request.user, approve=True)
    return presenters.hours_view(record).as_dict()


@router.post(
    "/hours/{pk}/decline",
    response={200: HoursOut, **errors(400, 401, 403, 404, 409, 413)},
    auth=signed_in,
    summary="Decline pending hours, with a reason",
)
def decline(request: HttpRequest, pk: int, payload: DeclineIn):
    record = services.hours_decide(
        record=_record(pk), actor=request.user, approve=False, reason=payload.reason
    )
    return presenters.hours_view(record).as_dict()


@router.get(
    "/hours/export.xlsx",
    response={200: None, **errors(400, 401, 403, 404)},
    auth=signed_in,
    summary="Approved hours as .xlsx: of a volunteer, a team or a community (yours by default)",
)
def hours_export(request: HttpRequest, params: Query[ExportQuery]):
    kwargs: dict = {}
    if params.volunteer:
        volunteer = selectors.volunteer_by_number(user=request.user, number=params.volunteer)
        if volunteer is None:
            raise NotFound(_("No such volunteer."))
        kwargs["volunteer"] = volunteer
    elif params.team:
        kwargs["team"] = _team(request, params.team)
    elif params.community:
        place = Place.objects.filter(code=params.community, level=Place.Level.VILLAGE).first()
        if place is None:
            raise NotFound(_("No such community."))
        kwargs["community"] = place
    else:
        kwargs["volunteer"] = _volunteer(request)
    written = exports.hours_export(
        user=request.user, date_from=params.date_from, date_to=params.date_to, **kwargs
    )
    return FileResponse(
        written.file, as_attachment=True, filename=written.filename, content_type=exports.CONTENT_TYPE
    )
