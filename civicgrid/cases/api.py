"""Cases API at /api/v1/cases: intake, lists, the case record, workflow actions, notifications, 12345.

Every endpoint calls the same services and selectors as the pages; permission decisions stay in
`civicgrid.cases.access` (through them). Intake and actions take JSON or multipart/form-data, so a
phone can send photos as files and an integration as base64; both are read by `_payload`.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
from dataclasses import dataclass, field
from typing import Any

import pydantic
from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest
from django.http.multipartparser import MultiPartParserError
from django.urls import get_script_prefix, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Header, Query, Router, Status
from ninja.errors import ValidationError

from civicgrid.accounts.models import Agency, User
from civicgrid.cases import categories as category_list
from civicgrid.cases import hotline, notices, presenters, selectors, services
from civicgrid.cases.models import Case, Notification
from civicgrid.cases.schemas import (
    ActionIn,
    CaseCreatedOut,
    CaseDetailOut,
    CaseIn,
    CaseListOut,
    CaseListQuery,
    CategoriesQuery,
    CommentIn,
    HotlineOrderIn,
    MajorCategoryOut,
    NotificationListOut,
    NotificationsQuery,
    NotificationsReadIn,
    NotificationsReadOut,
    PublicCaseOut,
    inline_schema,
)
from civicgrid.cases.workflow import ACTIONS
from civicgrid.core.api_auth import anyone, errors, signed_in
from civicgrid.core.errors import ApplicationError, NotFound
from civicgrid.core.schemas import Text
from civicgrid.lib.geo import GeometryError, to_wgs84
from civicgrid.places.models import Place

router = Router(tags=["cases"])


def _invalid(fields: dict[str, str]) -> ApplicationError:
    return ApplicationError(_("Please correct the marked fields."), code="invalid", extra={"fields": fields})


def _user(request: HttpRequest) -> User | None:
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


# ---------------------------------------------------------------------------------------------
# Request bodies: JSON (photos in base64) or multipart/form-data (photos as files)


def _request_body(model: type) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": inline_schema(model)},
                "multipart/form-data": {"schema": inline_schema(model, files=("photos",))},
            },
        }
    }


def _base64_photos(items: Any) -> list[bytes]:
    if not isinstance(items, list):
        raise _invalid({"photos": _("Send the photos as a list of base64 strings.")})
    # The service's count rule, asked before decoding photos it would refuse anyway.
    services.photos_check_count(len(items))
    # Refuse an oversized photo from its length, before decoding it.
    max_length = settings.CASE_PHOTO_MAX_BYTES * 4 // 3 + 8
    photos = []
    for number, item in enumerate(items, start=1):
        text = item if isinstance(item, str) else ""
        if text.startswith("data:") and "," in text:
            text = text.split(",", 1)[1]
        text = "".join(text.split())
        if len(text) > max_length:
            raise ApplicationError(
                _("Photo %(n)d: the file is larger than %(mb)s MB.")
                % {"n": number, "mb": f"{settings.CASE_PHOTO_MAX_BYTES / 1024 / 1024:g}"},
                code="photo_too_large",
                extra={"field": "photos", "photo": number},
            )
        try:
            photos.append(base64.b64decode(text, validate=True))
        except (binascii.Error, ValueError):
            raise ApplicationError(
                _("Photo %(n)d is not valid base64.") % {"n": number},
                code="photo_base64",
                extra={"field": "photos", "photo": number},
            )
    return photos


def _payload(
    request: HttpRequest, *, lists: tuple[str, ...] = (), objects: tuple[str, ...] = ()
) -> tuple[dict[str, Any], list]:
    """Return the fields and photos of a JSON or form body.

    In a form, `lists` fields may repeat or hold comma-separated values, `objects` fields may be a
    JSON object or dotted fields (`appointment.place`), and an empty field counts as not sent.
    """
    if request.content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        try:
            form, files = request.POST, request.FILES
        except RequestDataTooBig:
            raise ApplicationError(_("The request is too large."), code="too_large", status=413)
        except (MultiPartParserError, TooManyFieldsSent, TooManyFilesSent):
            raise ApplicationError(
                _("The form could not be read. Send multipart/form-data with its boundary, or JSON."),
                code="invalid_form",
            )
        data: dict[str, Any] = {}
        for key in form:
            values = form.getlist(key)
            if key == "photos":
                continue
            if key in lists:
                data[key] = [part.strip() for value in values for part in value.split(",") if part.strip()]
            elif "." in key and key.split(".", 1)[0] in objects:
                head, tail = key.split(".", 1)
                if isinstance(data.get(head, {}), dict) and values[-1] != "":
                    data.setdefault(head, {})[tail] = values[-1]
            elif key in objects and values[-1].strip().startswith("{"):
                try:
                    data[key] = json.loads(values[-1])
                except ValueError:
                    raise _invalid({key: _("Send a JSON object or dotted fields.")})
            elif values[-1] != "":
                data[key] = values[-1]
        return data, files.getlist("photos")
    try:
        body = request.body
    except RequestDataTooBig:
        raise ApplicationError(_("The request is too large."), code="too_large", status=413)
    if not body.strip():
        data = {}
    else:
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise ApplicationError(_("The request body is not valid JSON."), code="invalid_json")
    if not isinstance(data, dict):
        raise ApplicationError(_("Send a JSON object."), code="invalid_json")
    return data, _base64_photos(data.pop("photos", None) or [])


def _validate(schema: type[pydantic.BaseModel], data: dict[str, Any]) -> Any:
    try:
        return schema.model_validate(data)
    except pydantic.ValidationError as exc:
        # The API's handler turns this into the one error shape, like any body ninja parses itself.
        raise ValidationError([dict(e, loc=("body", *e["loc"])) for e in exc.errors(include_url=False)])


# ---------------------------------------------------------------------------------------------
# Output


def _absolute(request: HttpRequest, path: str) -> str:
    return request.build_absolute_uri(path)


_NUMBER_MARK = "00000000-0000"


@functools.lru_cache(maxsize=16)
def _case_path_template(name: str, script_prefix: str) -> str:
    # Reversed once per URL name (and script prefix), then filled in: every intake answers with two.
    return reverse(name, kwargs={"number": _NUMBER_MARK})


def _case_path(name: str, number: str) -> str:
    return _case_path_template(name, get_script_prefix()).replace(_NUMBER_MARK, number)


def _created_out(request: HttpRequest, case: Case, location: Any = None) -> dict[str, Any]:
    if location is not None:
        # Intake just routed it: the codes are in hand, no query needed.
        codes = {ref.id: ref.code for ref in (location.grid, location.village, location.town) if ref}
    else:
        ids = [pk for pk in (case.grid_id, case.village_id, case.town_id) if pk]
        codes = dict(Place.objects.filter(pk__in=ids).values_list("pk", "code")) if ids else {}
    return {
        "tracking_number": case.tracking_number,
        "state": case.state,
        "state_label": str(Case.State(case.state).label),
        "routed": case.routed,
        "grid": codes.get(case.grid_id),
        "village": codes.get(case.village_id),
        "town": codes.get(case.town_id),
        "created_at": case.created_at,
        "status_url": _absolute(request, _case_path("cases:public_status_number", case.tracking_number)),
        "url": _absolute(request, _case_path("api:case_detail", case.tracking_number)),
    }


def _code_name(obj: Any) -> dict[str, str] | None:
    if obj is None:
        return None
    name = obj.name_en if getattr(obj, "name_en", "") and _is_english() else obj.name
    return {"code": obj.code, "name": name}


def _is_english() -> bool:
    return (get_language() or "").startswith("en")


def _list_item(case: Case) -> dict[str, Any]:
    return {
        "tracking_number": case.tracking_number,
        "state": case.state,
        "state_label": str(case.get_state_display()),
        "category": {"code": case.category.code, "name": case.category.display_name},
        "source": case.source,
        "priority": case.priority,
        "address": case.address,
        "created_at": case.created_at,
        "step_due_at": case.step_due_at,
        "is_overdue": case.is_overdue,
        "routed": case.routed,
        "town": case.town.code if case.town_id else None,
        "village": case.village.code if case.village_id else None,
        "grid": case.grid.code if case.grid_id else None,
        "lead_agency": _code_name(case.lead_agency),
    }


def _entry_out(entry: presenters.EntryView) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": entry.at,
        "action": entry.action,
        "label": entry.label,
        "from_state": entry.from_state,
        "to_state": entry.to_state,
        "state_label": entry.state_label,
        "actor": entry.actor,
        "actor_role": entry.actor_role,
        "actor_role_label": entry.actor_role_label,
        "note": entry.note,
        "note_is_reply": entry.note_is_reply,
        "is_public": entry.is_public,
        "details": [{"label": label, "value": value} for label, value in entry.details],
        "data": entry.data,
    }


def _code_name_out(value: presenters.CodeName | None) -> dict[str, str] | None:
    return None if value is None else {"code": value.code, "name": value.name}


def _detail_out(view: presenters.CaseView) -> dict[str, Any]:
    """Serialize what the viewer sees of a case (`presenters.case_view`); the page renders the same view."""
    category = view.category
    return {
        "tracking_number": view.tracking_number,
        "state": view.state,
        "state_label": view.state_label,
        "source": view.source,
        "source_label": view.source_label,
        "category": {
            "code": category.code,
            "name": category.name,
            "parent_code": category.parent_code,
            "parent_name": category.parent_name,
        },
        "description": view.description,
        "address": view.address,
        "lon": view.lon,
        "lat": view.lat,
        "routed": view.routed,
        "grid": view.grid.code if view.grid else None,
        "village": view.village.code if view.village else None,
        "town": view.town.code if view.town else None,
        "district": view.district.code if view.district else None,
        "priority": view.priority,
        "is_public": view.is_public,
        "external_ref": view.external_ref,
        "reporter": {"name": view.reporter.name, "phone": view.reporter.phone},
        "lead_agency": _code_name_out(view.lead_agency),
        "co_agencies": [_code_name_out(a) for a in view.co_agencies],
        "pending_request": view.pending_request,
        "pending_until": view.pending_until,
        "merged_into": view.merged_into,
        "merged_cases": view.merged_cases,
        "step_due_at": view.step_due_at,
        "is_overdue": view.is_overdue,
        "response_due_at": view.response_due_at,
        "resolution_due_at": view.resolution_due_at,
        "solved": view.solved,
        "satisfaction": view.satisfaction,
        "created_at": view.created_at,
        "updated_at": view.updated_at,
        "closed_at": view.closed_at,
        "version": view.version,
        "events": [_entry_out(e) for e in view.entries],
        "photos": [
            {
                "id": p.id,
                "kind": p.kind,
                "event_id": p.event_id,
                "width": p.width,
                "height": p.height,
                "url": p.url,
                "thumbnail_url": p.thumbnail_url,
            }
            for p in view.photos
        ],
        "appointments": [
            {
                "event_id": a.event_id,
                "starts_at": a.starts_at,
                "place": a.place,
                "participants": a.participants,
            }
            for a in view.appointments
        ],
        "actions": [
            {
                "action": t.action,
                "label": str(t.label),
                "requires": sorted(t.requires),
                "accepts": sorted(t.accepts),
                "danger": t.danger,
            }
            for t in view.actions
        ],
    }


def _public_out(view: presenters.CaseView) -> dict[str, Any]:
    """Serialize the public status of a case (`presenters.public_case_view`), as its page shows it."""
    return {
        "tracking_number": view.tracking_number,
        "state": view.state,
        "state_label": view.state_label,
        "category": view.category.name,
        "created_at": view.created_at,
        "address": view.address,
        "lon": view.lon,
        "lat": view.lat,
        "merged_into": view.merged_into or "",
        "events": [
            {
                "id": e.id,
                "at": e.at,
                "action": e.action,
                "label": e.label,
                "state": e.to_state,
                "from_state": e.from_state,
                "state_label": e.state_label,
                "actor_role": e.actor_role,
                "actor_role_label": e.actor_role_label,
                "note": e.note,
                "note_is_reply": e.note_is_reply,
                "details": [{"label": label, "value": value} for label, value in e.details],
            }
            for e in view.entries
        ],
        "photos": [
            {"id": p.id, "kind": p.kind, "event_id": p.event_id, "thumbnail_url": p.thumbnail_url}
            for p in view.photos
        ],
    }


# ---------------------------------------------------------------------------------------------
# Intake and lists


@router.post(
    "/",
    response={200: CaseCreatedOut, 201: CaseCreatedOut, **errors(400, 401, 403, 404, 409, 413, 422, 429)},
    auth=anyone,
    url_name="case_create",
    summary="Report a problem (create a case)",
    openapi_extra=_request_body(CaseIn),
)
def case_create(
    request: HttpRequest,
    idempotency_key: str = Header(
        "",
        alias="Idempotency-Key",
        description="A key the client makes up per report (8–80 of A-Z a-z 0-9 . _ : -). Sending the "
        "same report with the same key again returns the first case (200) instead of filing a second "
        "one; the key with a different report is refused (422, idempotency_key_reused).",
    ),
):
    """File a report; anyone may report as a resident, without signing in.

    Send JSON (photos as base64 strings) or multipart/form-data (photos as files named `photos`).
    Returns 201 with the tracking number; 200 with the same case when the same report was sent with
    this `Idempotency-Key` before; 422 (`idempotency_key_reused`) when the key came with another report.
    A point outside every grid is still filed, unrouted, for the nearest region (`routed: false`).
    """
    data, photos = _payload(request)
    payload: CaseIn = _validate(CaseIn, data)
    user = _user(request)
    intake = services.case_create(
        reporter=user,
        actor=user,
        source=payload.source,
        category=payload.category,
        description=payload.description,
        lon=payload.lon,
        lat=payload.lat,
        crs=payload.crs,
        address=payload.address,
        photos=photos,
        reporter_name=payload.reporter_name,
        reporter_phone=payload.reporter_phone,
        is_public=payload.is_public,
        priority=payload.priority,
        external_ref=payload.external_ref,
        idempotency_key=(idempotency_key or "").strip(),
        client=request.META.get("REMOTE_ADDR", ""),
    )
    return Status(201 if intake.created else 200, _created_out(request, intake.case, intake.location))


@router.get(
    "/",
    response={200: CaseListOut, **errors(400, 401)},
    auth=signed_in,
    summary="List the cases in your area",
)
def case_list(request: HttpRequest, params: Query[CaseListQuery]):
    """Return the cases you may see, overdue first, then by step deadline; with the total count.

    No personal data of reporters appears in lists; open a case for that (if you may see it).
    """
    errors = {}
    if params.queue and params.queue not in selectors.QUEUE_BY_KEY:
        errors["queue"] = _("Unknown queue.")
    if params.state and params.state not in Case.State.values:
        errors["state"] = _("Unknown state.")
    if params.source and params.source not in Case.Source.values:
        errors["source"] = _("Unknown source.")
    agency_id = None
    if params.agency:
        agency_id = Agency.objects.filter(code=params.agency).values_list("pk", flat=True).first()
        if agency_id is None:
            errors["agency"] = _("No agency with the code “%(code)s”.") % {"code": params.agency[:40]}
    if errors:
        raise _invalid(errors)
    qs = selectors.case_list(
        user=request.user,
        filters=selectors.CaseFilters(
            queue=params.queue,
            state=params.state,
            category=params.category.strip().upper(),
            region=params.region.strip(),
            source=params.source,
            date_from=params.date_from,
            date_to=params.date_to,
            overdue=params.overdue,
            text=params.text,
            agency=agency_id,
            mine=params.mine,
        ),
    )
    offset = (params.page - 1) * params.limit if params.page else params.offset
    return {
        "count": qs.count(),
        "limit": params.limit,
        "offset": offset,
        "items": [_list_item(c) for c in qs[offset : offset + params.limit]],
    }


# Fixed paths come before /{number}, which would match them too.


@router.get(
    "/categories",
    response={200: list[MajorCategoryOut], **errors(400, 401)},
    auth=anyone,
    summary="Categories a report may choose",
)
def categories(request: HttpRequest, params: Query[CategoriesQuery]):
    """Return the major classes (大类) with the minor classes (小类) valid at a point, or everywhere."""
    lon, lat = params.lon, params.lat
    if lon is not None and lat is not None:
        try:
            lon, lat = to_wgs84(lon, lat, params.crs)
        except GeometryError as exc:
            raise ApplicationError(str(exc), code="invalid_crs", extra={"crs": params.crs[:20]})
    else:
        lon = lat = None
    return [
        {
            "code": major.code,
            "name": major.display_name,
            "name_en": major.name_en,
            "kind": major.kind,
            "children": [
                {
                    "code": minor.code,
                    "name": minor.display_name,
                    "name_en": minor.name_en,
                    "photo_required": minor.photo_required,
                    "is_urgent": minor.is_urgent,
                }
                for minor in minors
            ],
        }
        for major, minors in category_list.groups(selectors.categories_for_point(lon=lon, lat=lat))
    ]


@router.get(
    "/notifications",
    response={200: NotificationListOut, **errors(400, 401)},
    auth=signed_in,
    summary="My notifications",
)
def notifications(request: HttpRequest, params: Query[NotificationsQuery]):
    """Return your notifications, newest first, with the total and the number unread."""
    qs = selectors.notifications_for(user=request.user, unread_only=params.unread)
    kinds = dict(Notification.Kind.choices)
    return {
        "count": qs.count(),
        "unread": selectors.unread_count(request.user),
        "items": [
            {
                "id": n.pk,
                "kind": n.kind,
                "kind_label": str(kinds.get(n.kind, n.kind)),
                "text": notices.text_of(n),
                "case": n.case.tracking_number,
                "created_at": n.created_at,
                "read_at": n.read_at,
            }
            for n in qs[params.offset : params.offset + params.limit]
        ],
    }


@router.post(
    "/notifications/read",
    response={200: NotificationsReadOut, **errors(400, 401, 403, 413)},
    auth=signed_in,
    summary="Mark my notifications read",
)
def notifications_read(request: HttpRequest, payload: NotificationsReadIn):
    """Mark the given notifications (`ids`) or all of yours (`all: true`) read; others' are untouched."""
    if not payload.all and payload.ids is None:
        raise _invalid({"ids": _("Give the notifications to mark, or all: true.")})
    marked = services.notifications_mark_read(user=request.user, ids=None if payload.all else payload.ids)
    return {"marked": marked, "unread": selectors.unread_count(request.user)}


