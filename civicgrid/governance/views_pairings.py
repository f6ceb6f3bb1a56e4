"""Pages of pairings and people sent down, the town's figures, and the co-governance hub.

Views parse input and call the services, selectors and presenters of this part; every decision is in
`access` (through them). A refusal a view does not catch becomes the 403/404 page (`core.middleware`).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from civicgrid.accounts.models import Agency
from civicgrid.core.errors import ApplicationError, NotFound, PermissionDenied
from civicgrid.governance import (
    access,
    exports_pairings,
    figures,
    navigation,
    presenters_pairings,
    selectors_pairings,
    services_pairings,
)
from civicgrid.governance.forms_pairings import (
    ActivityForm,
    EndForm,
    EnvoyForm,
    FiguresForm,
    PairingForm,
    SupportForm,
)
from civicgrid.governance.models import Envoy, Matter, Pairing
from civicgrid.lib import keyset
from civicgrid.places.models import Place

TEMPLATES = "governance/pairings/"


def _place(request: HttpRequest, code: str) -> Place:
    try:
        return selectors_pairings.place_get(request.user, code)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _pairing(request: HttpRequest, pk: int) -> Pairing:
    pairing = selectors_pairings.pairing_get(request.user, pk)
    if pairing is None:
        raise Http404(_("No such pairing."))
    return pairing


def _envoy(request: HttpRequest, pk: int) -> Envoy:
    envoy = selectors_pairings.envoy_get(request.user, pk)
    if envoy is None:
        raise Http404(_("No such person sent down."))
    return envoy


def _paged(call):
    try:
        return call()
    except keyset.InvalidCursor:
        raise Http404(_("This page of results does not exist.")) from None


# --- The hub -------------------------------------------------------------------------------------


@require_GET
def hub(request: HttpRequest) -> HttpResponse:
    """Co-governance's front door: a link to each part the visitor may use (the public board for all)."""
    return render(
        request,
        TEMPLATES + "hub.html",
        {"links": navigation.hub_links(request.user), "signed_in": request.user.is_authenticated},
    )


# --- Places --------------------------------------------------------------------------------------


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """Open the pairings where the viewer stands: their widest place, or their agency's pairings."""
    place = selectors_pairings.home_place(request.user)
    if place is not None:
        return redirect("governance:pairings_place", code=place.code)
    agency = selectors_pairings.home_agency(request.user)
    if agency is not None:
        return redirect("governance:pairings_partner", agency_id=agency.pk)
    raise PermissionDenied(_("Pairings are for the staff of a town, its villages and paired agencies."))


@login_required
@require_GET
def place_page(request: HttpRequest, code: str) -> HttpResponse:
    """A district's towns, a town's villages and pairings, a village's pairings and people sent down,
    or a grid's people sent down."""
    place = _place(request, code)
    user = request.user
    cursor = request.GET.get("after", "")
    can_manage = access.can_manage_pairings(user, place)
    context: dict = {
        "place": place,
        "trail": selectors_pairings.trail(user, place),
        "can_manage": can_manage,
        "can_pair": can_manage and place.level in (Place.Level.TOWN, Place.Level.VILLAGE),
        "can_send": can_manage and place.level in (Place.Level.VILLAGE, Place.Level.GRID),
        "is_first": not cursor,
        "show_village": place.level == Place.Level.TOWN,
        "children": selectors_pairings.children_summary(user, place),
        "can_figures": place.level == Place.Level.TOWN and access.can_view_figures(user, place),
    }
    if place.level == Place.Level.TOWN:
        page = _paged(lambda: selectors_pairings.pairings_in_town(user, place, cursor=cursor))
        context["pairings"] = [presenters_pairings.pairing_view(user, p) for p in page.items]
        context["next_cursor"] = page.next_cursor
    elif place.level == Place.Level.VILLAGE:
        pairings = selectors_pairings.pairings_in_village(user, place)
        context["pairings"] = [presenters_pairings.pairing_view(user, p) for p in pairings]
        page = _paged(lambda: selectors_pairings.envoys_in_village(user, place, cursor=cursor))
        context["envoys"] = [presenters_pairings.envoy_view(user, e) for e in page.items]
        context["next_cursor"] = page.next_cursor
    elif place.level == Place.Level.GRID:
        context["panel"] = presenters_pairings.grid_envoys_panel(user, place)
    return render(request, TEMPLATES + "place.html", context)


