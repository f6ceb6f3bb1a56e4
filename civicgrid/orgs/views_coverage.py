"""Coverage pages under /orgs/coverage/: the dashboard with its drill-down, the target list and a target's
page (its links, adding and ending one), adding a target, importing targets, and the Excel exports.

Views parse input and call `coverage` (services and selectors), `targets_import` and
`exports_coverage`; every decision of who may is in `access` (through them).
"""

from __future__ import annotations

import base64
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from civicgrid.core.errors import ApplicationError, NotFound
from civicgrid.core.htmx import is_htmx_partial
from civicgrid.core.scopes import is_root
from civicgrid.lib.keyset import InvalidCursor
from civicgrid.orgs import access, coverage, exports_coverage, targets_import
from civicgrid.orgs.forms_coverage import (
    ImportForm,
    LinkEndForm,
    LinkForm,
    TargetFilterForm,
    TargetForm,
    place_error,
)
from civicgrid.orgs.models import CoverageKind, CoverageLink, TargetCategory
from civicgrid.places.models import Place

SESSION_IMPORT = "orgs_targets_import"


def _check_use(request: HttpRequest) -> None:
    if not access.can_use(request.user):
        raise access.refuse()


def _place(request: HttpRequest) -> Place | None:
    """The region named by `?place=<code>`, or None; unknown codes are not found."""
    code = (request.GET.get("place") or "").strip()
    if not code:
        return None
    place = Place.objects.select_related("parent__parent__parent").filter(code=code).first()
    if place is None:
        raise NotFound(_("No such region."))
    return place


def _day(request: HttpRequest) -> date | None:
    """The day of `?on=YYYY-MM-DD` (None: today); a day that is not one, or in the future, says so and
    shows today."""
    text = (request.GET.get("on") or "").strip()
    if not text:
        return None
    try:
        day = parse_date(text)
    except ValueError:
        day = None
    if day is None or day > timezone.localdate() or day.year < 2000:
        messages.error(request, _("Choose a day up to today, e.g. 2026-09-30; today's figures are shown."))
        return None
    return None if day == timezone.localdate() else day


def _choice(value: str | None, allowed) -> str:
    return value if value in allowed else ""


def can_add_targets(user) -> bool:
    return is_root(user) or bool(access.manageable_places(user))


