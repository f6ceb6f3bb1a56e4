"""The overview page of a staff member's scope (`civicgrid.cases.overview`): counts, rates, charts, areas."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from civicgrid.cases import overview as ov
from civicgrid.cases import rankings, selectors_work
from civicgrid.cases.views_work import work_links


def centre_url(query: dict[str, str]) -> str:
    """The command centre's case list with these filters."""
    return f"{reverse('cases:centre')}?{urlencode(query)}" if query else reverse("cases:centre")


def overview_context(o: ov.Overview) -> dict:
    """What the overview templates draw: the overview with each count's list link, and the chart data."""
    link = centre_url if o.lists else (lambda _query: "")
    return {
        "overview": o,
        "tiles": [{"tile": t, "url": link(t.query)} for t in o.tiles],
        "children": [
            {
                "row": row,
                "drill": f"{reverse('cases:overview')}?{urlencode({'region': row.place.code, 'period': o.period.key})}",
                "open_url": link(row.query),
                "new_url": link(
                    {
                        **row.query,
                        "state": ov.ALL_STATES,
                        "date_from": o.period.start.isoformat(),
                        "date_to": o.period.end.isoformat(),
                    }
                ),
                "overdue_url": link({**row.query, "overdue": "on"}),
                "closed_url": link(
                    {
                        **row.query,
                        "closed_from": o.period.start.isoformat(),
                        "closed_to": o.period.end.isoformat(),
                    }
                ),
            }
            for row in o.children
        ],
        "periods": [
            {
                "key": key,
                "label": label,
                "url": f"?{urlencode({'period': key, **({'region': o.region} if o.region else {})})}",
            }
            for key, label in ov.PERIODS.items()
        ],
        "chart": {
            "trend": {
                "days": [d.strftime("%m-%d") for d, _n, _c in o.trend],
                "new": [n for _d, n, _c in o.trend],
                "closed": [c for _d, _n, c in o.trend],
            },
            "categories": [{"name": c.display_name, "value": n} for c, n in o.categories],
        },
    }


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
