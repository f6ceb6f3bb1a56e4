"""Pages of residents, mobile grid members and the public: report, my reports, my record, public status."""

from __future__ import annotations

from typing import Any

import shapely
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import Max, Min
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from shapely.geometry import mapping, shape

from civicgrid.cases import access, presenters, selectors, services
from civicgrid.cases import categories as category_list
from civicgrid.cases.forms import ReportForm
from civicgrid.cases.models import Case, CaseFollower
from civicgrid.cases.selectors import CaseFilters
from civicgrid.cases.services import following
from civicgrid.core.errors import ApplicationError, NotFound, PermissionDenied
from civicgrid.places import display
from civicgrid.places.access import home_places
from civicgrid.places.models import Boundary, Place

PAGE_SIZE = 20
# The tracking numbers a browser session filed, so only the reporter sees the "received" page.
SESSION_REPORTED = "cases_reported"
SESSION_REPORTED_KEEP = 20
# The tracking numbers a browser session joined as a follower ("add mine"), for the "followed" page.
SESSION_FOLLOWED = "cases_followed"
# The report map draws at most this many outlines, simplified to about 5 m: a phone downloads it.
OUTLINE_LIMIT = 80
OUTLINE_TOLERANCE_DEG = 0.00005
TRACKING_NUMBER_MAX = 20


def _page(request: HttpRequest, items: Any) -> Page:
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))


# ---------------------------------------------------------------------------------------------
# Snap-and-report


def _feature(boundary: Boundary) -> dict[str, Any]:
    geometry = shape(boundary.geometry).simplify(OUTLINE_TOLERANCE_DEG, preserve_topology=True)
    place = boundary.place
    return {
        "type": "Feature",
        "geometry": display.geometry(mapping(shapely.set_precision(geometry, 1e-6))),
        "properties": {"name": place.display_name, "code": place.code},
    }


def _report_map(user) -> dict[str, Any]:
    """Return the outlines drawn under the pin and the area to show first, as drawn on the tiles.

    A signed-in person sees the grids of their own village or town; anyone else, and district or
    city staff, the towns (or, in a deployment whose towns have no boundary, the first grids). The
    view starts on those outlines, else on the extent of every grid. On GCJ-02 tiles both are
    shifted (`places.display`), so the page's "which grid is the pin in" compares like with like.
    """
    current = Boundary.objects.filter(valid_to__isnull=True).select_related("place")
    homes = home_places(user) if user is not None else []
    local = [p for p in homes if p.level in (Place.Level.TOWN, Place.Level.VILLAGE, Place.Level.GRID)]
    boundaries: list[Boundary] = []
    if local:
        home = local[-1]
        prefix = home.code[:12] if home.level == Place.Level.GRID else home.scope_prefix
        boundaries = list(
            current.filter(place__level=Place.Level.GRID, place__code__startswith=prefix).order_by(
                "place__code"
            )[:OUTLINE_LIMIT]
        )
    if not boundaries:
        boundaries = list(
            current.filter(place__level=Place.Level.TOWN).order_by("place__code")[:OUTLINE_LIMIT]
        )
    if not boundaries:
        boundaries = list(
            current.filter(place__level=Place.Level.GRID).order_by("place__code")[:OUTLINE_LIMIT]
        )
    extent = None
    if not boundaries:
        box = current.aggregate(Min("min_lon"), Min("min_lat"), Max("max_lon"), Max("max_lat"))
        if box["min_lon__min"] is not None:
            west, south, east, north = display.bbox(
                (box["min_lon__min"], box["min_lat__min"], box["max_lon__max"], box["max_lat__max"])
            )
            extent = [[south, west], [north, east]]
    return {"outlines": [_feature(b) for b in boundaries], "extent": extent}


def _remember_report(request: HttpRequest, number: str) -> None:
    numbers = [n for n in request.session.get(SESSION_REPORTED, []) if n != number]
    request.session[SESSION_REPORTED] = [*numbers, number][-SESSION_REPORTED_KEEP:]


