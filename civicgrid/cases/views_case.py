"""One case: its page with the record and the actions open now, acting on it, its photos; notifications."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from civicgrid.accounts.models import Agency
from civicgrid.cases import access, notices, selectors, services
from civicgrid.cases.forms import ActionForm
from civicgrid.cases.models import Case, CaseEvent, CasePhoto, Notification, Satisfaction
from civicgrid.cases.selectors import CaseDetail
from civicgrid.cases.workflow import Transition, action_label, transition
from civicgrid.core.errors import ApplicationError, Conflict, NotFound
from civicgrid.core.roles import STAFF_ROLES
from civicgrid.core.scopes import has_role
from civicgrid.places.models import Boundary

NOTIFICATIONS_PAGE_SIZE = 30

# Who acted, as the record names it (CaseEvent.actor_role: an actor kind of workflow.py, or the
# source of the report for its first event).
ROLE_LABELS = {
    "grid": gettext_lazy("Grid worker"),
    "village": gettext_lazy("Village / community cadre"),
    "town": gettext_lazy("Town command-centre operator"),
    "agency": gettext_lazy("Agency staff"),
    "reporter": gettext_lazy("Reporter"),
    "follow_up": gettext_lazy("Follow-up call"),
    "viewer": "",
    "system": gettext_lazy("System"),
    **{value: label for value, label in Case.Source.choices},
}


# The action that moves a case on at its step, offered first and as the main button; the rest
# follow in the table's order, a comment last.
FORWARD_ACTIONS = (
    "accept",
    "handle_in_grid",
    "handle_in_village",
    "escalate_to_town",
    "dispatch",
    "sign",
    "resolve",
    "pass_check",
    "rate",
    "approve_request",
    "resume",
    "assign_grid",
)


def _in_page_order(actions: list[Transition]) -> list[Transition]:
    def rank(t: Transition) -> tuple[int, int]:
        if t.action == "comment":
            return (2, 0)
        if t.action in FORWARD_ACTIONS and not t.danger:
            return (0, FORWARD_ACTIONS.index(t.action))
        return (1, 0)

    return sorted(actions, key=rank)


def state_label(value: str) -> str:
    """Return the label of a case state value ("" for none or an unknown one)."""
    return str(Case.State(value).label) if value in Case.State.values else ""


def _is_staff_viewer(user) -> bool:
    """Return whether the record shows this viewer who acted (staff do; a reporter sees roles only)."""
    return bool(user.is_superuser or has_role(user, *STAFF_ROLES))


def _local(value: str | None) -> str:
    """Return an ISO time from an event's data as local "Y-m-d H:i" ("" when unreadable)."""
    moment = parse_datetime(value) if value else None
    if moment is None:
        return ""
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _event_details(event: CaseEvent, agencies: dict[int, Agency]) -> list[tuple[str, Any]]:
    """Return the facts an event carries in its data, as (label, value) pairs for the record."""
    data = event.data or {}
    rows: list[tuple[str, Any]] = []
    if event.action in ("dispatch", "redispatch") and data.get("agency") in agencies:
        rows.append((_("Lead agency"), agencies[data["agency"]]))
        co = [str(agencies[pk]) for pk in data.get("co_agencies", []) if pk in agencies]
        if co:
            rows.append((_("Co-handling agencies"), "、".join(co)))
    if event.action == "return_dispatch" and data.get("agency") in agencies:
        rows.append((_("Returned by"), agencies[data["agency"]]))
    if event.action == "assign_grid" and data.get("grid"):
        rows.append((_("Grid"), data["grid"]))
    if data.get("until"):
        rows.append((_("Until"), _local(data["until"])))
    if event.action == "approve_request" and data.get("request") in Case.Request.values:
        rows.append((_("Request"), Case.Request(data["request"]).label))
    if event.action in ("rate", "auto_close") and data.get("satisfaction") in Satisfaction.values:
        rows.append((_("Solved"), _("Yes") if data.get("solved") else _("No")))
        rows.append((_("Satisfaction"), Satisfaction(data["satisfaction"]).label))
        if data.get("reopened"):
            rows.append((_("Result"), _("Reopened for another try")))
    if event.action == "overdue" and data.get("due"):
        rows.append((_("Deadline was"), _local(data["due"])))
    if event.action == "report" and data.get("routed") is False:
        rows.append((_("Location"), _("Outside every grid: kept for the nearest region")))
    return rows


