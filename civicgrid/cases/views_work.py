"""The staff work lists: the grid worker's queue, the command centres, the map, the agency inbox.

Every list comes from `selectors.case_list` (through `selectors_work`), so it only ever narrows the
user's scope; batch dispatch applies `services.case_act` to each case on its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import NoReturn

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.formats import number_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from civicgrid.accounts.models import Agency
from civicgrid.cases import access as case_access
from civicgrid.cases import exports, selectors, selectors_map, selectors_work, services
from civicgrid.cases.forms_work import (
    BatchDispatchForm,
    CaseFilterForm,
    MapViewportForm,
    SearchForm,
    agency_label,
)
from civicgrid.cases.models import Case
from civicgrid.cases.selectors import CaseFilters
from civicgrid.cases.views_common import strip_context, work_links
from civicgrid.cases.workflow import STATES
from civicgrid.core.errors import ApplicationError, PermissionDenied
from civicgrid.core.htmx import is_htmx_partial
from civicgrid.lib import keyset
from civicgrid.places import display
from civicgrid.places.access import home_places

S = Case.State
PAGE_SIZE = 20
CENTRE_PAGE_SIZE = 25


# Per queue: the empty state's title and text.
QUEUE_EMPTY = {
    "verify": (gettext_lazy("Nothing to verify"), gettext_lazy("New reports in your grid appear here.")),
    "decide": (
        gettext_lazy("Nothing to handle"),
        gettext_lazy("Accepted cases wait here until you handle them or send them up to the village."),
    ),
    "check": (
        gettext_lazy("Nothing to check"),
        gettext_lazy("Resolved cases come back here for you to check on site."),
    ),
    "village": (gettext_lazy("Nothing at the village"), gettext_lazy("Cases the grids send up appear here.")),
    "dispatch": (
        gettext_lazy("Nothing to dispatch"),
        gettext_lazy("Cases escalated to the town command centre appear here."),
    ),
    "requests": (
        gettext_lazy("No requests to decide"),
        gettext_lazy("Agencies' requests for an extension or a suspension appear here."),
    ),
    "unrouted": (
        gettext_lazy("No unrouted reports"),
        gettext_lazy("Reports from outside every grid land here, to be assigned to a grid."),
    ),
    "sign": (
        gettext_lazy("Nothing to sign for"),
        gettext_lazy("Cases dispatched to your agency appear here."),
    ),
    "in_progress": (gettext_lazy("Nothing in progress"), gettext_lazy("Cases you signed for appear here.")),
    "rate": (
        gettext_lazy("Nothing to rate"),
        gettext_lazy("Resolved cases waiting for a rating appear here."),
    ),
    "co": (
        gettext_lazy("Nothing to co-handle"),
        gettext_lazy("Cases where your agency is a co-handler appear here."),
    ),
    "overdue": (gettext_lazy("Nothing overdue"), gettext_lazy("Well done: every step is on time.")),
}


def _deny() -> NoReturn:
    raise PermissionDenied(
        _(
            "This page is for staff who handle cases: grid workers, village and town command centres "
            "and agencies. Your roles do not include it."
        )
    )


# `?page=N` (links from before cursors) is still read, by OFFSET, up to this page; past it the list
# starts again from the first page.
OLD_PAGE_LIMIT = 10_000


@dataclass(frozen=True)
class Pager:
    """What a list's pager shows: the cursor of the next page ("" on the last), whether this is the first."""

    next_cursor: str
    is_first: bool


def _case_page(request: HttpRequest, user, filters: CaseFilters, size: int) -> tuple[keyset.Page, Pager]:
    """Return the page of a case list the request asks for, by cursor (`?cursor=`) or, for older links,
    by page number; a cursor that is not one of this list's is read as the first page."""
    cursor = request.GET.get("cursor", "")
    offset = _old_offset(request, size) if not cursor else 0
    try:
        page = selectors.case_page(user=user, filters=filters, cursor=cursor, offset=offset, size=size)
    except keyset.InvalidCursor:
        cursor, offset = "", 0
        page = selectors.case_page(user=user, filters=filters, size=size)
    return page, Pager(page.next_cursor, is_first=not cursor and not offset)


