"""One case: its page with the record and the actions open now, acting on it, its photos; notifications."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from civicgrid.cases import access, notices, presenters, selectors, services
from civicgrid.cases.forms import ActionForm, NoticePreferenceForm
from civicgrid.cases.models import CasePhoto, NoticePreference, Notification
from civicgrid.cases.workflow import Transition, transition
from civicgrid.core.errors import ApplicationError, Conflict, NotFound
from civicgrid.lib import keyset
from civicgrid.places import display
from civicgrid.places.models import Boundary

NOTIFICATIONS_PAGE_SIZE = 30


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


def _geo(view: presenters.CaseView) -> dict[str, Any]:
    outline = None
    if view.case.grid_id:
        boundary = Boundary.objects.filter(place_id=view.case.grid_id, valid_to__isnull=True).first()
        if boundary is not None:
            outline = {"type": "Feature", "geometry": display.geometry(boundary.geometry), "properties": {}}
    lon, lat = display.point(view.lon, view.lat)
    return {"point": [lat, lon], "outline": outline}


def _render_detail(
    request: HttpRequest,
    view: presenters.CaseView,
    *,
    bound: ActionForm | None = None,
    notice: str = "",
    status: int = 200,
) -> HttpResponse:
    """Render the case as the presenter built it for this user, with a form per open action."""
    case = view.case
    panels = []
    for t in _in_page_order(view.actions):
        if bound is not None and bound.transition.action == t.action:
            form = bound
        else:
            form = ActionForm(transition=t, case=case, user=request.user)
        # `?do=<action>` opens that action's form (the home page's "rate it" lands on the rating form).
        wanted = bound is None and request.GET.get("do") == t.action
        panels.append({"t": t, "form": form, "open": form is bound or wanted})
    if panels and panels[0]["t"].action in FORWARD_ACTIONS:
        panels[0]["primary"] = True
    placeable = any(t.action == "assign_grid" for t in view.actions) and access.can_place(request.user, case)
    context = {
        "view": view,
        "case": case,
        "panels": panels,
        # An unrouted case its viewer may place: the placing page (register or map, `cases.placing`).
        "place_url": reverse("cases:place", args=[case.tracking_number]) if placeable else "",
        "geo": _geo(view),
        "notice": notice,
        **display.tiles(),
    }
    return render(request, "cases/detail.html", context, status=status)


def _view_or_404(user, number: str) -> presenters.CaseView:
    try:
        return presenters.case_view(user=user, tracking_number=number)
    except NotFound as exc:
        raise Http404(exc.message)


@login_required
@require_GET
def detail(request: HttpRequest, number: str) -> HttpResponse:
    """Show a case: what it is, where, its photos and record, and only the actions open to this user.

    A case outside the user's area is "not found", so its existence is not disclosed.
    """
    return _render_detail(request, _view_or_404(request.user, number))


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
    as_json = "application/json" in request.headers.get("Accept", "")
    try:
        case = selectors.case_get_for_user(user=user, tracking_number=number)
    except NotFound as exc:
        if as_json:
            return JsonResponse({"message": exc.message, "code": "not_found"}, status=404)
        raise Http404(exc.message)
    stale = _("Someone else acted on this case first. This is its current state; check it before acting.")
    posted_version = request.POST.get(f"{action}-version", "")
    key = (request.POST.get(f"{action}-key") or "").strip()
    if key and services.action_recorded(case=case, actor=user, key=key):
        # The phone's outbox sent a step again that was recorded the first time: nothing to do.
        return _acted(request, case, None, as_json)
    t = transition(case.state, action)
    if posted_version != str(case.version) or t is None:
        if as_json:
            return JsonResponse({"message": stale, "code": "conflict"}, status=409)
        return _render_detail(request, _view_or_404(user, number), notice=stale, status=409)
    form = ActionForm(request.POST, request.FILES, transition=t, case=case, user=user)
    if form.is_valid():
        try:
            updated = services.case_act(case=case, action=action, actor=user, **form.service_kwargs())
        except Conflict as exc:
            if as_json:
                return JsonResponse({"message": exc.message, "code": exc.code}, status=409)
            return _render_detail(request, _view_or_404(user, number), notice=exc.message, status=409)
        except ApplicationError as exc:
            if exc.status == 403:
                raise
            form.add_service_error(exc)
        else:
            return _acted(request, updated, t, as_json)
    if as_json:
        fields = {name: str(errors[0]) for name, errors in form.errors.items() if errors}
        return JsonResponse(
            {"message": _("Please correct the marked fields."), "code": "invalid", "fields": fields},
            status=400,
        )
    view = _view_or_404(user, number)
    if not any(a.action == action for a in view.actions):
        return _render_detail(request, view, notice=stale, status=409)
    return _render_detail(request, view, bound=form, status=400)


def _acted(request: HttpRequest, case, t: Transition | None, as_json: bool) -> HttpResponse:
    """Answer a step recorded (now, or the first time it was sent): back to the case page with a
    success message, or home when the user no longer sees the case; JSON for the phone's outbox."""
    case.refresh_from_db()
    text = (
        _("%(action)s: done. The case is now “%(state)s”.")
        % {"action": t.label, "state": case.get_state_display()}
        if t is not None
        else _("This step was already recorded. The case is now “%(state)s”.")
        % {"state": case.get_state_display()}
    )
    url = case.get_absolute_url() if access.can_view(request.user, case) else reverse("site:home")
    # The page the person goes to next says it, unless the outbox sent the step in the background.
    if "X-Outbox" not in request.headers:
        messages.success(request, text)
    if as_json:
        return JsonResponse({"message": text, "url": url, "tracking_number": case.tracking_number})
    return redirect(url)