def _timeline(data: CaseDetail, show_actors: bool) -> list[dict[str, Any]]:
    events = data.events if show_actors else [e for e in data.events if e.is_public]
    agency_ids: set[int] = set()
    for e in events:
        if isinstance(e.data, dict):
            if isinstance(e.data.get("agency"), int):
                agency_ids.add(e.data["agency"])
            agency_ids.update(pk for pk in e.data.get("co_agencies", []) if isinstance(pk, int))
    agencies = Agency.objects.in_bulk(agency_ids) if agency_ids else {}
    appointments: dict[int, list] = {}
    for a in data.appointments:
        appointments.setdefault(a.event_id, []).append(a)
    rows = []
    for e in reversed(events):
        rows.append(
            {
                "event": e,
                "at": e.at,
                "label": action_label(e.action),
                "state_label": state_label(e.to_state) if e.to_state != e.from_state else "",
                "note": e.note,
                "is_public": e.is_public,
                "role": ROLE_LABELS.get(e.actor_role, ""),
                "actor": str(e.actor) if show_actors and e.actor_id else "",
                "details": _event_details(e, agencies),
                "photos": list(e.photos.all()),
                "appointments": appointments.get(e.pk, []),
                "merged_into": (e.data or {}).get("merged_into", "") if e.action == "merge" else "",
            }
        )
    return rows


def _geo(case: Case) -> dict[str, Any]:
    outline = None
    if case.grid_id:
        boundary = Boundary.objects.filter(place_id=case.grid_id, valid_to__isnull=True).first()
        if boundary is not None:
            outline = {"type": "Feature", "geometry": boundary.geometry, "properties": {}}
    return {"point": [case.lat, case.lon], "outline": outline}


def _render_detail(
    request: HttpRequest,
    data: CaseDetail,
    *,
    bound: ActionForm | None = None,
    notice: str = "",
    status: int = 200,
) -> HttpResponse:
    case = data.case
    user = request.user
    show_actors = _is_staff_viewer(user)
    panels = []
    for t in _in_page_order(data.actions):
        if bound is not None and bound.transition.action == t.action:
            form = bound
        else:
            form = ActionForm(transition=t, case=case, user=user)
        panels.append({"t": t, "form": form, "open": form is bound})
    if panels and panels[0]["t"].action in FORWARD_ACTIONS:
        panels[0]["primary"] = True
    context = {
        "case": case,
        "detail": data,
        "panels": panels,
        "timeline": _timeline(data, show_actors),
        "show_actors": show_actors,
        "report_photos": [p for p in data.photos if p.kind == CasePhoto.Kind.REPORT],
        "geo": _geo(case),
        "notice": notice,
        "satisfaction_label": (
            Satisfaction(case.satisfaction).label if case.satisfaction in Satisfaction.values else ""
        ),
        "merged_into": case.merged_into if case.merged_into_id else None,
        "merged_url": _merged_url(user, case),
        "map_tile_url": settings.MAP_TILE_URL,
        "map_tile_attribution": settings.MAP_TILE_ATTRIBUTION,
    }
    return render(request, "cases/detail.html", context, status=status)


def _merged_url(user, case: Case) -> str:
    """Return where "merged into X" leads: X's page for those who may see it, else its public status."""
    if not case.merged_into_id:
        return ""
    other = case.merged_into
    if access.can_view(user, other):
        return other.get_absolute_url()
    return reverse("cases:public_status_number", args=[other.tracking_number])


def _detail_or_404(user, number: str) -> CaseDetail:
    try:
        return selectors.case_detail(user=user, tracking_number=number)
    except NotFound as exc:
        raise Http404(exc.message)


@login_required
@require_GET
def detail(request: HttpRequest, number: str) -> HttpResponse:
    """Show a case: what it is, where, its photos and record, and only the actions open to this user.

    A case outside the user's area is "not found", so its existence is not disclosed.
    """
    return _render_detail(request, _detail_or_404(request.user, number))


