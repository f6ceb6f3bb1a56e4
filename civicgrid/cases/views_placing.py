"""The placing page of an unrouted case: pick its address from the register, or tap its point on the
map (`cases.placing`). Reached from the unrouted list beside the work map and from the case's page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from civicgrid.cases import placing, selectors, selectors_work
from civicgrid.cases.views_common import work_links
from civicgrid.core.errors import ApplicationError, NotFound
from civicgrid.places import display


def _back(request: HttpRequest, target: str) -> str:
    """Where to go after placing: the page the operator came from (the work map), else the map."""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("cases:map")


@login_required
@require_http_methods(["GET", "POST"])
def place(request: HttpRequest, number: str) -> HttpResponse:
    """Show the case's address text, the register's guesses (`?q=` searches again) and a map of the
    town's grids; on POST place it (`placing.case_place`) and go back with a success message.

    Who may not place it gets 403 (`access.check_place`); a case placed meanwhile goes to its page.
    """
    user = request.user
    try:
        case = selectors.case_get_for_user(user=user, tracking_number=number)
    except NotFound as exc:
        raise Http404(exc.message) from None
    back = _back(request, request.POST.get("next") or request.GET.get("next", ""))
    if case.routed:
        messages.info(request, _("This case is already in a grid."))
        return redirect(case.get_absolute_url())
    error, fields, status = "", {}, 200
    if request.method == "POST":
        try:
            placed = placing.case_place(
                case=case,
                user=user,
                address_id=request.POST.get("address"),
                lon=request.POST.get("lon"),
                lat=request.POST.get("lat"),
                crs=display.crs(),
                note=request.POST.get("note", ""),
            )
        except ApplicationError as exc:
            if exc.status == 403:
                raise
            error, status = exc.message, exc.status
            fields = exc.extra.get("fields", {}) if isinstance(exc.extra, dict) else {}
            case.refresh_from_db()
        else:
            grid = placed.grid
            messages.success(
                request,
                _("%(number)s was placed in %(grid)s.")
                % {"number": placed.tracking_number, "grid": grid.display_name if grid else ""},
            )
            return redirect(back)
    view = placing.placing_get(case=case, user=user, query=request.GET.get("q"))
    config = {
        **placing.placing_map(case),
        "labels": {
            "here": _("Place it here"),
            "chosen": _("Point chosen. Check it, then place the case."),
            "outside": _("That point lies in no grid. Tap inside a grid outline."),
        },
    }
    context = {
        "placing": view,
        "config": config,
        "error": error,
        "fields": {name: str(message) for name, message in fields.items()},
        "next": back,
        "work_links": work_links(selectors_work.work_access(user)),
        "work_current": "map",
        **display.tiles(),
    }
    return render(request, "cases/placing.html", context, status=status)
