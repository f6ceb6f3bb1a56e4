"""The 12345 pages: the workbook upload (check, answer unmapped category paths, import) and the
administrators' table of the hotline's category paths.

The upload runs the very loop of `manage.py import_hotline` (`hotline.import_orders`): a dry run
first (each order filed and rolled back), then, on confirmation, the same file, kept on the server
under a token held in the uploader's session. The category paths the dry run could not map are
asked on its report, once each; the answers are saved to the table and the file is checked again.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from civicgrid.cases import access as case_access
from civicgrid.cases import hotline, hotline_categories, hotline_sample, selectors_work
from civicgrid.cases.forms_hotline import CategoryMapFilterForm, HotlineUploadForm
from civicgrid.cases.models import HotlineCategoryMap
from civicgrid.cases.views_work import work_links
from civicgrid.core.errors import ApplicationError, PermissionDenied
from civicgrid.lib import keyset

SESSION_KEY = "hotline_import"

ROUTED_BY = {
    "point": gettext_lazy("by its point"),
    "exact": gettext_lazy("address found exactly"),
    "alias": gettext_lazy("address found by another spelling"),
    "parts": gettext_lazy("address found by its parts"),
    "similar": gettext_lazy("address found by similarity"),
    "placed": gettext_lazy("address placed by an operator"),
}


def _report(path: Path, user, *, commit: bool) -> hotline.Run:
    """Return the run of the workbook at `path`; raises FileProblem for a bad file."""
    orders = hotline.read_orders(path)
    if not orders:
        raise hotline.FileProblem(_("The workbook has a header row but no orders."))
    cap = settings.HOTLINE_UPLOAD_MAX_ROWS
    if len(orders) > cap:
        raise hotline.FileProblem(
            _(
                "The workbook has %(n)d rows; this page takes at most %(cap)d. Split it, or ask an "
                "administrator to run manage.py import_hotline on it."
            )
            % {"n": len(orders), "cap": cap}
        )
    return hotline.import_orders(orders=orders, user=user, commit=commit)


def _row(result: hotline.RowResult, commit: bool) -> dict:
    url = reverse("cases:detail", args=[result.tracking_number]) if result.tracking_number else ""
    where = ""
    if result.outcome == "failed":
        kind = "error"
        label = _("Category not mapped yet") if result.unmapped_key else _("Error")
    elif result.same_as_row is not None:
        kind = "duplicate"
        label = _("Duplicate: the same order as row %(row)d") % {"row": result.same_as_row}
    elif result.outcome == "exists":
        kind, label = "duplicate", _("Duplicate: already filed")
    elif result.outcome == "unrouted":
        kind = "unrouted"
        label = _("Filed unrouted") if commit else _("Would be filed unrouted")
        where = _("Waits in the queue of %(place)s: the address was not found for sure.") % {
            "place": result.place
        }
    else:
        kind = "created"
        label = _("Case created") if commit else _("Would be created")
        where = str(ROUTED_BY.get(result.routed_by, result.routed_by))
    return {
        "number": result.number,
        "order_number": result.order_number,
        "kind": kind,
        "label": label,
        "message": result.message,
        "tracking_number": result.tracking_number,
        "url": url,
        "place": result.place if result.outcome == "created" else "",
        "where": where,
        "confidence": f"{result.confidence:.0%}" if result.confidence is not None else "",
    }


def _context_of(run: hotline.Run, commit: bool) -> dict:
    return {
        "rows": [_row(result, commit) for result in run.results],
        "counts": run.counts,
        "created": run.counts["routed"] + run.counts["unrouted"],
        "unmapped": run.unmapped,
    }


@login_required
@require_http_methods(["GET", "POST"])
def hotline_import(request: HttpRequest) -> HttpResponse:
    """Check an uploaded 12345 export and report on every row; import it on confirmation.

    1. Only users who may import (`hotline.check_import`) get the page; others get 403.
    2. An upload is checked (type, size), kept under a random token in the session, and dry-run.
    3. `step=map` saves the categories chosen for the paths the kept file could not map
       (`hotline_categories.answers_apply`, only those paths), then checks the file again.
    4. "Confirm import" (`step=commit`) imports the kept file if the token is the session's, then
       drops it; the report shows what each row became.
    """
    user = request.user
    hotline.check_import(user)
    form = HotlineUploadForm()
    context: dict = {"rows": [], "counts": None, "committed": False, "token": "", "error": "", "unmapped": []}
    status = 200
    step = request.POST.get("step") if request.method == "POST" else None
    if step in ("commit", "map"):
        token = request.POST.get("token", "")
        kept = request.session.get(SESSION_KEY) or {}
        path = hotline.upload_path(token) if token and kept.get("token") == token else None
        if path is None:
            context["error"] = _("The checked workbook is no longer kept here. Upload it again to check it.")
            status = 400
        elif step == "map":
            status = _answer(request, path, token, kept, context)
        else:
            try:
                run = _report(path, user, commit=True)
            except hotline.FileProblem as exc:
                context["error"], status = str(exc), 400
            else:
                context.update(_context_of(run, True), committed=True, filename=kept.get("name", ""))
            finally:
                hotline.upload_drop(token)
                request.session.pop(SESSION_KEY, None)
    elif request.method == "POST":
        form = HotlineUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            previous = (request.session.get(SESSION_KEY) or {}).get("token", "")
            if previous:
                hotline.upload_drop(previous)
            token = hotline.upload_keep(upload.chunks(), suffix=form.suffix)
            try:
                run = _report(hotline.upload_path(token), user, commit=False)
            except hotline.FileProblem as exc:
                hotline.upload_drop(token)
                context["error"], status = str(exc), 400
            else:
                request.session[SESSION_KEY] = {"token": token, "name": upload.name}
                context.update(_context_of(run, False), token=token, filename=upload.name)
        else:
            status = 400
    context.update(
        {
            "form": form,
            "work_links": work_links(selectors_work.work_access(user)),
            "work_current": "hotline_import",
            "max_rows": settings.HOTLINE_UPLOAD_MAX_ROWS,
            "category_choices": hotline_categories.category_choices() if context["unmapped"] else [],
            "can_manage_categories": case_access.can_manage_hotline_categories(user),
        }
    )
    return render(request, "cases/hotline_import.html", context, status=status)


@login_required
@require_http_methods(["GET"])
def hotline_sample_download(request: HttpRequest) -> HttpResponse:
    """Download a sample export written against the register of the importer's area
    (`hotline_sample.sample_for`); back to the upload page with the reason when there is none."""
    try:
        raw = hotline_sample.sample_for(request.user)
    except ApplicationError as exc:
        if exc.status == 403:
            raise
        messages.warning(request, exc.message)
        return redirect("cases:hotline_import")
    response = HttpResponse(raw, content_type=hotline_sample.CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, hotline_sample.FILENAME)
    return response


def _answer(request: HttpRequest, path: Path, token: str, kept: dict, context: dict) -> int:
    """Save the operator's answers to the kept file's unmapped paths, check it again; return the status."""
    user = request.user
    try:
        before = _report(path, user, commit=False)
    except hotline.FileProblem as exc:
        context["error"] = str(exc)
        return 400
    asked = {entry.key: entry.path for entry in before.unmapped}
    answers = dict(zip(request.POST.getlist("key"), request.POST.getlist("category"), strict=False))
    errors = hotline_categories.answers_apply(actor=user, answers=answers, asked=asked)
    run = _report(path, user, commit=False)
    context.update(_context_of(run, False), token=token, filename=kept.get("name", ""))
    context["map_errors"] = errors
    context["answered"] = len([k for k, v in answers.items() if k in asked and v and k not in errors])
    return 400 if errors else 200


# ---------------------------------------------------------------------------------------------
# The category table


@login_required
@require_http_methods(["GET", "POST"])
def hotline_categories_page(request: HttpRequest) -> HttpResponse:
    """List the hotline's category paths (unmapped first), find one, change the category of one.

    Administrators only (`access.can_manage_hotline_categories`); pages by cursor.
    """
    user = request.user
    if not case_access.can_manage_hotline_categories(user):
        raise PermissionDenied(_("Only administrators keep the hotline category table."))
    status = 200
    saved = ""
    error = ""
    error_id = None
    if request.method == "POST":
        mapping = get_object_or_404(HotlineCategoryMap, pk=request.POST.get("id") or 0)
        try:
            hotline_categories.mapping_answer(
                actor=user, key=mapping.path_key, category=request.POST.get("category", "")
            )
        except ApplicationError as exc:
            error, error_id, status = exc.message, mapping.pk, 400
        else:
            saved = mapping.path
    filters = CategoryMapFilterForm(request.GET or None)
    search, show = "", ""
    if filters.is_valid():
        search, show = filters.cleaned_data["q"], filters.cleaned_data["show"]
    cursor = request.GET.get("cursor", "")
    try:
        page = hotline_categories.mapping_list(search=search, show=show, cursor=cursor)
    except keyset.InvalidCursor:
        page = hotline_categories.mapping_list(search=search, show=show)
        cursor = ""
    query = {k: v for k, v in {"q": search, "show": show}.items() if v}
    next_url = f"?{urlencode({**query, 'cursor': page.next_cursor})}" if page.next_cursor else ""
    context = {
        "filters": filters,
        "mappings": page.items,
        "next_url": next_url,
        "first_url": f"?{urlencode(query)}" if cursor else "",
        "category_choices": hotline_categories.category_choices(),
        "unmapped_total": hotline_categories.unmapped_total(),
        "saved": saved,
        "error": error,
        "error_id": error_id,
        "here": request.get_full_path(),
        "work_links": work_links(selectors_work.work_access(user)),
        "work_current": "hotline_categories",
    }
    return render(request, "cases/hotline_categories.html", context, status=status)