@router.get(
    "/public/{number}",
    response={200: PublicCaseOut, **errors(400, 404)},
    auth=None,
    summary="Public status of a case (no personal data)",
)
def public_status(request: HttpRequest, number: Text):
    """Return what anyone may see of a public case: its public steps and times, the replies to its
    reporter (a resolution, a rejection's reason), report and result thumbnails, the point to about
    100 m. No names, no phones, no internal notes; the public status page shows the same."""
    return _public_out(presenters.public_case_view(tracking_number=number))


@router.post(
    "/hotline/orders",
    response={200: CaseCreatedOut, 201: CaseCreatedOut, **errors(400, 401, 403, 404, 409, 413)},
    auth=signed_in,
    summary="Receive a 12345 hotline order",
)
def hotline_order(request: HttpRequest, payload: HotlineOrderIn):
    """File a 12345 work order as a case (source "hotline"); idempotent on the order number.

    Needs the intake permission (a token of the hotline integration's staff account). The first post
    of an order returns 201; posting the same order number again returns its case with 200. The
    caller's name and phone are kept private on the case; `received_at` is checked but not yet stored.
    """
    order = hotline.order_from_values(payload.dict())
    intake = hotline.order_import(order=order, user=request.user)
    return Status(201 if intake.created else 200, _created_out(request, intake.case, intake.location))