def _old_offset(request: HttpRequest, size: int) -> int:
    number = request.GET.get("page", "")
    if number.isdigit() and 1 <= int(number) <= OLD_PAGE_LIMIT:
        return (int(number) - 1) * size
    return 0


def _decorate(cases: Iterable[Case], now: datetime) -> list[Case]:
    """Attach what the lists show about time: age, deadline label and status, time left or passed."""
    rows = []
    for case in cases:
        case.age = timesince(case.created_at, now, depth=1)
        # Under a minute, timesince says "0 minutes": say "just now" instead.
        case.reported_when = (
            _("reported just now")
            if (now - case.created_at).total_seconds() < 60
            else _("reported %(age)s ago") % {"age": case.age}
        )
        facts = STATES[case.state]
        case.due_label = facts.due_label
        case.due = selectors_work.due_status(case, now)
        case.due_text = ""
        if case.step_due_at is not None and facts.due_label:
            if case.step_due_at < now:
                case.due_text = _("%(time)s late") % {"time": timesince(case.step_due_at, now, depth=1)}
            else:
                case.due_text = _("in %(time)s") % {"time": timeuntil(case.step_due_at, now, depth=1)}
        rows.append(case)
    return rows


# ---------------------------------------------------------------------------------------------
# The grid worker's queue (a phone, one hand)


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """List the cases of one of the user's queues as cards, the most urgent first.

    The tabs are the user's queues with their counts; without a choice, the first non-empty one.
    """
    user = request.user
    access = selectors_work.work_access(user)
    queues = selectors.queues_once(user)
    if not queues:
        if access.centre:
            return redirect("cases:centre")
        _deny()
    keys = [q.key for q, _count in queues]
    wanted = request.GET.get("queue", "")
    current = wanted if wanted in keys else next((q.key for q, n in queues if n), keys[0])
    search = SearchForm(request.GET)
    text = search.text()
    filters = CaseFilters(queue=current, text=text)
    page, pager = _case_page(request, user, filters, PAGE_SIZE)
    now = timezone.now()
    empty_title, empty_text = QUEUE_EMPTY.get(current, (_("Nothing here"), ""))
    context = {
        "tabs": [
            {"key": q.key, "label": q.label, "count": n, "url": f"{reverse('cases:queue')}?queue={q.key}"}
            for q, n in queues
        ],
        "current": current,
        "current_label": next(q.label for q, _n in queues if q.key == current),
        "search": search,
        "text": text,
        "pager": pager,
        "total": selectors.list_total(user=user, filters=filters),
        "cases": _decorate(page.items, now),
        "empty_title": empty_title,
        "empty_text": empty_text,
        "work_links": work_links(access),
        "work_current": "queue",
    }
    return render(request, "cases/work_queue.html", context)


# ---------------------------------------------------------------------------------------------
# The command centre (village and town; district administrators look on)


def _filter_form(request: HttpRequest, user, queues) -> CaseFilterForm:
    return CaseFilterForm(
        request.GET,
        queues=queues,
        categories=selectors_work.category_choices(),
        regions=selectors_work.region_choices(user=user),
    )


def _centre_filters(request: HttpRequest, user, queues, now: datetime) -> tuple[CaseFilterForm, CaseFilters]:
    """Return the command centre's filter form and the filters of its list (also its export's)."""
    form = _filter_form(request, user, queues)
    filters, options = form.filters()
    filters = selectors_work.work_filters(
        filters, open_only=options.open_only, overdue_only=options.overdue_only, now=now
    )
    return form, filters


def _export_url(request: HttpRequest) -> str:
    """Return the export of the list the request shows: its filters, without its page."""
    query = request.GET.copy()
    for key in ("cursor", "page"):
        query.pop(key, None)
    encoded = query.urlencode()
    return reverse("cases:export") + (f"?{encoded}" if encoded else "")