# ---------------------------------------------------------------------------------------------
# Photos


@require_GET
def photo(request: HttpRequest, number: str, photo_id: int, size: str) -> HttpResponse:
    """Serve a case photo or its thumbnail to someone who may see it; never from a public URL.

    Who may open which photo at which size is the presenter's rule (`presenters.photo_shown`), the
    one the case page, the API and the public status page list photos by: the staff of the case
    every photo, its reporter the report and result photos, anyone the thumbnails of those of a
    public case. Everything else is "not found", so a photo's existence is not disclosed.
    """
    if size not in ("full", "thumb"):
        raise Http404()
    record = (
        CasePhoto.objects.select_related("case__district", "event")
        .filter(pk=photo_id, case__tracking_number=number)
        .first()
    )
    if record is None:
        raise Http404()
    seen_as = access.audience(request.user, record.case)
    if size not in presenters.photo_shown(seen_as, record, record.event):
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
    """List the user's notifications, newest first, by keyset pages; open one (marking it read) or mark
    all read. Reads only the page's rows of the reader's index and counts the unread up to a cap."""
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
        if notice.case is None:
            # A digest sums up many cases: they are on this page.
            return redirect("cases:notifications")
        if not access.can_view(user, notice.case):
            # A follower of someone else's public report: its public status page, which they may read.
            return redirect("cases:public_status_number", number=notice.case.tracking_number)
        return redirect(notice.case.get_absolute_url())
    preference = selectors.notice_preference_for(user)
    form = NoticePreferenceForm(initial=NoticePreferenceForm.initial_for(preference))
    return _notifications_page(request, form=form, preference=preference)


def _notifications_page(
    request: HttpRequest, *, form: NoticePreferenceForm, preference: NoticePreference, status: int = 200
) -> HttpResponse:
    user = request.user
    cursor = request.GET.get("cursor", "")
    # The page's rows with their case, category and places joined (`selectors.notifications_page`'s
    # keyset on the same index): what and where each says, without a query per case.
    rows = selectors.notifications_for(user=user).select_related(*notices.RELATED)
    try:
        page = keyset.page_after(rows, selectors.NOTIFICATION_ORDER, cursor, NOTIFICATIONS_PAGE_SIZE)
    except keyset.InvalidCursor:
        cursor = ""
        page = keyset.page_after(rows, selectors.NOTIFICATION_ORDER, "", NOTIFICATIONS_PAGE_SIZE)
    shown = notices.sections(page.items, now=timezone.now(), reader_id=user.pk)
    return render(
        request,
        "cases/notifications.html",
        {
            "items": page.items,
            "todo": shown.todo,
            "info": shown.info,
            "pager": {"next_cursor": page.next_cursor, "is_first": not cursor},
            "unread": selectors.unread_total(user),
            "preference": preference,
            "preference_form": form,
        },
        status=status,
    )


@login_required
@require_POST
def notice_preference(request: HttpRequest) -> HttpResponse:
    """Store how the signed-in person wants to be told (their own choice only); a refused choice
    shows the notifications page again with the error next to the field."""
    form = NoticePreferenceForm(request.POST)
    if form.is_valid():
        try:
            services.notice_preference_set(
                user=request.user, language=translation.get_language() or "", **form.service_kwargs()
            )
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Your notification settings are saved."))
            return redirect("cases:notifications")
    preference = selectors.notice_preference_for(request.user)
    return _notifications_page(request, form=form, preference=preference, status=400)
