"""The 12345 replies page: the orders of the operator's region with their results, and the reply
workbook to file on the hotline platform (`hotline_replies`)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from civicgrid.cases import access, hotline_replies, selectors_work
from civicgrid.cases.forms_replies import ReplyFilterForm
from civicgrid.cases.views_common import work_links
from civicgrid.core.errors import ApplicationError
from civicgrid.lib import keyset

PAGE_SIZE = 30


@login_required
@require_GET
def replies(request: HttpRequest) -> HttpResponse:
    """List the replies of the region's 12345 orders with the filters, a keyset page at a time, and
    link the workbook of the same list. Who may not read replies gets 403."""
    user = request.user
    access.hotline_reply_scope(user)
    form = ReplyFilterForm(request.GET or None)
    status = 200
    if form.is_bound and not form.is_valid():
        status = 400
    cursor = request.GET.get("cursor", "")
    error = ""
    try:
        page = hotline_replies.reply_page(user=user, filters=form.filters(), cursor=cursor, size=PAGE_SIZE)
    except keyset.InvalidCursor:
        # A mangled "more" link: the first page, and why.
        cursor, status = "", 400
        error = _("This link to a further page is not valid; here is the first page.")
        page = hotline_replies.reply_page(user=user, filters=form.filters(), size=PAGE_SIZE)
    query = request.GET.copy()
    query.pop("cursor", None)
    next_query = query.copy()
    if page.next_cursor:
        next_query["cursor"] = page.next_cursor
    context = {
        "form": form,
        "rows": page.items,
        "next_query": next_query.urlencode() if page.next_cursor else "",
        "query": query.urlencode(),
        "continued": bool(cursor),
        "error": error,
        "work_links": work_links(selectors_work.work_access(user)),
        "work_current": "hotline_replies",
    }
    return render(request, "cases/hotline_replies.html", context, status=status)


@login_required
@require_GET
def replies_workbook(request: HttpRequest) -> HttpResponse:
    """Download the reply workbook of the list with the page's filters (`hotline_replies.reply_workbook`)."""
    user = request.user
    access.hotline_reply_scope(user)
    form = ReplyFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return render(
            request,
            "cases/hotline_replies.html",
            {"form": form, "rows": [], "work_links": work_links(selectors_work.work_access(user))},
            status=400,
        )
    try:
        written = hotline_replies.reply_workbook(user=user, filters=form.filters())
    except ApplicationError as exc:
        if exc.status == 403:
            raise
        return render(
            request,
            "cases/hotline_replies.html",
            {
                "form": form,
                "rows": [],
                "error": exc.message,
                "work_links": work_links(selectors_work.work_access(user)),
            },
            status=exc.status,
        )
    return FileResponse(
        written.file, as_attachment=True, filename=written.filename, content_type=hotline_replies.CONTENT_TYPE
    )