@login_required
@require_GET
def centre(request: HttpRequest) -> HttpResponse:
    """Show the counts per step and the filtered list of cases; dispatch several at once.

    One view serves the full page and the htmx fragment of its results (the filters ask for the
    fragment as they change; without JavaScript the same URL returns the whole page).
    """
    user = request.user
    access = selectors_work.work_access(user)
    if not access.centre:
        _deny()
    now = timezone.now()
    queues = selectors.queues_once(user)
    form, filters = _centre_filters(request, user, queues, now)
    page, pager = _case_page(request, user, filters, CENTRE_PAGE_SIZE)
    rows = _decorate(page.items, now)
    dispatch_list = filters.queue == "dispatch" or filters.state == S.TOWN
    dispatchable: set[int] = set()
    if access.dispatch and dispatch_list:
        dispatchable = {
            c.pk
            for c in rows
            if any(t.action == "dispatch" for t in services.allowed_actions(case=c, user=user))
        }
    for case in rows:
        case.can_dispatch = case.pk in dispatchable
    dispatch_form = (
        BatchDispatchForm(user=user, initial={"next": request.get_full_path()}) if dispatchable else None
    )
    context = {
        "form": form,
        "pager": pager,
        "total": selectors.list_total(user=user, filters=filters),
        "cases": rows,
        "dispatch_form": dispatch_form,
        "dispatch_list": dispatch_list,
        "hx_target": "#centre-results",
        "export_url": _export_url(request),
        "hotline_import": case_access.can_import_hotline(user),
    }
    if is_htmx_partial(request):
        response = render(request, "cases/_work_centre_results.html", context)
    else:
        current_queue = filters.queue
        context.update(
            {
                "steps": selectors_work.step_counts(user=user, now=now),
                "queue_links": [
                    {
                        "key": q.key,
                        "label": q.label,
                        "count": n,
                        "url": f"{reverse('cases:centre')}?queue={q.key}",
                        "current": q.key == current_queue,
                    }
                    for q, n in queues
                ],
                "area_names": [p.display_name for p in home_places(user)],
                "strip": strip_context(user) if access.overview else None,
                "work_links": work_links(access),
                "work_current": "centre",
            }
        )
        response = render(request, "cases/work_centre.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_GET
def export(request: HttpRequest) -> FileResponse:
    """Download the command centre's list, with the same filters, as an .xlsx (`exports.case_export`)."""
    user = request.user
    if not selectors_work.work_access(user).centre:
        _deny()
    now = timezone.now()
    _form, filters = _centre_filters(request, user, selectors.queues_for(user), now)
    written = exports.case_export(user=user, filters=filters, now=now)
    return FileResponse(
        written.file, as_attachment=True, filename=written.filename, content_type=exports.CONTENT_TYPE
    )


@login_required
@require_POST
def batch_dispatch(request: HttpRequest) -> HttpResponse:
    """Dispatch the ticked cases to one lead agency, each case on its own, and report each outcome.

    A case someone else acted on since the list was shown is refused with the conflict; the others
    still go through. Only town actors get here, and each case is checked again by `case_act`.
    """
    user = request.user
    access = selectors_work.work_access(user)
    if not access.dispatch:
        _deny()
    form = BatchDispatchForm(request.POST, user=user)
    back = _safe_next(request, request.POST.get("next", ""))
    if not form.is_valid():
        return render(
            request, "cases/work_batch_result.html", {"form": form, "back": back, "results": []}, status=400
        )
    agency = form.cleaned_data["agency"]
    co_agencies = list(form.cleaned_data["co_agencies"])
    appointment = form.appointment()
    results = []
    for item in form.cleaned_data["cases"]:
        try:
            case = selectors.case_get_for_user(user=user, tracking_number=item.number)
            if item.version is not None:
                # Compare-and-set against what the dispatcher saw, not against a fresh read.
                case.version = item.version
            case = services.case_act(
                case=case,
                action="dispatch",
                actor=user,
                note=form.cleaned_data.get("note") or "",
                agency=agency,
                co_agencies=co_agencies,
                appointment=appointment,
            )
        except ApplicationError as exc:
            results.append({"number": item.number, "ok": False, "message": _error_text(exc)})
        else:
            results.append({"number": item.number, "ok": True, "case": case})
    done = sum(1 for r in results if r["ok"])
    context = {
        "form": form,
        "back": back,
        "results": results,
        "done": done,
        "failed": len(results) - done,
        "agency_name": agency_label(agency),
        "co_names": [agency_label(a) for a in co_agencies],
    }
    return render(request, "cases/work_batch_result.html", context)


def _error_text(exc: ApplicationError) -> str:
    fields = (exc.extra or {}).get("fields") or {}
    if fields:
        return " ".join([exc.message, *[str(m) for m in fields.values()]])
    return exc.message


def _safe_next(request: HttpRequest, target: str) -> str:
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return f"{reverse('cases:centre')}?queue=dispatch"


# ---------------------------------------------------------------------------------------------
# The map of open cases over the grids


def _map_filters(request: HttpRequest, user) -> tuple[CaseFilterForm, selectors_map.MapFilters]:
    form = _filter_form(request, user, None)
    filters, options = form.filters()
    return form, selectors_map.MapFilters(filters, options.open_only, options.overdue_only)


@login_required
@require_GET
def case_map(request: HttpRequest) -> HttpResponse:
    """Show the map of the cases in scope (which asks `case_map_data` for its viewport as it moves)
    and list the unrouted ones beside it."""
    user = request.user
    access = selectors_work.work_access(user)
    if not access.map:
        _deny()
    now = timezone.now()
    form, filters = _map_filters(request, user)
    # Unrouted reports are a command-centre job; a grid worker's scope never holds one.
    unrouted, unrouted_count = (
        selectors_map.unrouted(user=user, filters=filters, now=now) if access.centre else ([], 0)
    )
    bounds = selectors_map.map_bounds(selectors_map.map_areas(user, filters.cases.region))
    if bounds:
        bounds = display.bbox(bounds)
    case_url = reverse("cases:detail", args=["NUMBER"])
    query = request.GET.urlencode()
    config = {
        "url": reverse("cases:map_data") + (f"?{query}" if query else ""),
        "bounds": [round(v, 6) for v in bounds] if bounds else None,
        "caseUrl": case_url,
        "colours": {
            **{key: colour for key, _label, colour, _states in selectors_map.MAP_STEPS},
            "late": selectors_map.MAP_OVERDUE_COLOUR,
        },
        "steps": selectors_map.STEP_OF_STATE,
        "states": {state: str(label) for state, label in Case.State.choices},
        "labels": {
            "overdue": _("Overdue"),
            "urgent": _("Urgent"),
            "open": _("Open the case"),
            "loading": _("Loading the cases in view…"),
            "failed": _("The cases could not be loaded. Move the map to try again."),
            "zoomIn": _("Zoom in on %(name)s"),
            "markers": _("Cases"),
            "heat": _("Heat map"),
            "layers": _("Markers or heat map"),
        },
    }
    context = {
        "form": form,
        "config": config,
        "unrouted": _decorate(unrouted, now),
        "unrouted_count": unrouted_count,
        "show_unrouted": access.centre,
        "can_place": case_access.can_place_any(user),
        "legend": [
            {"label": label, "colour": colour} for _key, label, colour, _states in selectors_map.MAP_STEPS
        ],
        **display.tiles(),
        "work_links": work_links(access),
        "work_current": "map",
    }
    return render(request, "cases/work_map.html", context)


@login_required
@require_GET
def case_map_data(request: HttpRequest) -> JsonResponse:
    """Answer what one viewport of the map shows (`selectors_map.map_view`): markers, or counts per
    place when there are too many, and outlines. Takes the map page's filters and `bbox`, `zoom`."""
    user = request.user
    access = selectors_work.work_access(user)
    if not access.map:
        _deny()
    viewport_form = MapViewportForm(request.GET)
    if not viewport_form.is_valid():
        return JsonResponse(
            {
                "message": _("Please correct the marked fields."),
                "code": "invalid",
                "extra": {"fields": {k: [str(e) for e in v] for k, v in viewport_form.errors.items()}},
            },
            status=400,
        )
    now = timezone.now()
    _form, filters = _map_filters(request, user)
    # The map sends its viewport, and gets what it draws, in its tiles' coordinate system.
    viewport = selectors_map.Viewport(
        display.stored_bbox(viewport_form.cleaned_data["bbox"]), viewport_form.cleaned_data["zoom"]
    )
    view = selectors_map.map_view(user=user, filters=filters, viewport=viewport, now=now)
    english = (get_language() or "").startswith("en")
    categories: dict[str, str] = {}
    cases = []
    for row in view.cases:
        code = row["category__code"]
        if code not in categories:
            categories[code] = (english and row["category__name_en"]) or row["category__name"]
        x, y = display.point(row["lon"], row["lat"])
        cases.append(
            {
                "n": row["tracking_number"],
                "s": row["state"],
                "c": code,
                "a": row["address"][:MAP_ADDRESS_CHARS],
                "u": int(row["priority"] == Case.Priority.URGENT),
                "l": int(bool(row["late"])),
                "x": round(x, 6),
                "y": round(y, 6),
            }
        )
    body = {
        "mode": view.mode,
        "total": view.total,
        "capped": view.capped,
        "uncounted": view.uncounted,
        "level": view.level,
        "status": _map_status(view),
        "cases": cases,
        "categories": categories,
        "clusters": [_map_cluster(c) for c in view.clusters],
        "outlines": [
            {"name": place.display_name, "level": place.level, "g": display.geometry(geometry)}
            for place, geometry in view.outlines
        ],
    }
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False, "separators": (",", ":")})
    response["Cache-Control"] = "private, no-store"
    return response