@login_required
@require_GET
def partner(request: HttpRequest, agency_id: int) -> HttpResponse:
    """An agency's pairings with villages (its staff see all; region staff those in their region)."""
    agency = Agency.objects.filter(pk=agency_id).first()
    if agency is None:
        raise Http404(_("No such agency."))
    rows = selectors_pairings.pairings_of_agency(request.user, agency)
    if not rows and agency.pk not in access.claimable_agency_ids(request.user):
        raise Http404(_("No such agency."))
    return render(
        request,
        TEMPLATES + "partner.html",
        {"agency": agency, "pairings": [presenters_pairings.pairing_view(request.user, p) for p in rows]},
    )


# --- Pairings ------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def pairing_new(request: HttpRequest, code: str) -> HttpResponse:
    """Pair an agency or a financial institution with a village (of the town, or this village)."""
    place = _place(request, code)
    if place.level not in (Place.Level.TOWN, Place.Level.VILLAGE):
        raise Http404(_("Pairings are made with a village: open its town or the village."))
    if not access.can_manage_pairings(request.user, place):
        raise PermissionDenied(_("You may not record the pairings of this village."))
    villages = [place] if place.level == Place.Level.VILLAGE else selectors_pairings.villages_of(place)
    agencies = selectors_pairings.agencies_for_pairing()
    form = PairingForm(request.POST or None, villages=villages, agencies=agencies)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        village = next(v for v in villages if v.code == data["village"])
        agency = next((a for a in agencies if a.pk == data["agency"]), None)
        try:
            pairing = services_pairings.pairing_create(
                actor=request.user,
                kind=data["kind"],
                village=village,
                agency=agency,
                partner_name=data["partner_name"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                note=data["note"],
            )
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The pairing is recorded."))
            return redirect("governance:pairings_detail", pk=pairing.pk)
    return render(request, TEMPLATES + "pairing_form.html", {"form": form, "place": place})


@login_required
@require_GET
def pairing_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A pairing: what it is, its support in total and month by month, and every record, latest first."""
    pairing = _pairing(request, pk)
    totals = selectors_pairings.support_totals([pairing.pk]).get(pairing.pk, selectors_pairings.Totals())
    months = selectors_pairings.support_by_month(pairing)
    page = _paged(lambda: selectors_pairings.support_page(pairing, cursor=request.GET.get("after", "")))
    envoys = [
        presenters_pairings.envoy_view(request.user, e) for e in selectors_pairings.envoys_of_pairing(pairing)
    ]
    return render(
        request,
        TEMPLATES + "pairing.html",
        {
            "pairing": presenters_pairings.pairing_view(request.user, pairing, totals),
            "village": pairing.village,
            "months": months,
            "records": [presenters_pairings.support_view(r) for r in page.items],
            "next_cursor": page.next_cursor,
            "is_first": not request.GET.get("after"),
            "envoys": envoys,
            "chart": presenters_pairings.pairing_chart(months),
            "has_support": totals.records > 0,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def pairing_end(request: HttpRequest, pk: int) -> HttpResponse:
    pairing = _pairing(request, pk)
    if not access.can_manage_pairings(request.user, pairing.village):
        raise PermissionDenied(_("You may not record the pairings of this village."))
    form = EndForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services_pairings.pairing_end(
                actor=request.user,
                pairing=pairing,
                ends_on=form.cleaned_data["ends_on"],
                note=form.cleaned_data["note"],
            )
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The pairing is ended; its record stays."))
            return redirect("governance:pairings_detail", pk=pairing.pk)
    return render(
        request,
        TEMPLATES + "end.html",
        {
            "form": form,
            "title": _("End the pairing with %(village)s") % {"village": pairing.village.display_name},
            "subject": pairing.partner_name,
            "back": reverse("governance:pairings_detail", args=[pairing.pk]),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def support_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Record support given under a pairing (town managers, and the paired agency's staff)."""
    pairing = _pairing(request, pk)
    if not access.can_record_support(request.user, pairing):
        raise PermissionDenied(_("You may not record support for this pairing."))
    matters = selectors_pairings.matters_for_support(pairing)
    form = SupportForm(request.POST or None, matters=matters)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        matter = Matter.objects.filter(pk=data["matter"]).first() if data["matter"] else None
        try:
            services_pairings.support_record(
                actor=request.user,
                pairing=pairing,
                kind=data["kind"],
                on=data["on"],
                amount=data["amount"],
                matter=matter,
                note=data["note"],
            )
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The support is recorded."))
            return redirect("governance:pairings_detail", pk=pairing.pk)
    return render(
        request,
        TEMPLATES + "support_form.html",
        {"form": form, "pairing": presenters_pairings.pairing_view(request.user, pairing)},
    )


# --- People sent down ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def envoy_new(request: HttpRequest, code: str) -> HttpResponse:
    """Send a person down to a grid (of this village, or this grid)."""
    place = _place(request, code)
    if place.level not in (Place.Level.VILLAGE, Place.Level.GRID):
        raise Http404(_("People are sent down to a grid: open its village or the grid."))
    if not access.can_manage_pairings(request.user, place):
        raise PermissionDenied(_("You may not record the people sent down to this grid."))
    grids = [place] if place.level == Place.Level.GRID else selectors_pairings.grids_of(place)
    village = place if place.level == Place.Level.VILLAGE else place.parent
    pairings = selectors_pairings.pairings_for_envoy_choice(village)
    form = EnvoyForm(request.POST or None, grids=grids, pairings=pairings)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        grid = next(g for g in grids if g.code == data["grid"])
        try:
            user = None
            if data["username"]:
                user = selectors_pairings.account_named(data["username"])
                if user is None:
                    raise ApplicationError(
                        _("No account has this user name."),
                        extra={"fields": {"user": _("No account has this user name.")}},
                    )
            envoy = services_pairings.envoy_create(
                actor=request.user,
                grid=grid,
                kind=data["kind"],
                name=data["name"],
                organisation=data["organisation"],
                role=data["role"],
                phone=data["phone"],
                user=user,
                pairing=next((p for p in pairings if p.pk == data.get("pairing")), None),
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
            )
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The person sent down is recorded."))
            return redirect("governance:pairings_envoy", pk=envoy.pk)
    return render(request, TEMPLATES + "envoy_form.html", {"form": form, "place": place})


@login_required
@require_GET
def envoy_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A person sent down: who they are, their activity (latest first) and the cases they handled."""
    envoy = _envoy(request, pk)
    page = _paged(lambda: selectors_pairings.activity_page(envoy, cursor=request.GET.get("after", "")))
    cases = selectors_pairings.envoy_cases(envoy)
    return render(
        request,
        TEMPLATES + "envoy.html",
        {
            "envoy": presenters_pairings.envoy_view(request.user, envoy),
            "village": envoy.village,
            "pairing": envoy.pairing,
            "activities": [presenters_pairings.activity_view(a) for a in page.items],
            "next_cursor": page.next_cursor,
            "is_first": not request.GET.get("after"),
            "cases": [presenters_pairings.case_line(c) for c in cases],
            "cases_cap": selectors_pairings.ENVOY_CASES_CAP,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def envoy_end(request: HttpRequest, pk: int) -> HttpResponse:
    envoy = _envoy(request, pk)
    if not access.can_manage_pairings(request.user, envoy.grid):
        raise PermissionDenied(_("You may not record the people sent down to this grid."))
    form = EndForm(request.POST or None, with_note=False)
    if request.method == "POST" and form.is_valid():
        try:
            services_pairings.envoy_end(actor=request.user, envoy=envoy, ends_on=form.cleaned_data["ends_on"])
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The term is ended; the record stays."))
            return redirect("governance:pairings_envoy", pk=envoy.pk)
    return render(
        request,
        TEMPLATES + "end.html",
        {
            "form": form,
            "title": _("End the term of %(name)s in the grid") % {"name": envoy.name},
            "subject": envoy.grid.display_name,
            "back": reverse("governance:pairings_envoy", args=[envoy.pk]),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def activity_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Record what a person sent down did (themselves, their grid's staff, the managers)."""
    envoy = _envoy(request, pk)
    if not access.can_record_envoy_activity(request.user, envoy):
        raise PermissionDenied(_("You may not record this person's activity."))
    form = ActivityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = None
            if data["case_number"]:
                case = selectors_pairings.case_in_grid(data["case_number"], envoy.grid)
                if case is None:
                    raise ApplicationError(
                        _("No case of this grid has that tracking number."),
                        extra={"fields": {"case": _("No case of this grid has that tracking number.")}},
                    )
            services_pairings.envoy_activity_record(
                actor=request.user,
                envoy=envoy,
                kind=data["kind"],
                on=data["on"],
                note=data["note"],
                case=case,
            )
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The activity is recorded."))
            return redirect("governance:pairings_envoy", pk=envoy.pk)
    return render(
        request,
        TEMPLATES + "activity_form.html",
        {"form": form, "envoy": presenters_pairings.envoy_view(request.user, envoy)},
    )


# --- Figures -------------------------------------------------------------------------------------


def _figures_input(request: HttpRequest) -> tuple[FiguresForm, Place, figures.Period, list[str]]:
    """The town and period the figures page (or its export) asks for; the current month by default.
    Errors in the period fall back to the current month and are returned to be shown."""
    towns = figures.figure_towns(request.user)
    if not towns:
        raise PermissionDenied(_("The figures are for the staff of a town and the administrators above."))
    form = FiguresForm(request.GET or None, towns=towns)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    code = data.get("town") or request.GET.get("town", "")
    town = next((t for t in towns if t.code == code), towns[0])
    problems: list[str] = []
    try:
        period = figures.period_of(
            data.get("period") or "month",
            month=data.get("month") or "",
            quarter=data.get("quarter") or "",
            since=data.get("since"),
            until=data.get("until"),
        )
    except ApplicationError as exc:
        problems = [str(m) for m in exc.extra.get("fields", {}).values()] or [exc.message]
        period = figures.period_of("month")
    return form, town, period, problems


def _figures_query(town: Place, period: figures.Period) -> str:
    params = {"town": town.code, "period": period.kind}
    if period.kind == "month":
        params["month"] = f"{period.start:%Y-%m}"
    elif period.kind == "quarter":
        params["quarter"] = period.key
    else:
        params.update(since=period.start.isoformat(), until=period.end.isoformat())
    return urlencode(params)


@login_required
@require_GET
def figures_page(request: HttpRequest) -> HttpResponse:
    """The town's figures for a month, a quarter or days chosen: charts over tables that say the same."""
    form, town, period, problems = _figures_input(request)
    data = figures.town_figures(request.user, town, period)
    steps = {}
    today = timezone.localdate()
    for name, other in (("previous", period.previous()), ("next", period.next())):
        if other is not None and other.start <= today:
            steps[name] = (other.label, "?" + _figures_query(town, other))
    return render(
        request,
        TEMPLATES + "figures.html",
        {
            "form": form,
            "figures": data,
            "problems": problems,
            "steps": steps,
            "chart": presenters_pairings.figures_chart(data),
            "export_url": reverse("governance:pairings_figures_export") + "?" + _figures_query(town, period),
        },
    )


@login_required
@require_GET
def figures_export(request: HttpRequest) -> HttpResponse:
    _form, town, period, _problems = _figures_input(request)
    written = exports_pairings.figures_export(user=request.user, town=town, period=period)
    return FileResponse(
        written.file,
        as_attachment=True,
        filename=written.filename,
        content_type=exports_pairings.CONTENT_TYPE,
    )
