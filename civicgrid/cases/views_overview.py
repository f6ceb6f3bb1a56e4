"""The overview page of a staff member's scope (`civicgrid.cases.overview`): counts, rates, charts, areas."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from civicgrid.cases import hotspots, rankings, selectors_work
from civicgrid.cases import overview as ov
from civicgrid.cases.views_common import overview_context, work_links
from civicgrid.core.htmx import is_htmx_partial

# The wall screen's counts and rates, in order. An agency's overview has "dispatched" where an area's
# has "new_today", so either way the wall shows five counts.
WALL_TILES = ("new_today", "open", "overdue", "due_soon", "dispatched", "closed")
WALL_RATES = ("response", "resolution", "satisfaction", "on_time_closure")
# As many rows and categories as a 16:9 screen shows at a size read from five metres.
WALL_ROWS = 10
# Units per page of a ranking (a city ranks thousands of grid workers).
RANKING_PAGE = 50
WALL_CATEGORIES = 8
# How often the wall asks for fresh figures (the kept counts change with every case event).
WALL_REFRESH_SECONDS = 60
# The header the wall's script looks for before it swaps a refresh in: a login page that a
# redirect answered instead (the session ended) must never replace the figures.
WALL_BOARD_HEADER = "X-Wall-Board"


def _query(o: ov.Overview) -> str:
    return urlencode({"period": o.period.key, **({"region": o.region} if o.region else {})})


def monthly_url(month=None, region: str = "") -> str:
    """The monthly report of a month (None: the report's default, last month), narrowed to `region`."""
    query = {
        **({"month": month.strftime("%Y-%m")} if month else {}),
        **({"region": region} if region else {}),
    }
    return reverse("cases:monthly_report") + (f"?{urlencode(query)}" if query else "")


def _short_name(name: str, parent: str) -> str:
    """Return the name without the parent's name it repeats ("学府社区第1网格" under 学府社区: "第1网格")."""
    rest = name.removeprefix(parent).strip()
    return rest if rest and rest != name else name


def wall_context(o: ov.Overview, now: datetime) -> dict:
    """Return what the wall screen draws: the five counts, four rates, the charts' data and the ranking."""
    now = timezone.localtime(now)
    notes = {
        "new_today": date_format(o.today, "MONTH_DAY_FORMAT"),
        "open": _("Right now"),
        "overdue": _("Right now"),
        "due_soon": _("Within %(hours)s hours") % {"hours": settings.CASE_DUE_SOON_HOURS},
    }
    tiles = {t.key: t for t in o.tiles}
    rates = {r.key: r for r in o.rates}
    ranked = ov.ranked_children(o.children)
    categories = [{"name": c.display_name, "value": n} for c, n in o.categories[:WALL_CATEGORIES]]
    rest = sum(n for _c, n in o.categories[WALL_CATEGORIES:])
    if rest:
        categories.append({"name": _("Other"), "value": rest})
    return {
        "overview": o,
        "now": now,
        "server_ms": int(now.timestamp() * 1000),
        "tiles": [
            {"tile": tiles[key], "note": notes.get(key, o.period.label)} for key in WALL_TILES if key in tiles
        ],
        "rates": [
            {
                "line": rates[key],
                # The ring's filled share, out of 100 (an SVG attribute: the CSP allows no inline style).
                "dash": None if rates[key].rate.value is None else f"{rates[key].rate.value * 100:.1f}",
            }
            for key in WALL_RATES
        ],
        "ranking": [
            {"row": row, "name": _short_name(row.place.display_name, o.title)} for row in ranked[:WALL_ROWS]
        ],
        "ranking_more": max(len(ranked) - WALL_ROWS, 0),
        "charts": bool(o.trend or o.categories or o.children),
        "chart": {
            "labels": {"new": _("New"), "closed": _("Closed")},
            "trend": {
                "days": [d.strftime("%m-%d") for d, _n, _c in o.trend],
                "new": [n for _d, n, _c in o.trend],
                "closed": [c for _d, _n, c in o.trend],
            },
            "categories": categories,
        },
        "refresh_url": f"{reverse('cases:wall')}?{_query(o)}",
        "refresh_seconds": WALL_REFRESH_SECONDS,
        "exit_url": f"{reverse('cases:overview')}?{_query(o)}",
    }


@login_required
@require_GET
def wall(request: HttpRequest) -> HttpResponse:
    """Show the overview on the command centre's wall screen: dark, without navigation, refreshed each minute.

    One view, two renderings: the whole page, and (asked by htmx) the board alone, which the page
    swaps in place of the old one; if the refresh fails the page keeps the last figures.
    """
    now = timezone.now()
    o = ov.overview(
        user=request.user,
        period_key=request.GET.get("period", "month"),
        region=request.GET.get("region", "")[:15],
        now=now,
    )
    context = wall_context(o, now)
    if is_htmx_partial(request):
        response = render(request, "cases/_wall_board.html", context)
        response[WALL_BOARD_HEADER] = "1"
    else:
        response = render(request, "cases/wall.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_GET
def overview_page(request: HttpRequest) -> HttpResponse:
    """The overview of the user's scope, or of one area within it (`?region=`), for a period (`?period=`)."""
    user = request.user
    o = ov.overview(
        user=user, period_key=request.GET.get("period", "month"), region=request.GET.get("region", "")[:15]
    )
    context = overview_context(o)
    context.update(
        {
            "work_links": work_links(selectors_work.work_access(user)),
            "work_current": "overview",
            "wall_url": f"{reverse('cases:wall')}?{_query(o)}",
            # The report of the month the overview shows (this month or last), else of last month.
            "monthly_url": monthly_url(
                o.period.start if o.period.key in ("month", "last_month") else None, o.region
            ),
        }
    )
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
        "page_obj": Paginator(r.entries, RANKING_PAGE).get_page(request.GET.get("page")),
        "tabs": [{"kind": k, "label": rankings.KINDS[k], "url": url(k, r.month)} for k in r.kinds],
        "earlier_url": url(r.kind, rankings.previous_month(r.month)),
        "later_url": url(r.kind, later) if later <= this_month else "",
        "weights": [(label, r.weights[key]) for key, label, _formula, _prop in ov.RATES if key in r.weights],
        "work_links": work_links(selectors_work.work_access(user)),
        "work_current": "rankings",
        "monthly_url": monthly_url(r.month),
    }
    return render(request, "cases/rankings.html", context)


@login_required
@require_GET
def overview_spots(request: HttpRequest) -> HttpResponse:
    """The overview's repeat locations (a fragment the page loads as it scrolls to them)."""
    found = ov.repeat_locations(user=request.user, region=request.GET.get("region", "")[:15])
    return render(
        request,
        "cases/_overview_spots.html",
        {
            "spots": found.spots,
            "spots_as_of": found.as_of,
            "spots_radius": hotspots.REPEAT_RADIUS_M,
            "spots_days": hotspots.REPEAT_DAYS,
        },
    )
