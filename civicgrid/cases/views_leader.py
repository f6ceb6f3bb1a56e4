"""The grid leader's page: who of their grid workers has what open, overdue and due soon."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from civicgrid.cases import selectors_leader, selectors_work
from civicgrid.cases.views_common import centre_url, work_links
from civicgrid.places.models import Place


def _links(grid: Place, centre: bool) -> dict[str, str]:
    """Where each number leads: the command centre's list of that grid when the viewer has one, else
    the queue (a grid's queue holds exactly its workers' cases; it has no per-grid filter)."""
    if not centre:
        queue = reverse("cases:queue")
        return {"open": queue, "overdue": queue, "due_soon": queue}
    return {
        "open": centre_url({"region": grid.code}),
        "overdue": centre_url({"region": grid.code, "overdue": "on"}),
        "due_soon": centre_url({"region": grid.code, "due_soon": "on"}),
    }


@login_required
@require_GET
def leader(request: HttpRequest) -> HttpResponse:
    """One big row per grid worker of the grids the viewer supervises (`?grid=` narrows to one)."""
    user = request.user
    grid_code = request.GET.get("grid", "").strip()[:15]
    grids = selectors_leader.leader_grids(user=user, grid_code=grid_code)
    too_many = len(grids) > selectors_leader.GRID_LIMIT
    grids = grids[: selectors_leader.GRID_LIMIT]
    view = selectors_leader.leader_view(grids=grids, now=timezone.now())
    access = selectors_work.work_access(user)
    return render(
        request,
        "cases/leader.html",
        {
            "rows": [{"row": row, "links": _links(row.grid, access.centre)} for row in view.rows],
            "unstaffed": [
                {"grid": grid, "open": n_open, "overdue": n_overdue, "due_soon": n_soon}
                for grid, n_open, n_overdue, n_soon in view.unstaffed
            ],
            "grids": grids,
            "grid_code": grid_code,
            "too_many": too_many,
            "due_soon_hours": settings.CASE_DUE_SOON_HOURS,
            "work_links": work_links(access),
            "work_current": "leader",
        },
    )
