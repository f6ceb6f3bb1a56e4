"""The monthly report (`civicgrid.cases.monthly`): a printable page and its workbook."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from civicgrid.cases import hotspots, monthly, monthly_workbook, rankings, selectors_work
from civicgrid.cases import overview as ov
from civicgrid.cases.views_common import work_links
from civicgrid.core.errors import ApplicationError, PermissionDenied

# Figures for which less is better (a rise is shown as a worsening); for the others more is better,
# except the volumes of work, which are neither.
LESS_IS_BETTER = frozenset({"returns", "rework", "closed_late", "overdue_now", "handling"})
# Still open: a younger month's cases are open for want of time, not of work.
NEUTRAL = frozenset({"new", "dispatched", "closed", "still_open"})


def _signed(value: float | None, digits: int = 0) -> str:
    """Return a change as "+3", "−1.5" or "0"; "—" when there is none."""
    if value is None:
        return "—"
    shown = f"{abs(value):,.{digits}f}"
    if float(shown.replace(",", "")) == 0:
        return shown
    return ("+" if value > 0 else "−") + shown


def _tone(key: str, change: float | None) -> str:
    """Return "better", "worse" or "" for a change of the figure `key`."""
    if not change or key in NEUTRAL:
        return ""
    return "better" if (change < 0) == (key in LESS_IS_BETTER) else "worse"


def _hours(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f}"


def _shown(report: monthly.MonthlyReport) -> dict:
    """Return the report's comparisons as the page prints them (signs, dashes, better or worse)."""
    handling = []
    for label, now, before in (
        (_("Average handling time (h)"), report.average_hours, report.previous_average_hours),
        (_("Handling time, 90th percentile (h)"), report.p90_hours, report.previous_p90_hours),
    ):
        change = None if now is None or before is None else now - before
        handling.append(
            {"label": label, "now": _hours(now), "before": _hours(before), "change": _signed(change, 1),
             "tone": _tone("handling", change)}
        )  # fmt: skip
    return {
        "volumes": [
            {"v": v, "change": _signed(v.change), "tone": _tone(v.key, v.change)} for v in report.volumes
        ],
        "rates": [
            {"row": row, "change": _signed(row.change, 1), "tone": _tone(row.key, row.change)}
            for row in report.rates
        ],
        "handling": handling,
        "score": {
            "now": _hours(report.score),
            "before": _hours(report.previous_score),
            "change": _signed(report.score_change, 1),
            "tone": _tone("score", report.score_change),
        },
    }


def _params(request: HttpRequest) -> tuple[str, str]:
    return request.GET.get("month", "")[:20], request.GET.get("region", "")[:15]


def _query(month: date, region: str) -> str:
    return urlencode({"month": month.strftime("%Y-%m"), **({"region": region} if region else {})})


@login_required
@require_GET
def monthly_page(request: HttpRequest) -> HttpResponse:
    """The monthly report of the user's scope (`?region=`) for a month (`?month=YYYY-MM`, default last
    month), laid out to print on A4; a month that is malformed or not begun yet is refused beside the
    month picker."""
    user = request.user
    text, region = _params(request)
    today = timezone.localdate()
    context = {
        "work_links": work_links(selectors_work.work_access(user)),
        "work_current": "monthly",
        "region": region,
        "this_month": rankings.month_start(today),
    }
    try:
        report = monthly.monthly_report_for(user=user, month=text, region=region)
    except PermissionDenied:
        raise
    except ApplicationError as error:
        context.update({"error": error.message, "month_text": text})
        return render(request, "cases/monthly.html", context, status=400)
    following = report.last_day + timedelta(days=1)
    context.update(
        {
            "report": report,
            # A long ranking (a city's villages or grid workers) printed as its head and tail.
            "ranked_shown_max": monthly.RANKED_HEAD + monthly.RANKED_TAIL,
            "ranked_head": f":{monthly.RANKED_HEAD}",
            "ranked_tail": f"-{monthly.RANKED_TAIL}:",
            "month_text": report.month.strftime("%Y-%m"),
            "workbook_url": f"{reverse('cases:monthly_workbook')}?{_query(report.month, region)}",
            "earlier_url": f"?{_query(report.previous_month, region)}",
            "later_url": f"?{_query(following, region)}" if following <= context["this_month"] else "",
            "overview_url": reverse("cases:overview")
            + (f"?{urlencode({'region': region})}" if region else ""),
            **_shown(report),
            "spots_radius": hotspots.REPEAT_RADIUS_M,
            "spots_days": hotspots.REPEAT_DAYS,
            "weights": [
                (label, report.weights[key])
                for key, label, _formula, _prop in ov.RATES
                if key in report.weights
            ],
        }
    )
    return render(request, "cases/monthly.html", context)


@login_required
@require_GET
def monthly_download(request: HttpRequest) -> FileResponse:
    """Download the monthly report as an .xlsx (`monthly_workbook`); the same refusals as the page."""
    user = request.user
    text, region = _params(request)
    report = monthly.monthly_report_for(user=user, month=text, region=region)
    written = monthly_workbook.monthly_workbook(user=user, report=report)
    return FileResponse(
        written.file,
        as_attachment=True,
        filename=written.filename,
        content_type=monthly_workbook.CONTENT_TYPE,
    )
