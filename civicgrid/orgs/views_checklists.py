"""Checklist and structure-target pages: completion by region with the overdue list, an
organisation's checklist (mark done, verify, reopen), evidence files, the templates, the structure
targets. Views parse input and call `checklists` and `structure`; every rule of who may is in `access`.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from civicgrid.core.errors import ApplicationError, NotFound, PermissionDenied
from civicgrid.orgs import access, checklists, structure
from civicgrid.orgs.forms_checklists import StructureForm, TaskDoneForm, TaskReopenForm, TemplateForm
from civicgrid.orgs.models import ChecklistTemplate, Organisation, Task
from civicgrid.places.models import Place

# The overdue list shows this many at a time (a phone scrolls; "next page" continues by keyset).
OVERDUE_PAGE = 20


def forbidden(request: HttpRequest, message: str | None = None) -> HttpResponse:
    return render(
        request,
        "403.html",
        {"message": message or _("You may not see or change this part of the organisation network.")},
        status=403,
    )


def _place(request: HttpRequest) -> Place | None:
    code = request.GET.get("place", "").strip()
    if not code:
        return None
    place = Place.objects.filter(code=code).first()
    if place is None:
        raise Http404()
    return place


@login_required
@never_cache
def overview(request: HttpRequest) -> HttpResponse:
    """Completion by region (drill down by `?place=`) and the overdue items there, oldest first."""
    place = _place(request)
    try:
        report = checklists.completion(request.user, place)
    except PermissionDenied as exc:
        return forbidden(request, exc.message)
    cursor = request.GET.get("after", "")
    try:
        page = checklists.overdue(request.user, report.place, cursor=cursor, size=OVERDUE_PAGE)
    except PermissionDenied as exc:
        return forbidden(request, exc.message)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        page = checklists.overdue(request.user, report.place, size=OVERDUE_PAGE)
    parents = []
    if report.place is not None:
        node = report.place.parent
        while node is not None:
            if access.can_view_region(request.user, node):
                parents.insert(0, node)
            node = node.parent
    return render(
        request,
        "orgs/checklists.html",
        {
            "report": report,
            "parents": parents,
            "overdue": page.items,
            "next_cursor": page.next_cursor,
            "can_set_up": access.can_set_up(request.user),
        },
    )


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def checklist(request: HttpRequest, org_id: int) -> HttpResponse:
    """An organisation's checklist; POST `action` (done, verify, reopen) on `task`, then back here
    (or to `next`, the organisation's page that includes the same partial)."""
    org = get_object_or_404(Organisation.objects.select_related("region"), pk=org_id)
    here = reverse("orgs:checklist", args=[org.pk])
    bound: dict = {}
    if request.method == "POST":
        task = Task.objects.filter(pk=request.POST.get("task") or 0, organisation=org).first()
        action = request.POST.get("action", "")
        if task is None or action not in ("done", "verify", "reopen"):
            raise Http404()
        form = None
        try:
            if action == "done":
                form = TaskDoneForm(request.POST, request.FILES)
                if form.is_valid():
                    checklists.task_done(
                        actor=request.user,
                        task=task,
                        note=form.cleaned_data["note"],
                        files=form.cleaned_data["files"],
                    )
                    messages.success(request, _("Marked done: “%(title)s”.") % {"title": task.item.title})
                    return redirect(_safe_next(request, here))
            elif action == "verify":
                checklists.task_verify(actor=request.user, task=task)
                messages.success(request, _("Verified: “%(title)s”.") % {"title": task.item.title})
                return redirect(_safe_next(request, here))
            else:
                form = TaskReopenForm(request.POST)
                if form.is_valid():
                    checklists.task_reopen(actor=request.user, task=task, reason=form.cleaned_data["reason"])
                    messages.success(request, _("Sent back: “%(title)s”.") % {"title": task.item.title})
                    return redirect(_safe_next(request, here))
        except PermissionDenied as exc:
            return forbidden(request, exc.message)
        except ApplicationError as exc:
            if form is None:
                messages.error(request, exc.message)
                return redirect(_safe_next(request, here))
            form.add_service_error(exc)
        bound = {"bound_task": task.pk, "bound_action": action, "bound_form": form}
    try:
        view = checklists.checklist_for(request.user, org)
    except PermissionDenied as exc:
        return forbidden(request, exc.message)
    return render(
        request,
        "orgs/checklist.html",
        {"organisation": org, "checklist": view, **bound},
        status=400 if bound else 200,
    )


@login_required
def evidence_file(request: HttpRequest, pk: int) -> FileResponse:
    """An evidence file, for those who may see its organisation (or its coverage link's target)."""
    try:
        item = checklists.evidence_of(request.user, pk)
    except NotFound:
        raise Http404() from None
    try:
        handle = item.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404() from None
    response = FileResponse(handle, content_type=item.content_type)
    # Private: a shared cache must never hand one organisation's evidence to someone else.
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def templates(request: HttpRequest) -> HttpResponse:
    """The checklist templates and their versions; a new version for those who may set up the network."""
    try:
        items = checklists.templates(request.user)
    except PermissionDenied as exc:
        return forbidden(request, exc.message)
    can_set_up = access.can_set_up(request.user)
    form = None
    if can_set_up:
        source = None
        if request.GET.get("from", "").isdigit():
            source = (
                ChecklistTemplate.objects.prefetch_related("items").filter(pk=request.GET["from"]).first()
            )
        form = TemplateForm(initial=TemplateForm.initial_for(source))
    if request.method == "POST":
        if not can_set_up:
            return forbidden(request, _("Only the city federation may change the set-up checklists."))
        form = TemplateForm(request.POST)
        if form.is_valid():
            try:
                template = checklists.template_create(
                    actor=request.user,
                    name=form.cleaned_data["name"],
                    kinds=form.cleaned_data["kinds"],
                    items=form.cleaned_data["items"],
                )
            except PermissionDenied as exc:
                return forbidden(request, exc.message)
            except ApplicationError as exc:
                form.add_service_error(exc)
            else:
                messages.success(
                    request,
                    _("Saved “%(name)s” version %(version)s: new organisations get it from now on.")
                    % {"name": template.name, "version": template.version},
                )
                return redirect("orgs:checklist_templates")
    return render(
        request,
        "orgs/checklist_templates.html",
        {"templates": items, "form": form, "can_set_up": can_set_up},
        status=400 if form is not None and form.errors else 200,
    )


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def structure_page(request: HttpRequest) -> HttpResponse:
    """Each region against each structure target, met or short; setting targets for those who may."""
    can_set_up = access.can_set_up(request.user)
    form = StructureForm() if can_set_up else None
    if request.method == "POST":
        if not can_set_up:
            return forbidden(request, _("Only the city federation may set structure targets."))
        form = StructureForm(request.POST)
        if form.is_valid():
            try:
                target = structure.structure_set(actor=request.user, **form.cleaned_data)
            except PermissionDenied as exc:
                return forbidden(request, exc.message)
            except ApplicationError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, _("Structure target “%(name)s” saved.") % {"name": target.name})
                return redirect("orgs:structure")
    try:
        report = structure.structure_report(request.user)
    except PermissionDenied as exc:
        return forbidden(request, exc.message)
    return render(
        request,
        "orgs/structure.html",
        {
            "report": report,
            "form": form,
            "targets": structure.targets(request.user) if can_set_up else [],
        },
        status=400 if form is not None and form.errors else 200,
    )


urlpatterns = [
    path("checklists/", overview, name="checklists"),
    path("checklists/templates/", templates, name="checklist_templates"),
    path("<int:org_id>/checklist/", checklist, name="checklist"),
    path("evidence/<int:pk>/", evidence_file, name="evidence"),
    path("structure/", structure_page, name="structure"),
]
