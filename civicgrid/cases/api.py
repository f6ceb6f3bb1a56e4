"""Cases API at /api/v1/cases: intake, lists, the case record, workflow actions, notifications, 12345.

Every endpoint calls the same services and selectors as the pages; permission decisions stay in
`civicgrid.cases.access` (through them). Intake and actions take JSON or multipart/form-data, so a
phone can send photos as files and an integration as base64; both are read by
`api_input.payload_of`, and the answers are built by `api_output` from the presenters.
"""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.http import http_date
from django.utils.translation import gettext as _
from ninja import Header, Query, Router, Status

from civicgrid.accounts.models import Agency
from civicgrid.cases import (
    api_hotline,
    api_input,
    api_output,
    duplicates,
    hotline,
    monthly,
    notices,
    overview,
    presenters,
    rankings,
    selectors,
    services,
)
from civicgrid.cases import categories as category_list
from civicgrid.cases.models import Case, CaseFollower, Notification
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
    MonthlyReportOut,
    MonthlyReportQuery,
    NotificationListOut,
    NotificationsQuery,
    NotificationsReadIn,
    NotificationsReadOut,
    OverviewOut,
    OverviewQuery,
    PublicCaseOut,
    RankingOut,
    RankingQuery,
    RepeatLocationOut,
    RepeatLocationsQuery,
)
from civicgrid.cases.schemas_follow import FollowOut, SimilarOut, SimilarQuery
from civicgrid.cases.services import following
from civicgrid.cases.workflow import ACTIONS
from civicgrid.core.api_auth import anyone, errors, signed_in
from civicgrid.core.errors import ApplicationError, NotFound
from civicgrid.core.schemas import Text
from civicgrid.lib import keyset
from civicgrid.lib.geo import GeometryError, to_wgs84

router = Router(tags=["cases"])
# GET /cases/hotline/replies: the 12345 replies for platforms that pull.
router.add_router("/hotline", api_hotline.router)


# ---------------------------------------------------------------------------------------------
# Intake and lists


@router.post(
    "/",
    response={200: CaseCreatedOut, 201: CaseCreatedOut, **errors(400, 401, 403, 404, 409, 413, 422, 429)},
    auth=anyone,
    url_name="case_create",
    summary="Report a problem (create a case)",
    openapi_extra=api_input.request_body(CaseIn),
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
    data, photos = api_input.payload_of(request, objects=("answers",))
    payload: CaseIn = api_input.validate(CaseIn, data)
    user = api_input.signed_in_user(request)
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
        answers=payload.answers,
    )
    return Status(
        201 if intake.created else 200, api_output.created_out(request, intake.case, intake.location)
    )


@router.get(
    "/",
    response={200: CaseListOut, **errors(400, 401)},
    auth=signed_in,
    summary="List the cases in your area",
)
def case_list(request: HttpRequest, params: Query[CaseListQuery]):
    """Return the cases you may see, a page at a time, with `next` (the next page's URL) and a total.

    Lists of open cases (a `queue`, an open `state`, `overdue=true`) come overdue first, then by step
    deadline; every other list newest first. Follow `next` to page: its `cursor` makes any page as
    fast as the first; `offset` and `page` still work for older clients. `count` is exact up to 1,000
    (`count_exact`); beyond, it is 1000 and `count_exact` is false. A `cursor` that is not one of this
    list's is refused (400, `invalid_cursor`).

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
        raise api_input.invalid(errors)
    filters = selectors.CaseFilters(
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
    )
    offset = 0 if params.cursor else (params.page - 1) * params.limit if params.page else params.offset
    page = _keyset_page(
        lambda: selectors.case_page(
            user=request.user, filters=filters, cursor=params.cursor, offset=offset, size=params.limit
        )
    )
    total = selectors.list_total(user=request.user, filters=filters)
    return {
        "count": total.n,
        "count_exact": total.exact,
        "limit": params.limit,
        "offset": offset,
        "next": api_output.next_url(request, page.next_cursor),
        "items": [api_output.list_item(c) for c in page.items],
    }


def _keyset_page(read):
    """Return `read()`, a keyset page; a cursor that is not one of the list's is a 400 in the one shape."""
    try:
        return read()
    except keyset.InvalidCursor:
        raise ApplicationError(
            _("Please correct the marked fields."),
            code="invalid_cursor",
            extra={
                "fields": {"cursor": _("This cursor does not belong to this list; start again without it.")}
            },
        )