@login_required
@require_POST
def act(request: HttpRequest, number: str, action: str) -> HttpResponse:
    """Apply one workflow action from the case page.

    1. Re-read the case; if its version moved since the form was rendered, someone else acted
       first: show the current state with a clear message (409), write nothing.
    2. Check the form; `services.case_act` checks the rest (its conflict is a 409 too).
    3. Back to the case page with a success message (or home, when the user no longer sees it).
    """
    user = request.user
    try:
        case = selectors.case_get_for_user(user=user, tracking_number=number)
    except NotFound as exc:
        raise Http404(exc.message)
    stale = _("Someone else acted on this case first. This is its current state; check it before acting.")
    posted_version = request.POST.get(f"{action}-version", "")
    t = transition(case.state, action)
    if posted_version != str(case.version) or t is None:
        return _render_detail(request, _detail_or_404(user, number), notice=stale, status=409)
    form = ActionForm(request.POST, request.FILES, transition=t, case=case, user=user)
    if form.is_valid():
        try:
            updated = services.case_act(case=case, action=action, actor=user, **form.service_kwargs())
        except Conflict as exc:
            return _render_detail(request, _detail_or_404(user, number), notice=exc.message, status=409)
        except ApplicationError as exc:
            if exc.status == 403:
                raise
            form.add_service_error(exc)
        else:
            messages.success(
                request,
                _("%(action)s: done. The case is now “%(state)s”.")
                % {"action": t.label, "state": updated.get_state_display()},
            )
            if access.can_view(user, updated):
                return redirect(updated.get_absolute_url())
            return redirect("site:home")
    data = _detail_or_404(user, number)
    if not any(a.action == action for a in data.actions):
        return _render_detail(request, data, notice=stale, status=409)
    return _render_detail(request, data, bound=form, status=400)


# ---------------------------------------------------------------------------------------------
# Photos


@require_GET
def photo(request: HttpRequest, number: str, photo_id: int, size: str) -> HttpResponse:
    """Serve a case photo or its thumbnail to someone who may see it; never from a public URL.

    Staff of the case's area, its agencies and its reporter see every photo in both sizes. Anyone
    else sees only the thumbnails of the report and result photos of a public case: the public
    status page shows them (the reporter agreed by leaving "public" ticked), and at thumbnail size
    faces and number plates are hard to read. Check photos from the grid worker's visit stay
    internal. Everything else is "not found", so a photo's existence is not disclosed.
    """
    if size not in ("full", "thumb"):
        raise Http404()
    record = (
        CasePhoto.objects.select_related("case__district")
        .filter(pk=photo_id, case__tracking_number=number)
        .first()
    )
    if record is None:
        raise Http404()
    case = record.case
    public = (
        size == "thumb" and case.is_public and record.kind in (CasePhoto.Kind.REPORT, CasePhoto.Kind.RESULT)
    )
    if not public and not access.can_view(request.user, case):
        raise Http404()
    field = record.image if size == "full" else record.thumbnail
    try:
        handle = field.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404()
    content_type = record.content_type if size == "full" else "image/jpeg"
    response = FileResponse(handle, content_type=content_type)
    # Private: a shared cache must never hand a photo of a private case to someone else.
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Disposition"] = "inline"
    return response


# ---------------------------------------------------------------------------------------------
# Notifications


@login_required
@require_http_methods(["GET", "POST"])
def notifications(request: HttpRequest) -> HttpResponse:
    """List the user's notifications, newest first; open one (marking it read) or mark all read."""
    user = request.user
    if request.method == "POST":
        count = services.notifications_mark_read(user=user)
        if count:
            messages.success(request, _("All notifications are marked read."))
        return redirect("cases:notifications")
    read_id = request.GET.get("read", "")
    if read_id:
        if not read_id.isdigit():
            raise Http404()
        notice = Notification.objects.select_related("case").filter(user=user, pk=int(read_id)).first()
        if notice is None:
            raise Http404()
        services.notifications_mark_read(user=user, ids=[notice.pk])
        return redirect(notice.case.get_absolute_url())
    items = selectors.notifications_for(user=user)
    page_obj = Paginator(items, NOTIFICATIONS_PAGE_SIZE).get_page(request.GET.get("page"))
    for notice in page_obj.object_list:
        notice.shown_text = notices.text_of(notice)
    unread = selectors.unread_count(user)
    return render(
        request,
        "cases/notifications.html",
        {"page_obj": page_obj, "items": page_obj.object_list, "unread": unread},
    )