@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    """Snap and report: photos, the place on a map, a category, a description; anyone may report.

    1. Each rendering carries a fresh idempotency key, so a double tap or a retried POST returns the
       case the first submission made.
    2. `services.case_create` checks everything; its field errors come back next to the fields and
       what was typed is kept (files cannot be: the page says so). The point comes in the map's
       system (`crs`: GCJ-02 on AMap or Tencent tiles), and intake converts it to WGS-84.
    3. On success the browser goes to the "received" page of the tracking number, which only the
       session that filed it can open.
    """
    user = request.user if request.user.is_authenticated else None
    done = (request.GET.get("done") or "").strip()[:TRACKING_NUMBER_MAX]
    if done:
        return _report_done(request, done)
    followed = (request.GET.get("followed") or "").strip()[:TRACKING_NUMBER_MAX]
    if followed:
        return _report_followed(request, followed)
    if request.method == "POST" and "follow" in request.POST:
        return _report_follow(request, user)
    categories = selectors.categories_for_point()
    status = 200
    files_dropped = False
    as_json = _wants_json(request)
    if request.method == "POST":
        form = ReportForm(request.POST, request.FILES)
        if form.is_valid():
            d = form.cleaned_data
            is_mobile = access.is_mobile_grid_member(user)
            try:
                intake = services.case_create(
                    reporter=user,
                    source=Case.Source.MOBILE if is_mobile else Case.Source.RESIDENT,
                    category=d["category"],
                    description=d["description"],
                    lon=d["lon"],
                    lat=d["lat"],
                    crs=d["crs"],
                    address=d["address"],
                    photos=d["photos"],
                    reporter_phone=d["reporter_phone"],
                    is_public=d["is_public"],
                    idempotency_key=d["idempotency_key"],
                    client=request.META.get("REMOTE_ADDR", ""),
                    answers=form.answers(),
                )
            except ApplicationError as exc:
                if as_json:
                    form.add_service_error(exc)
                    return _form_errors_json(form, exc)
                if exc.code == "idempotency_key_reused":
                    # This rendering of the form was sent before with other details (the back button,
                    # then edits): say so, and let the next send file a new report.
                    form.add_error(
                        None,
                        _(
                            "This form was already sent with other details. Check them and send again: it will be filed as a new report."
                        ),
                    )
                    form.data = form.data.copy()
                    form.data["idempotency_key"] = ReportForm.new_key()
                else:
                    form.add_service_error(exc)
            else:
                _remember_report(request, intake.case.tracking_number)
                done_url = f"{reverse('cases:report')}?done={intake.case.tracking_number}"
                if as_json:
                    return JsonResponse(
                        {
                            "tracking_number": intake.case.tracking_number,
                            "created": intake.created,
                            "url": done_url,
                        },
                        status=201 if intake.created else 200,
                    )
                return redirect(done_url)
        if as_json:
            return _form_errors_json(form)
        status = 400
        files_dropped = bool(request.FILES)
    else:
        # The point is picked on the tiles, so it is sent in their system.
        form = ReportForm(initial={"idempotency_key": ReportForm.new_key(), "crs": display.crs()})
    selected = form["category"].value() or ""
    chosen = category_list.eligible(selected) if selected else None
    context = {
        "form": form,
        "groups": category_list.groups(categories),
        "quick": category_list.quick(categories),
        "selected_category": selected,
        "selected_needs_photo": bool(chosen and chosen.photo_required),
        "files_dropped": files_dropped,
        "is_mobile_member": access.is_mobile_grid_member(user),
        "report_map": _report_map(user),
        **display.tiles(),
        "photo_max_count": settings.CASE_PHOTO_MAX_COUNT,
        "category_config": _category_config(categories, form),
        # The "similar reports nearby" step asks the API before sending (signed-in reporters only:
        # joining a case makes them its follower). Without JavaScript the step is skipped.
        "similar_url": reverse("api:similar_cases") if user is not None else "",
    }
    return render(request, "cases/report.html", context, status=status)


def _wants_json(request: HttpRequest) -> bool:
    """True when the page's script sends the form (report.js, the phone's outbox): it reads JSON back."""
    return "application/json" in request.headers.get("Accept", "")


def _form_errors_json(form: ReportForm, exc: ApplicationError | None = None) -> JsonResponse:
    """Return a refused report as the script reads it: the message, and each field's first error by the
    field's name (`answers.CODE` for an answer), so the page marks them where they were typed and the
    photos stay chosen. A refusal that is not about the input (rate limit, permission) keeps its status."""
    fields = {name: str(errors[0]) for name, errors in form.errors.items() if errors}
    fields.update({f"answers.{code}": message for code, message in form.answer_errors.items()})
    message = (
        exc.message
        if exc is not None and exc.code != "invalid"
        else _("Please correct the marked fields. What you typed is kept.")
    )
    status = exc.status if exc is not None and exc.status != 400 else 400
    code = exc.code if exc is not None else "invalid"
    return JsonResponse({"message": str(message), "code": code, "fields": fields}, status=status)


def _category_config(categories: list, form: ReportForm) -> dict[str, Any]:
    """Return what the page's script needs to check a report before it is sent and to ask each
    category's questions: per category whether a photo and a description are required and its
    suggested phrases (`rules`), the questions of every category that has some, what was typed and
    the service's refusal of each answer, by code. The rules are the categories' own fields, which
    `services.case_create` enforces; the page only asks before sending, so nothing is lost."""
    return {
        "rules": {
            c.code: {
                "photo": c.photo_required,
                "describe": c.description_required,
                "phrases": c.display_phrases,
            }
            for c in categories
        },
        "categories": {
            c.code: [q.as_json() for q in asked] for c in categories if (asked := category_list.questions(c))
        },
        "values": form.answers(),
        "errors": form.answer_errors,
    }