def _map_cluster(cluster: selectors_map.Cluster) -> dict:
    x, y = display.point(*cluster.place.center)
    return {
        "name": cluster.place.display_name,
        "n": cluster.count,
        "x": round(x, 5),
        "y": round(y, 5),
        "b": [round(v, 5) for v in display.bbox(cluster.place.bbox)],
    }


# Characters of a case's address sent with its marker (the popup shows a line or two).
MAP_ADDRESS_CHARS = 60


def _map_status(view: selectors_map.MapView) -> str:
    """Return what the map says about its viewport: how many cases, and whether to zoom in."""
    n = number_format(view.total, force_grouping=True)
    if view.uncounted:
        return ngettext(
            "Up to %(n)s case here: too many to count with these filters. Zoom in, or narrow the dates.",
            "Up to %(n)s cases here: too many to count with these filters. Zoom in, or narrow the dates.",
            view.total,
        ) % {"n": n}
    if view.mode == "clusters":
        return ngettext(
            "%(n)s case here: too many to draw one by one. Zoom in, or tap a circle.",
            "%(n)s cases here: too many to draw one by one. Zoom in, or tap a circle.",
            view.total,
        ) % {"n": n}
    if view.capped:
        return _("%(n)s cases here; the first %(limit)s are drawn, the overdue and most urgent first.") % {
            "n": n,
            "limit": number_format(len(view.cases), force_grouping=True),
        }
    if not view.total:
        return _("No case here with these filters.")
    return ngettext("%(n)s case here", "%(n)s cases here", view.total) % {"n": n}


