"""The 12345 workbook upload: check a hotline export row by row, then import it (`hotline.import_orders`).

The page runs the very loop of `manage.py import_hotline`: a dry run first (each order filed and
rolled back), then, on confirmation, the same file, kept on the server under a token held in the
uploader's session.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from civicgrid.cases import hotline, selectors_work
from civicgrid.cases.forms_hotline import HotlineUploadForm
from civicgrid.cases.views_work import work_links

SESSION_KEY = "hotline_import"


def _report(path: Path, user, *, commit: bool) -> tuple[list[dict], dict[str, int]]:
    """Return the page's rows and counts for the workbook at `path`; raises FileProblem for a bad file."""
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
    results = list(hotline.import_orders(orders=orders, user=user, commit=commit))
    return [_row(result, commit) for result in results], hotline.outcome_counts(results)


def _row(result: hotline.RowResult, commit: bool) -> dict:
    url = reverse("cases:detail", args=[result.tracking_number]) if result.tracking_number else ""
    if result.outcome == "failed":
        kind, label = "error", _("Error")
    elif result.same_as_row is not None:
        kind = "duplicate"
        label = _("Duplicate: the same order as row %(row)d") % {"row": result.same_as_row}
    elif result.outcome == "exists":
        kind, label = "duplicate", _("Duplicate: already filed")
    elif commit:
        kind, label = "created", _("Case created")
    else:
        kind, label = "created", _("Would be created")
    return {
        "number": result.number,
        "order_number": result.order_number,
        "kind": kind,
        "label": label,
        "message": result.message,
        "tracking_number": result.tracking_number,
        "url": url,
    }


@login_required
@require_http_methods(["GET", "POST"])
def hotline_import(request: HttpRequest) -> HttpResponse:
    """Check an uploaded 12345 workbook and report on every row; import it on confirmation.

    1. Only users who may import (`hotline.check_import`) get the page; others get 403.
    2. An upload is checked (type, size), kept under a random token in the session, and dry-run.
    3. "Confirm import" (`step=commit`) imports the kept file if the token is the session's, then
       drops it; the report shows what each row became.
    """
    user = request.user
    hotline.check_import(user)
    form = HotlineUploadForm()
    context: dict = {"rows": [], "counts": None, "committed": False, "token": "", "error": ""}
    status = 200
    if request.method == "POST" and request.POST.get("step") == "commit":
        token = request.POST.get("token", "")
        kept = request.session.get(SESSION_KEY) or {}
        path = hotline.upload_path(token) if token and kept.get("token") == token else None
        if path is None:
            context["error"] = _("The checked workbook is no longer kept here. Upload it again to check it.")
            status = 400
        else:
            try:
                rows, counts = _report(path, user, commit=True)
            except hotline.FileProblem as exc:
                context["error"], status = str(exc), 400
            else:
                context.update(rows=rows, counts=counts, committed=True, filename=kept.get("name", ""))
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
            token = hotline.upload_keep(upload.chunks())
            try:
                rows, counts = _report(hotline.upload_path(token), user, commit=False)
            except hotline.FileProblem as exc:
                hotline.upload_drop(token)
                context["error"], status = str(exc), 400
            else:
                request.session[SESSION_KEY] = {"token": token, "name": upload.name}
                context.update(rows=rows, counts=counts, token=token, filename=upload.name)
        else:
            status = 400
    context.update(
        {
            "form": form,
            "work_links": work_links(selectors_work.work_access(user)),
            "work_current": "hotline_import",
            "max_rows": settings.HOTLINE_UPLOAD_MAX_ROWS,
        }
    )
    return render(request, "cases/hotline_import.html", context, status=status)
