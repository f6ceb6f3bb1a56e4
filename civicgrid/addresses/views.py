"""The standard address register's pages (phone first): a place's register, an address, add, correct,
merge, retire, aliases, and the workbook import. Views parse input and call `access`, `selectors`,
`presenters` and `services`; refusals of `access` become 403/404 pages (core middleware)."""

from __future__ import annotations

from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from civicgrid.addresses import access, importer, presenters, selectors, services
from civicgrid.addresses.forms import AddressForm, AliasForm, UploadForm
from civicgrid.addresses.models import Address, AddressAlias
from civicgrid.core.errors import ApplicationError, NotFound
from civicgrid.lib import keyset
from civicgrid.places import display
from civicgrid.places.models import Place

SESSION_KEY = "address_import"
STATUS_TABS = (Address.Status.ACTIVE, Address.Status.MERGED, Address.Status.RETIRED)


def _base(request: HttpRequest, current: str = "register") -> dict:
    return {"sub_links": presenters.sub_links(request.user, current), **display.tiles()}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Open the register on the user's own place: a grid worker's grid, a cadre's village, ..."""
    access.check_use(request.user)
    place = selectors.default_place(request.user)
    if place is None:
        raise NotFound(_("No place has a register yet."))
    return _place(request, place)


@login_required
def place_page(request: HttpRequest, code: str) -> HttpResponse:
    return _place(request, access.place_for(request.user, code))


def _place(request: HttpRequest, place: Place) -> HttpResponse:
    """A place's register: counts, a search box, its addresses (grid, village) or its places (above)."""
    user = request.user
    query = " ".join(request.GET.get("q", "").split())[:100]
    status = request.GET.get("status", Address.Status.ACTIVE)
    if status not in STATUS_TABS:
        status = Address.Status.ACTIVE
    listed = place.level in selectors.LISTED_LEVELS
    context = {
        **_base(request),
        "place": place,
        "chain": presenters.breadcrumb(user, place),
        "query": query,
        "status": status,
        "status_tabs": [(s, Address.Status(s).label) for s in STATUS_TABS],
        "counts": selectors.address_counts(place) if listed else None,
        "children": selectors.children_counts(place) if place.level != Place.Level.GRID else [],
        "listed": listed,
        "can_add": listed and access.can_keep(user, place),
        "results": None,
        "page": None,
    }
    if query:
        context["results"] = selectors.address_search(place=place, text=query)
    elif listed:
        try:
            context["page"] = selectors.address_page(
                place=place, status=status, cursor=request.GET.get("after", "")
            )
        except keyset.InvalidCursor:
            context["page"] = selectors.address_page(place=place, status=status)
    return render(request, "addresses/place.html", context)


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    address = access.address_for(request.user, pk)
    view = presenters.address_view(request.user, address)
    return render(
        request,
        "addresses/detail.html",
        {
            **_base(request),
            "view": view,
            "address": address,
            "alias_form": AliasForm(),
            "chain": presenters.breadcrumb(request.user, address.grid),
        },
    )


def _grid_from(form: AddressForm, grids: list[Place]) -> Place | None:
    code = form.cleaned_data.get("grid")
    return next((g for g in grids if g.code == code), None)


def _point(form: AddressForm) -> dict:
    data = form.cleaned_data
    return {
        "lon": data.get("lon") or None,
        "lat": data.get("lat") or None,
        "crs": data.get("crs") or display.crs(),
    }


def _duplicate_link(exc: ApplicationError) -> dict | None:
    if exc.code == "duplicate" and exc.extra.get("url"):
        return {"url": exc.extra["url"], "text": exc.extra.get("text", "")}
    return None