# Fixed paths come before /{number}, which would match them too.


@router.get(
    "/categories",
    response={200: list[MajorCategoryOut], **errors(400, 401)},
    auth=anyone,
    summary="Categories a report may choose",
)
def categories(request: HttpRequest, params: Query[CategoriesQuery]):
    """Return the major classes (大类) with the minor classes (小类) valid at a point, or everywhere,
    each with the questions a report in it answers (`answers` when filing a case)."""
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
                    "description_required": minor.description_required,
                    "quick_icon": minor.quick_icon,
                    "phrases": minor.display_phrases,
                    "is_urgent": minor.is_urgent,
                    "questions": [api_output.question_out(q) for q in category_list.questions(minor)],
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
    """Return your notifications, newest first, a page at a time (follow `next`), with how many there
    are and how many are unread, each exact up to 1,000 (`count_exact`, `unread_exact`)."""
    user = request.user
    page = _keyset_page(
        lambda: selectors.notifications_page(
            user=user,
            unread_only=params.unread,
            cursor=params.cursor,
            offset=0 if params.cursor else params.offset,
            size=params.limit,
        )
    )
    total = selectors.notifications_total(user=user, unread_only=params.unread)
    unread = total if params.unread else selectors.unread_total(user)
    kinds = dict(Notification.Kind.choices)
    return {
        "count": total.n,
        "count_exact": total.exact,
        "unread": unread.n,
        "unread_exact": unread.exact,
        "next": api_output.next_url(request, page.next_cursor),
        "items": [
            {
                "id": n.pk,
                "kind": n.kind,
                "kind_label": str(kinds.get(n.kind, n.kind)),
                "text": notices.text_of(n),
                "case": n.case.tracking_number if n.case is not None else None,
                "created_at": n.created_at,
                "read_at": n.read_at,
            }
            for n in page.items
        ],
    }


@router.get(
    "/overview",
    response={200: OverviewOut, **errors(400, 401, 403)},
    auth=signed_in,
    summary="The overview of my scope: counts, rates, trend, categories, areas",
)
def overview_endpoint(request: HttpRequest, params: Query[OverviewQuery]):
    """Return the figures of your regions (or of one area within them, `region`), or of your agency's
    work, for a period: the same figures as the overview page, defined in docs/metrics.md."""
    return overview.as_json(
        overview.overview(user=request.user, period_key=params.period, region=params.region)
    )


@router.get(
    "/overview/repeat-locations",
    response={200: list[RepeatLocationOut], **errors(400, 401, 403)},
    auth=signed_in,
    summary="Places of my scope reported 3 or more times within 50 m in the last 30 days",
)
def repeat_locations_endpoint(
    request: HttpRequest, params: Query[RepeatLocationsQuery], response: HttpResponse
):
    """Return the repeat locations of your regions (or of one area within them), the most cases first,
    each with its cases' tracking numbers, newest first. Found again at most every five minutes: the
    `Last-Modified` header says when."""
    found = overview.repeat_locations(user=request.user, region=params.region)
    response["Last-Modified"] = http_date(found.as_of.timestamp())
    return overview.spots_json(found.spots)