def _trail(place: Place | None) -> list[Place]:
    trail = []
    node = place
    while node is not None:
        trail.append(node)
        node = node.parent
    return list(reversed(trail))


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Rates per category × kind for a region (default: the user's own), its child regions, charts."""
    _check_use(request)
    place = _place(request)
    category = _choice(request.GET.get("category"), TargetCategory.values)
    kind = _choice(request.GET.get("kind"), CoverageKind.values) or CoverageKind.ORGANISATION.value
    own = access.coverage_places(request.user)
    if place is None and len(own) == 1 and not is_root(request.user):
        place = own[0]
    day = _day(request)
    result = coverage.rates(request.user, place, category or None, on=day)
    drill = coverage.breakdown(request.user, place, category or None, kind)
    series = coverage.snapshot_series(request.user, place, category or None, kind)
    visible = [p.pk for p in own]
    trail = [p for p in _trail(place) if is_root(request.user) or any(p.is_within(o) for o in own)]
    chart = {
        "regions": [r.place.display_name if r.place else _("Directly in the region") for r in drill.rows],
        "rates": [None if r.rate is None else round(r.rate * 100, 1) for r in drill.rows],
        "months": [s["month"].strftime("%Y-%m") for s in series],
        "series": [None if s["rate"] is None else round(s["rate"] * 100, 1) for s in series],
        "rate_label": _("Coverage rate (%)"),
    }
    context = {
        "place": place,
        "trail": trail,
        "rates": result,
        "rows": result.rows(),
        "kinds": CoverageKind.choices,
        "categories": TargetCategory.choices,
        "category": category,
        "kind": kind,
        "kind_label": CoverageKind(kind).label,
        "drill": drill,
        "series": series,
        "chart": chart,
        "own_ids": visible,
        "can_add": can_add_targets(request.user),
        "total_active": result.cell(None, CoverageKind.ORGANISATION.value).active,
        "on": day,
        "on_param": f"&on={day.isoformat()}" if day else "",
    }
    template = "orgs/coverage_panel.html" if is_htmx_partial(request) else "orgs/coverage.html"
    return render(request, template, context)


def _filters(request: HttpRequest, form: TargetFilterForm) -> coverage.TargetFilter:
    data = form.cleaned_data if form.is_valid() else {}
    place = None
    code = (data.get("region") or "").strip()
    if code:
        place = Place.objects.filter(code=code).first()
        if place is None:
            raise NotFound(_("No such region."))
    return coverage.TargetFilter(
        place=place,
        category=data.get("category") or "",
        kind=data.get("kind") or "",
        covered=data.get("covered") or "",
        q=data.get("q") or "",
        include_closed=bool(data.get("closed")),
    )


@login_required
def targets(request: HttpRequest) -> HttpResponse:
    """The targets the user may see, filtered, newest first, by keyset pages."""
    _check_use(request)
    form = TargetFilterForm(request.GET or None)
    filters = _filters(request, form)
    try:
        page = coverage.target_page(request.user, filters, cursor=request.GET.get("after", ""))
    except InvalidCursor:
        page = coverage.target_page(request.user, filters)
    query = request.GET.copy()
    query.pop("after", None)
    context = {
        "form": form,
        "items": page.items,
        "next_cursor": page.next_cursor,
        "query": query.urlencode(),
        "filtered": any(v for k, v in request.GET.items() if k != "after"),
        "can_add": can_add_targets(request.user),
        "kinds": [(k, coverage.KIND_FIELD[k]) for k in coverage.KINDS],
    }
    template = "orgs/targets_rows.html" if is_htmx_partial(request) else "orgs/targets.html"
    return render(request, template, context)


def _target_context(request: HttpRequest, target, link_form=None, end_form=None, end_link=None) -> dict:
    organisations = coverage.link_organisations(request.user, target)
    links = coverage.target_links(target)
    return {
        "target": target,
        "links": [(link, access.can_end_link(request.user, link)) for link in links],
        "link_form": link_form
        or LinkForm(organisations=organisations, initial={"valid_from": timezone.localdate()}),
        "end_form": end_form or LinkEndForm(initial={"valid_to": timezone.localdate()}),
        "end_link": end_link,
        "can_link": organisations.exists(),
        "can_edit": access.can_manage_target(request.user, target.region),
        "today": timezone.localdate(),
    }


@login_required
@require_http_methods(["GET", "POST"])
def target(request: HttpRequest, pk: int) -> HttpResponse:
    """A target with its links; who may adds a link here (POST)."""
    item = coverage.target_for(request.user, pk)
    link_form = None
    status = 200
    if request.method == "POST":
        organisations = coverage.link_organisations(request.user, item)
        link_form = LinkForm(request.POST, request.FILES, organisations=organisations)
        if link_form.is_valid():
            data = link_form.cleaned_data
            try:
                coverage.link_create(
                    actor=request.user,
                    target=item,
                    organisation=data["organisation"],
                    mode=data["mode"],
                    kind=data["kind"],
                    valid_from=data["valid_from"],
                    valid_to=data["valid_to"],
                    evidence=data["evidence"],
                    files=data["files"],
                )
            except ApplicationError as exc:
                if exc.status == 403:
                    raise
                place_error(link_form, exc)
            else:
                messages.success(request, _("The coverage link is recorded."))
                return redirect("orgs:coverage_target", pk=item.pk)
        status = 400
        item = coverage.target_for(request.user, pk)
    return render(
        request, "orgs/target.html", _target_context(request, item, link_form=link_form), status=status
    )


@login_required
@require_POST
def link_end(request: HttpRequest, pk: int) -> HttpResponse:
    link = CoverageLink.objects.select_related("target").filter(pk=pk).first()
    if link is None:
        raise NotFound(_("No such coverage link."))
    item = coverage.target_for(request.user, link.target_id)
    form = LinkEndForm(request.POST)
    if form.is_valid():
        try:
            coverage.link_end(
                actor=request.user,
                link=link,
                valid_to=form.cleaned_data["valid_to"],
                reason=form.cleaned_data["reason"],
            )
        except ApplicationError as exc:
            if exc.status == 403:
                raise
            place_error(form, exc)
        else:
            messages.success(request, _("The coverage link is ended; it stays on record."))
            return redirect("orgs:coverage_target", pk=item.pk)
    context = _target_context(request, item, end_form=form, end_link=link.pk)
    return render(request, "orgs/target.html", context, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def target_new(request: HttpRequest) -> HttpResponse:
    """Add a target (those whose federation covers a region)."""
    _check_use(request)
    if not can_add_targets(request.user):
        raise access.refuse(_("Only federation cadres add coverage targets, within their own region."))
    form = TargetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            made = coverage.target_create(actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            if exc.status == 403:
                raise
            place_error(form, exc)
        else:
            messages.success(request, _("The target “%(name)s” is added.") % {"name": made.name})
            return redirect("orgs:coverage_target", pk=made.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "orgs/target_form.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def target_import(request: HttpRequest) -> HttpResponse:
    """Check a workbook of targets row by row (a dry run); import it on confirmation (all or nothing)."""
    _check_use(request)
    if not can_add_targets(request.user):
        raise access.refuse(_("Only federation cadres add coverage targets, within their own region."))
    form = ImportForm()
    context: dict = {"results": None, "committed": False, "error": ""}
    status = 200
    if request.method == "POST" and request.POST.get("step") == "commit":
        kept = request.session.pop(SESSION_IMPORT, None) or {}
        if not kept:
            context["error"], status = _("The checked workbook is no longer kept here. Upload it again."), 400
        else:
            rows = targets_import.read_rows(base64.b64decode(kept["data"]), kept["name"])
            results = targets_import.import_targets(actor=request.user, rows=rows, commit=True)
            context.update(results=results, committed=not any(r.outcome == "failed" for r in results))
    elif request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            raw = upload.read()
            try:
                rows = targets_import.read_rows(raw, upload.name)
            except targets_import.FileProblem as exc:
                context["error"], status = str(exc), 400
            else:
                context["results"] = targets_import.import_targets(
                    actor=request.user, rows=rows, commit=False
                )
                if not any(r.outcome == "failed" for r in context["results"]):
                    request.session[SESSION_IMPORT] = {
                        "name": upload.name,
                        "data": base64.b64encode(raw).decode(),
                    }
        else:
            status = 400
    if context["results"] is not None:
        context["counts"] = {
            k: sum(r.outcome == k for r in context["results"]) for k in ("add", "update", "failed")
        }
    context["form"] = form
    return render(request, "orgs/target_import.html", context, status=status)


@login_required
def export_coverage(request: HttpRequest) -> HttpResponse:
    _check_use(request)
    category = _choice(request.GET.get("category"), TargetCategory.values)
    written = exports_coverage.coverage_table_export(
        user=request.user, place=_place(request), category=category or None
    )
    return FileResponse(
        written.file,
        as_attachment=True,
        filename=written.filename,
        content_type=exports_coverage.CONTENT_TYPE,
    )


@login_required
def export_targets(request: HttpRequest) -> HttpResponse:
    _check_use(request)
    form = TargetFilterForm(request.GET or None)
    written = exports_coverage.targets_export(user=request.user, filters=_filters(request, form))
    return FileResponse(
        written.file,
        as_attachment=True,
        filename=written.filename,
        content_type=exports_coverage.CONTENT_TYPE,
    )


def coverage_url(place: Place | None = None, **params) -> str:
    """The dashboard's address for `place` (used by the organisation pages to link here)."""
    query = "&".join(f"{k}={v}" for k, v in {"place": place.code if place else "", **params}.items() if v)
    return reverse("orgs:coverage") + (f"?{query}" if query else "")


urlpatterns = [
    path("coverage/", dashboard, name="coverage"),
    path("coverage/export.xlsx", export_coverage, name="coverage_export"),
    path("coverage/targets/", targets, name="coverage_targets"),
    path("coverage/targets/export.xlsx", export_targets, name="coverage_targets_export"),
    path("coverage/targets/new", target_new, name="coverage_target_new"),
    path("coverage/targets/<int:pk>/", target, name="coverage_target"),
    path("coverage/links/<int:pk>/end", link_end, name="coverage_link_end"),
    path("coverage/import/", target_import, name="coverage_import"),
]