# ---------------------------------------------------------------------------------------------
# One case


@router.get(
    "/{number}",
    response={200: CaseDetailOut, **errors(400, 401, 404)},
    auth=signed_in,
    url_name="case_detail",
    summary="A case with its record, photos and the actions open to you",
)
def case_detail(request: HttpRequest, number: Text):
    """Return a case you may see, as you may see it (the same picture as its page).

    The staff of the case get every step with names, notes and data; the reporter is masked (in the
    facts and on the record) unless you may see who reported it. The reporter gets the public steps,
    the replies (`note_is_reply`) and their own notes, with roles instead of names. `actions` lists
    what you may do now and what each needs."""
    return _detail_out(presenters.case_view(user=request.user, tracking_number=number))


@dataclass
class _Refs:
    agency: Agency | None = None
    co_agencies: list[Agency] = field(default_factory=list)
    grid: Place | None = None


def _resolve(payload: ActionIn) -> _Refs:
    """Turn the codes of an action body into objects; unknown codes are field errors. Whether the
    agency or grid may be chosen for this case is the service's rule, not this parser's."""
    refs = _Refs()
    errors: dict[str, str] = {}
    codes = {c for c in [payload.agency or "", *payload.co_agencies] if c}
    agencies = {a.code: a for a in Agency.objects.filter(code__in=codes)} if codes else {}
    if payload.agency:
        refs.agency = agencies.get(payload.agency)
        if refs.agency is None:
            errors["agency"] = _("No agency with the code “%(code)s”.") % {"code": payload.agency[:40]}
    unknown = [c for c in payload.co_agencies if c not in agencies]
    if unknown:
        errors["co_agencies"] = _("No agency with the code “%(code)s”.") % {"code": unknown[0][:40]}
    refs.co_agencies = list({c: agencies[c] for c in payload.co_agencies if c in agencies}.values())
    if payload.grid:
        refs.grid = Place.objects.filter(code=payload.grid.strip()[:20], level=Place.Level.GRID).first()
        if refs.grid is None:
            errors["grid"] = _("No grid with the code “%(code)s”.") % {"code": payload.grid[:20]}
    if errors:
        raise _invalid(errors)
    return refs