def _report_follow(request: HttpRequest, user) -> HttpResponse:
    """ "Add mine": make the signed-in reporter a follower of the case chosen, file no new case.

    The page's "similar reports nearby" step posts `follow` (a tracking number) here instead of the
    report; on success the browser goes to the "followed" page of that case.
    """
    if user is None:
        return redirect(f"{reverse('accounts:login')}?next={reverse('cases:report')}")
    number = (request.POST.get("follow") or "").strip()[:TRACKING_NUMBER_MAX]
    try:
        case = following.followable_case(user=user, tracking_number=number)
        following.case_follow(case=case, user=user, source=CaseFollower.Source.REPORT_PAGE)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("cases:report")
    numbers = [n for n in request.session.get(SESSION_FOLLOWED, []) if n != case.tracking_number]
    request.session[SESSION_FOLLOWED] = [*numbers, case.tracking_number][-SESSION_REPORTED_KEEP:]
    return redirect(f"{reverse('cases:report')}?followed={case.tracking_number}")


def _report_followed(request: HttpRequest, number: str) -> HttpResponse:
    if number not in request.session.get(SESSION_FOLLOWED, []):
        return redirect("cases:report")
    case = Case.objects.select_related("category").filter(tracking_number=number).first()
    if case is None:
        return redirect("cases:report")
    return render(request, "cases/report_followed.html", {"case": case})


def _report_done(request: HttpRequest, number: str) -> HttpResponse:
    if number not in request.session.get(SESSION_REPORTED, []):
        return redirect("cases:report")
    case = Case.objects.select_related("category").filter(tracking_number=number).first()
    if case is None:
        return redirect("cases:report")
    return render(request, "cases/report_done.html", {"case": case})


@require_GET
def outbox(request: HttpRequest) -> HttpResponse:
    """List what waits on this phone to be sent, what was sent and what was not accepted.

    The list lives on the phone (outbox.js keeps it in the browser's storage), so the page is the same
    for everyone and its script fills it; anyone may open it, as anyone may report.
    """
    return render(request, "cases/outbox.html")


# ---------------------------------------------------------------------------------------------
# My reports and a mobile grid member's record


@login_required
@require_GET
def my_reports(request: HttpRequest) -> HttpResponse:
    """List the cases the signed-in person reported, newest first."""
    cases = selectors.case_list(user=request.user, filters=CaseFilters(mine=True)).order_by(
        "-created_at", "-id"
    )
    page_obj = _page(request, cases)
    return render(request, "cases/mine.html", {"page_obj": page_obj, "cases": page_obj.object_list})


@login_required
@require_GET
def mobile_record(request: HttpRequest) -> HttpResponse:
    """Show a mobile grid member's record (leads reported, accepted, hazards confirmed) and reports."""
    if not access.is_mobile_grid_member(request.user):
        raise PermissionDenied(_("This page is for mobile grid members."))
    record = selectors.mobile_member_record(user=request.user)
    cases = selectors.case_list(user=request.user, filters=CaseFilters(mine=True)).order_by(
        "-created_at", "-id"
    )
    page_obj = _page(request, cases)
    return render(
        request,
        "cases/mobile_record.html",
        {"record": record, "page_obj": page_obj, "cases": page_obj.object_list},
    )


# ---------------------------------------------------------------------------------------------
# Public status


@require_GET
def public_status(request: HttpRequest, number: str = "") -> HttpResponse:
    """Show where a public case stands, to anyone with its tracking number; no personal data at all.

    `?number=` from the lookup box redirects to the case's own address, which can be shared.
    """
    query = (request.GET.get("number") or "").strip()[:TRACKING_NUMBER_MAX]
    if query and not number:
        return redirect("cases:public_status_number", number=query)
    number = (number or "").strip()[:TRACKING_NUMBER_MAX]
    context: dict[str, Any] = {"number": number, "public": None, "not_found": False}
    status = 200
    if number:
        try:
            view = presenters.public_case_view(tracking_number=number)
        except NotFound as exc:
            context["not_found"] = True
            context["not_found_message"] = exc.message
            status = 404
        else:
            # The presenter decides what shows (public steps and replies, report and result
            # thumbnails, the point to about 100 m); the page lays it out.
            context["public"] = view
            lon, lat = display.point(view.lon, view.lat)
            context["status_geo"] = {
                "point": [lat, lon],
                # The point is rounded to 3 decimals; the circle says "about here", not "this house".
                "radius_m": 120,
            }
            context.update(display.tiles())
    return render(request, "cases/public_status.html", context, status=status)
