"""The overview page of a staff member's scope (`civicgrid.cases.overview`): counts, rates, charts, areas."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from civicgrid.cases import overview as ov
from civicgrid.cases import rankings, selectors_work
from civicgrid.cases.views_common import overview_context, work_links


@login_required
@require_GET
def overview_page(request: HttpRequest) -> HttpResponse:
    """The overview of the user's scope, or of one area within it (`?region=`), for a period (`?period=`)."""
    user = request.user
    o = ov.overview(
        user=user, period_key=request.GET.get("period", "month"), region=request.GET.get("region", "")[:15]
    )
    context = overview_context(o)
    context.update({"work_links": work_links(selectors_work.work_access(user)), "work_current": "overview"})
    return render(request, "cases/overview.html", context)


def _month_param(text: str):
    """Return the first day of the month "YYYY-MM" names, or None."""
    try:
        return datetime.strptime(text, "%Y-%m").date() if text else None
    except ValueError:
        return None


@login_required
@require_GET
def rankings_page(request: HttpRequest) -> HttpResponse:
    """The monthly ranking of one kind (`?kind=`) for a month (`?month=YYYY-MM`, default last month)."""
    user = request.user
    r = rankings.ranking(
        user=user, kind=request.GET.get("kind", ""), month=_month_param(request.GET.get("month", "")[:7])
    )
    this_month = rankings.month_start(timezone.localdate())
    later = rankings.month_end(r.month) + timedelta(days=1)

    def url(kind: str, month) -> str:
        return f"?{urlencode({'kind': kind, 'month': month.strftime('%Y-%m')})}"

    context = {
        "ranking": r,
        "tabs": [{"kind": k, "label": rankings.KINDS[k], "url": url(k, r.month)} for k in r.kinds],
        "earlier_url": url(r.kind, rankings.previous_month(r.month)),
        "later_url": url(r.kind, later) if later <= this_month else "",
        "weights": [(label, r.weights[key]) for key, label, _formula, _prop in ov.RATES if key in r.weights],
        "work_links": work_links(selectors_work.work_access(user)),
        "work_current": "rankings",
    }
    return render(request, "cases/rankings.html", context)