@router.post(
    "/{number}/actions/{action}",
    response={200: CaseDetailOut, 204: None, **errors(400, 401, 403, 404, 409, 413)},
    auth=signed_in,
    url_name="case_action",
    summary="Apply a workflow action to a case",
    openapi_extra=_request_body(ActionIn),
)
def case_action(request: HttpRequest, number: Text, action: Text):
    """Apply one action (accept, dispatch, sign, resolve, rate, ...) and return the updated case.

    Send JSON or multipart/form-data; in a form, `co_agencies` may repeat and `appointment` may be a
    JSON object or `appointment.starts_at` / `appointment.place` / `appointment.participants` fields.
    400: a field is missing or unknown; 403: you may not do this; 404: no such case in your area;
    409: not possible in the case's state now, or someone else acted first (reload and retry).
    204: done, and the case has left your area (a returned dispatch).
    """
    case = selectors.case_get_for_user(user=request.user, tracking_number=number)
    if action not in ACTIONS:
        raise NotFound(_("There is no action “%(action)s”.") % {"action": action[:40]}, code="unknown_action")
    data, photos = _payload(request, lists=("co_agencies",), objects=("appointment",))
    payload: ActionIn = _validate(ActionIn, data)
    refs = _resolve(payload)
    appointment = (
        services.AppointmentIn(
            starts_at=payload.appointment.starts_at,
            place=payload.appointment.place,
            participants=payload.appointment.participants,
        )
        if payload.appointment
        else None
    )
    services.case_act(
        case=case,
        action=action,
        actor=request.user,
        note=payload.note,
        photos=photos,
        agency=refs.agency,
        co_agencies=refs.co_agencies,
        appointment=appointment,
        until=payload.until,
        merge_into=payload.merge_into,
        grid=refs.grid,
        solved=payload.solved,
        satisfaction=payload.satisfaction,
    )
    try:
        view = presenters.case_view(user=request.user, tracking_number=number)
    except NotFound:
        return Status(204, None)
    return Status(200, _detail_out(view))


@router.post(
    "/{number}/comments",
    response={201: CaseDetailOut, **errors(400, 401, 403, 404, 409, 413)},
    auth=signed_in,
    summary="Comment on a case",
)
def case_comment(request: HttpRequest, number: Text, payload: CommentIn):
    """Add a note to the record of an open case you may see.

    A staff comment is internal to the staff of the case unless `reply` is true: then it answers the
    reporter, who reads it, as does the public status page. The reporter's own comment is on their record.
    """
    case = selectors.case_get_for_user(user=request.user, tracking_number=number)
    services.case_comment(case=case, actor=request.user, note=payload.note, reply=payload.reply)
    return Status(201, _detail_out(presenters.case_view(user=request.user, tracking_number=number)))