# ---------------------------------------------------------------------------------------------
# The agency inbox


@login_required
@require_GET
def agency_inbox(request: HttpRequest) -> HttpResponse:
    """List the agency's work in tabs: to sign for, in progress, co-handling, overdue."""
    user = request.user
    access = selectors_work.work_access(user)
    if not access.agency:
        _deny()
    now = timezone.now()
    search = SearchForm(request.GET)
    text = search.text()
    tabs = selectors_work.agency_tabs(user=user, agency_ids=access.agency_ids, text=text, now=now)
    counts = {key: selectors.list_total(user=user, filters=f) for key, _label, f in tabs}
    keys = [key for key, _label, _f in tabs]
    wanted = request.GET.get("tab", "")
    current = wanted if wanted in keys else next((k for k in keys if counts[k]), keys[0])
    current_filters = next(f for key, _label, f in tabs if key == current)
    page, pager = _case_page(request, user, current_filters, PAGE_SIZE)
    empty_title, empty_text = QUEUE_EMPTY[current]
    base = reverse("cases:agency_inbox")
    context = {
        "tabs": [
            {
                "key": key,
                "label": label,
                "count": counts[key],
                "url": f"{base}?tab={key}",
                "alert": key == "overdue" and bool(counts[key]),
            }
            for key, label, _f in tabs
        ],
        "current": current,
        "current_label": next(label for key, label, _f in tabs if key == current),
        "search": search,
        "text": text,
        "pager": pager,
        "total": counts[current],
        "cases": _decorate(page.items, now),
        "empty_title": empty_title,
        "empty_text": empty_text,
        "agency_names": _agency_names(access.agency_ids),
        "work_links": work_links(access),
        "work_current": "agency",
    }
    return render(request, "cases/work_agency.html", context)


def _agency_names(ids: tuple[int, ...]) -> list[str]:
    return [agency_label(a) for a in Agency.objects.filter(pk__in=ids)]