@router.get(
    "/rankings",
    response={200: RankingOut, **errors(400, 401, 403)},
    auth=signed_in,
    summary="A monthly ranking of the towns, villages, agencies or grid workers of my scope",
)
def rankings_endpoint(request: HttpRequest, params: Query[RankingQuery]):
    """Return the ranking of one kind for a month, with last month's rank and score beside each entry
    (the score and its weights: docs/metrics.md), `limit` units (100 by default) from `offset`, and the
    ranking's `total`."""
    month = datetime.strptime(params.month, "%Y-%m").date() if params.month else None
    r = rankings.ranking(user=request.user, kind=params.kind, month=month)

    def rate(x):
        return {"value": x.value, "part": x.part, "whole": x.whole}

    return {
        "kind": r.kind,
        "month": r.month.strftime("%Y-%m"),
        "weights": r.weights,
        "kinds": r.kinds,
        "total": len(r.entries),
        "offset": params.offset,
        "as_of": r.as_of,
        "entries": [
            {
                **e.as_json(),
                "rates": {
                    key: rate(getattr(e.figures, key))
                    for key in (
                        "response",
                        "resolution",
                        "satisfaction",
                        "on_time_closure",
                        "verification_on_time",
                    )
                },
            }
            for e in r.entries[params.offset : params.offset + params.limit]
        ],
    }


@router.get(
    "/monthly-report",
    response={200: MonthlyReportOut, **errors(400, 401, 403)},
    auth=signed_in,
    summary="The monthly report of my scope: volumes, rates, rankings, categories, agencies, hotspots",
)
def monthly_report_endpoint(request: HttpRequest, params: Query[MonthlyReportQuery]):
    """Return one month of your regions (or of one area within them, `region`), or of your agency's
    work, against the month before: the same figures as the monthly report's page and workbook
    (docs/metrics.md). A month not begun yet or malformed is refused (400, code `future_month` or
    `invalid_month`)."""
    return monthly.as_json(
        monthly.monthly_report_for(user=request.user, month=params.month, region=params.region)
    )


@router.post(
    "/notifications/read",
    response={200: NotificationsReadOut, **errors(400, 401, 403, 413)},
    auth=signed_in,
    summary="Mark my notifications read",
)
def notifications_read(request: HttpRequest, payload: NotificationsReadIn):
    """Mark the given notifications (`ids`) or all of yours (`all: true`) read; others' are untouched."""
    if not payload.all and payload.ids is None:
        raise api_input.invalid({"ids": _("Give the notifications to mark, or all: true.")})
    marked = services.notifications_mark_read(user=request.user, ids=None if payload.all else payload.ids)
    return {"marked": marked, "unread": selectors.unread_total(request.user).n}


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
    return api_output.public_out(presenters.public_case_view(tracking_number=number))


@router.post(
    "/hotline/orders",
    response={200: CaseCreatedOut, 201: CaseCreatedOut, **errors(400, 401, 403, 404, 409, 413)},
    auth=signed_in,
    summary="Receive a 12345 hotline order",
)
def hotline_order(request: HttpRequest, payload: HotlineOrderIn):
    """File a 12345 work order as a case (source "hotline"); idempotent on the order number.

    Needs the intake permission (a token of the hotline integration's staff account). An order comes
    with its point, or with its address alone: matched in the standard address register of the
    account's region, it is filed in its grid when the match is sure, else unrouted in the region's
    queue. `category` is the hotline's path, mapped through the category table (a path not mapped yet
    is refused with code `category_unmapped`), or a CivicGrid code. The time limit becomes the case's
    resolution deadline. The first post of an order returns 201; posting the same order number again
    returns its case with 200. The caller's name and phone are kept private on the case.
    """
    order = hotline.order_from_values(payload.dict())
    filed = hotline.order_import(order=order, user=request.user)
    return Status(201 if filed.created else 200, api_output.created_out(request, filed.case, filed.location))


# ---------------------------------------------------------------------------------------------
# Nearby duplicates (before "# One case": "/{number}" would take "/similar" for a tracking number)