@login_required
@require_http_methods(["GET", "POST"])
def add(request: HttpRequest) -> HttpResponse:
    """Add an address to a grid the user keeps (`?in=` a grid, or a village to choose its grid)."""
    user = request.user
    code = request.GET.get("in") or request.POST.get("in") or ""
    if not code:
        # No place named: the user's own (a grid worker's grid), as the register opens.
        access.check_use(user)
        own = selectors.default_place(user)
        code = own.code if own is not None else ""
    place = access.place_for(user, code)
    grids = list(selectors.grids_of(place)[:500])
    if not grids:
        raise NotFound(_("No grid here to add an address to."))
    form = AddressForm(request.POST or None, grids=grids, initial={"crs": display.crs()})
    duplicate = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            grid = _grid_from(form, grids)
            data = form.cleaned_data
            try:
                address = services.address_add(
                    user=user,
                    grid=grid,  # type: ignore[arg-type]
                    road=data["road"],
                    number=data["number"],
                    compound=data["compound"],
                    building=data["building"],
                    unit=data["unit"],
                    aliases=form.alias_list(),
                    **_point(form),
                )
            except ApplicationError as exc:
                form.add_service_error(exc)
                duplicate = _duplicate_link(exc)
            else:
                messages.success(request, _("Added: %(text)s") % {"text": address.text})
                return redirect("addresses:detail", pk=address.pk)
        status = 400
    return render(
        request,
        "addresses/form.html",
        {
            **_base(request),
            "form": form,
            "place": place,
            "address": None,
            "duplicate": duplicate,
            "map": presenters.map_data(place if presenters.grid_outline(place) else grids[0]),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct an address's parts and point; the old text is kept as a former name."""
    user = request.user
    address = access.address_for(user, pk)
    access.check_keep(user, address.grid)
    if address.status != Address.Status.ACTIVE:
        messages.error(request, _("Only an address in use can be corrected."))
        return redirect("addresses:detail", pk=address.pk)
    point = display.point(address.lon, address.lat) if address.lon is not None else None
    initial = {
        "grid": address.grid.code,
        **{name: getattr(address, name) for name in services.PARTS},
        "lon": f"{point[0]:.6f}" if point else "",
        "lat": f"{point[1]:.6f}" if point else "",
        "crs": display.crs(),
    }
    form = AddressForm(request.POST or None, grids=[address.grid], with_aliases=False, initial=initial)
    duplicate = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.address_update(
                    user=user,
                    address=address,
                    road=data["road"],
                    number=data["number"],
                    compound=data["compound"],
                    building=data["building"],
                    unit=data["unit"],
                    **_point(form),
                )
            except ApplicationError as exc:
                form.add_service_error(exc)
                duplicate = _duplicate_link(exc)
            else:
                messages.success(request, _("The address was corrected."))
                return redirect("addresses:detail", pk=address.pk)
        status = 400
    return render(
        request,
        "addresses/form.html",
        {
            **_base(request),
            "form": form,
            "place": address.grid,
            "address": address,
            "duplicate": duplicate,
            "map": presenters.map_data(address.grid, address),
        },
        status=status,
    )


def _search_place(user, address: Address) -> Place:
    """Where a duplicate of `address` is looked for: its village when the user keeps it, else its grid."""
    village = address.grid.parent
    if village is not None and access.can_keep(user, village):
        return village
    return address.grid


@login_required
@require_http_methods(["GET", "POST"])
def merge(request: HttpRequest, pk: int) -> HttpResponse:
    """Merge a duplicate into this address: search it, look at both, confirm."""
    user = request.user
    survivor = access.address_for(user, pk)
    access.check_keep(user, survivor.grid)
    if request.method == "POST":
        try:
            duplicate = access.address_for(user, request.POST.get("duplicate", ""))
            services.address_merge(user=user, duplicate=duplicate, survivor=survivor)
        except ApplicationError as exc:
            if exc.status in (403, 404):
                raise
            messages.error(request, exc.message)
            return redirect("addresses:merge", pk=survivor.pk)
        messages.success(
            request,
            _("Merged: %(duplicate)s is now an alias of this address.") % {"duplicate": duplicate.text},
        )
        return redirect("addresses:detail", pk=survivor.pk)
    query = " ".join(request.GET.get("q", "").split())[:100]
    chosen = None
    if request.GET.get("duplicate"):
        chosen = access.address_for(user, request.GET["duplicate"])
        if chosen.pk == survivor.pk or chosen.status != Address.Status.ACTIVE:
            chosen = None
    results = (
        selectors.address_search(place=_search_place(user, survivor), text=query, exclude=survivor)
        if query and chosen is None
        else None
    )
    return render(
        request,
        "addresses/merge.html",
        {
            **_base(request),
            "address": survivor,
            "query": query,
            "results": results,
            "chosen": chosen,
            "chosen_view": presenters.address_view(user, chosen) if chosen else None,
            "survivor_view": presenters.address_view(user, survivor),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def retire(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    address = access.address_for(user, pk)
    access.check_keep(user, address.grid)
    if request.method == "POST":
        try:
            services.address_retire(user=user, address=address)
        except ApplicationError as exc:
            if exc.status in (403, 404):
                raise
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The address is marked as no longer existing."))
        return redirect("addresses:detail", pk=address.pk)
    return render(request, "addresses/retire.html", {**_base(request), "address": address})


@login_required
@require_POST
def alias_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    address = access.address_for(user, pk)
    form = AliasForm(request.POST)
    if form.is_valid():
        try:
            services.alias_add(
                user=user, address=address, text=form.cleaned_data["text"], kind=form.cleaned_data["kind"]
            )
        except ApplicationError as exc:
            if exc.status in (403, 404):
                raise
            form.add_service_error(exc)
        else:
            messages.success(request, _("Other name added."))
            return redirect("addresses:detail", pk=address.pk)
    view = presenters.address_view(user, address)
    return render(
        request,
        "addresses/detail.html",
        {
            **_base(request),
            "view": view,
            "address": address,
            "alias_form": form,
            "chain": presenters.breadcrumb(user, address.grid),
        },
        status=400,
    )


@login_required
@require_POST
def alias_remove(request: HttpRequest, pk: int, alias_pk: int) -> HttpResponse:
    user = request.user
    address = access.address_for(user, pk)
    alias = AddressAlias.objects.filter(pk=alias_pk, address=address).first()
    if alias is None:
        raise NotFound(_("No such other name of this address."))
    services.alias_remove(user=user, alias=alias)
    messages.success(request, _("Other name removed: %(text)s") % {"text": alias.text})
    return redirect("addresses:detail", pk=address.pk)


# ---------------------------------------------------------------------------------------------
# Import


def _import_regions(user) -> list[Place]:
    places = access.keeper_places(user, roles=access.IMPORT_ROLES)
    if places:
        return places
    return list(Place.objects.filter(parent__isnull=True).order_by("code")) if access.can_import(user) else []


def _report(
    path: Path, region: Place, user, *, commit: bool
) -> tuple[list[importer.RowResult], dict[str, int]]:
    rows = importer.read_path(path)
    if not rows:
        raise importer.FileProblem(_("The workbook has a header row but no addresses."))
    results = importer.import_rows(rows=rows, region=region, user=user, commit=commit)
    return results, importer.outcome_counts(results)


@login_required
@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest) -> HttpResponse:
    """Check an uploaded workbook of addresses row by row; import it on confirmation.

    1. Only users who may import (`access.can_import`) get the page; others get 403.
    2. An upload is checked (type, size), kept under a random token in the session, and dry-run.
    3. "Import" (`step=commit`) imports the kept file if the token is the session's, then drops it.
    """
    user = request.user
    access.check_import(user)
    regions = _import_regions(user)
    by_code = {p.code: p for p in regions}
    form = UploadForm()
    context: dict = {"results": [], "counts": None, "committed": False, "token": "", "error": ""}
    status = 200
    region = by_code.get(request.POST.get("region", "")) or regions[0]
    if request.method == "POST" and request.POST.get("step") == "commit":
        token = request.POST.get("token", "")
        kept = request.session.get(SESSION_KEY) or {}
        path = importer.upload_path(token) if token and kept.get("token") == token else None
        region = by_code.get(kept.get("region", ""), region)
        if path is None:
            context["error"] = _("The checked workbook is no longer kept here. Upload it again to check it.")
            status = 400
        else:
            try:
                results, counts = _report(path, region, user, commit=True)
            except importer.FileProblem as exc:
                context["error"], status = str(exc), 400
            else:
                context.update(results=results, counts=counts, committed=True, filename=kept.get("name", ""))
            finally:
                importer.upload_drop(token)
                request.session.pop(SESSION_KEY, None)
    elif request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            previous = (request.session.get(SESSION_KEY) or {}).get("token", "")
            if previous:
                importer.upload_drop(previous)
            token = importer.upload_keep(upload.chunks(), form.suffix)
            try:
                results, counts = _report(importer.upload_path(token), region, user, commit=False)  # type: ignore[arg-type]
            except importer.FileProblem as exc:
                importer.upload_drop(token)
                context["error"], status = str(exc), 400
            else:
                request.session[SESSION_KEY] = {"token": token, "name": upload.name, "region": region.code}
                context.update(results=results, counts=counts, token=token, filename=upload.name)
        else:
            status = 400
    context.update({**_base(request, "import"), "form": form, "regions": regions, "region": region})
    return render(request, "addresses/import.html", context, status=status)


@login_required
def import_template(request: HttpRequest) -> HttpResponse:
    access.check_import(request.user)
    response = HttpResponse(
        importer.template_workbook(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="standard-addresses-template.xlsx"'
    return response