@router.get(
    "/similar",
    response={200: SimilarOut, **errors(400, 401)},
    auth=signed_in,
    summary="Open reports near a point that may be the same problem",
)
def similar_cases(request: HttpRequest, params: Query[SimilarQuery]):
    """Return the open public cases within `radius_m` and `window_days` of the point that are of the
    same category or whose text is alike, most alike first: what the report page offers to join
    before sending ("add mine" is `POST /cases/{number}/follow`). Public summaries only: no names,
    no phones, the point to about 100 m. Your own reports are left out."""
    return similar_out(request, params)


def similar_out(request: HttpRequest, params: SimilarQuery) -> dict:
    try:
        lon, lat = to_wgs84(params.lon, params.lat, params.crs)
    except GeometryError as exc:
        raise ApplicationError(str(exc), code="invalid", extra={"fields": {"crs": str(exc)}}) from exc
    category = category_list.eligible(params.category) if params.category else None
    if params.category and category is None:
        message = _("There is no category “%(code)s” to report under.") % {"code": params.category[:10]}
        raise ApplicationError(message, code="invalid", extra={"fields": {"category": message}})
    found = duplicates.similar(
        lon,
        lat,
        category,
        params.text,
        now=timezone.now(),
        limit=params.limit,
        exclude_reporter_id=request.user.pk,
    )
    return {
        "radius_m": duplicates.default_radius_m(),
        "window_days": duplicates.default_window_days(),
        "items": [
            {
                "tracking_number": s.summary.tracking_number,
                "state_label": s.summary.state_label,
                "category": s.summary.category.name,
                "category_code": s.summary.category.code,
                "description": s.summary.description,
                "address": s.summary.address,
                "lon": s.summary.lon,
                "lat": s.summary.lat,
                "created_at": s.summary.created_at,
                "distance_m": s.distance_m,
                "same_category": s.same_category,
                "text_score": s.text_score,
                "photo_url": api_output.absolute(request, s.summary.photo_url) if s.summary.photo_url else "",
                "status_url": api_output.absolute(
                    request, api_output.case_path("cases:public_status_number", s.summary.tracking_number)
                ),
            }
            for s in found
        ],
    }


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
    return api_output.detail_out(presenters.case_view(user=request.user, tracking_number=number))


@router.post(
    "/{number}/actions/{action}",
    response={200: CaseDetailOut, 204: None, **errors(400, 401, 403, 404, 409, 413)},
    auth=signed_in,
    url_name="case_action",
    summary="Apply a workflow action to a case",
    openapi_extra=api_input.request_body(ActionIn),
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
    data, photos = api_input.payload_of(request, lists=("co_agencies",), objects=("appointment",))
    payload: ActionIn = api_input.validate(ActionIn, data)
    refs = api_input.action_refs(payload)
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
    return Status(200, api_output.detail_out(view))


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
    return Status(201, api_output.detail_out(presenters.case_view(user=request.user, tracking_number=number)))


# ---------------------------------------------------------------------------------------------
# Following a case ("add mine" instead of a duplicate report)


@router.post(
    "/{number}/follow",
    response={200: FollowOut, 201: FollowOut, **errors(400, 401, 403, 404, 409, 413)},
    auth=signed_in,
    summary="Follow an open case instead of reporting the same problem again",
)
def case_follow(request: HttpRequest, number: Text):
    """Add yourself to an open public case as a follower: you are told when it is resolved, closed or
    answered, and its handling staff see how many follow it. 201: now following; 200: you already
    did (following twice is one follow). 401: not signed in; 403: refused (e.g. the CSRF check of a
    session); 404: no public case has this number; 409: the case is no longer open, or you reported
    it yourself; 413: the request is too large."""
    case = following.followable_case(user=request.user, tracking_number=number)
    result = following.case_follow(case=case, user=request.user, source=CaseFollower.Source.API)
    return Status(
        201 if result.created else 200,
        {
            "tracking_number": case.tracking_number,
            "created": result.created,
            "status_url": api_output.absolute(
                request, api_output.case_path("cases:public_status_number", case.tracking_number)
            ),
        },
    )
