"""Pages of the task board (揭榜领办): the public board, a matter with its record and the steps open
to the viewer, the publisher's draft form, "my matters", the Excel export and the progress photos.

Views parse input and call the services, selectors and presenters of the board; every permission
is in `access` (through them). A refusal a view does not catch becomes the 403/404 page.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from civicgrid.core.errors import ApplicationError, Conflict, NotFound, PermissionDenied
from civicgrid.governance import access, exports_board, presenters_board, selectors_board, services_board
from civicgrid.governance.forms_board import BoardFilterForm, MatterForm, StepForm
from civicgrid.governance.models import Matter, MatterPhoto
from civicgrid.lib import keyset


def _matter(request: HttpRequest, pk: int) -> Matter:
    try:
        return selectors_board.matter_get(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _filters(request: HttpRequest) -> tuple[selectors_board.BoardFilters, BoardFilterForm]:
    """The board's filters from the query string; an unknown value is left out, not an error."""
    states = selectors_board.board_states(request.user)
    state = request.GET.get("state", "")
    if state not in dict(states):
        state = ""
    town = selectors_board.place_by_code(request.GET.get("town", ""), "town")
    village = selectors_board.place_by_code(request.GET.get("village", ""), "village")
    if village is not None and (town is None or village.parent_id != town.pk):
        town = village.parent if town is None else town
        village = village if village.parent_id == town.pk else None
    filters = selectors_board.BoardFilters(state=state, town=town, village=village)
    form = BoardFilterForm(
        initial={
            "state": state,
            "town": town.code if town else "",
            "village": village.code if village else "",
        },
        states=states,
        towns=selectors_board.towns(),
        villages=selectors_board.villages_of(town),
    )
    return filters, form


@require_GET
def board_list(request: HttpRequest) -> HttpResponse:
    """The public board: every published matter with its state, narrowed by state, town and village,
    newest published first, by keyset pages. Anyone may read it, signed in or not."""
    filters, form = _filters(request)
    cursor = request.GET.get("cursor", "")
    try:
        page = selectors_board.board_page(request.user, filters=filters, cursor=cursor)
    except keyset.InvalidCursor:
        raise Http404(_("This page of the board does not exist.")) from None
    export_town = selectors_board.export_town(request.user, filters.town)
    context = {
        "cards": presenters_board.matter_cards(page.items),
        "pager": {"next_cursor": page.next_cursor, "is_first": not cursor},
        "form": form,
        "filters": filters,
        "states": form.fields["state"].choices,
        "can_publish": access.can_publish_anywhere(request.user),
        "can_mine": access.can_use_my_matters(request.user),
        "export_town": export_town,
    }
    template = (
        "governance/board/_list.html" if request.headers.get("HX-Request") else "governance/board/list.html"
    )
    return render(request, template, context)


def _render_detail(
    request: HttpRequest,
    matter: Matter,
    *,
    bound: StepForm | None = None,
    notice: str = "",
    status: int = 200,
) -> HttpResponse:
    """Render the matter as the presenter built it for this viewer, with a form per open step."""
    view = presenters_board.matter_view(request.user, matter)
    panels = []
    for step in view.steps:
        if bound is not None and bound.step.action == step.action:
            form = bound
        else:
            form = StepForm(step=step, user=request.user, matter=matter)
        wanted = bound is None and request.GET.get("do") == step.action
        panels.append({"step": step, "form": form, "open": form is bound or wanted})
    # The step that moves the matter on is the main button; a town recording someone else's claim
    # and a withdrawal are not.
    if panels and not panels[0]["step"].danger and not panels[0]["form"].recording:
        panels[0]["primary"] = True
    context = {"view": view, "matter": matter, "panels": panels, "notice": notice}
    return render(request, "governance/board/detail.html", context, status=status)


@require_GET
def board_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A matter: its need, budget, place, deadline, claimant and plan, its record with photos, and the
    steps open to the viewer. A draft they may not read is "not found"."""
    return _render_detail(request, _matter(request, pk))


@login_required
@require_POST
def board_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Take one step on a matter from its page.

    1. Re-read the matter; if the step is no longer open or the form's version is not the matter's,
       someone else acted first: show the matter as it is now with why (409), write nothing.
    2. Check the form; `services_board.matter_step` checks the rest (its conflict is a 409 too).
    3. Back to the matter page with a success message.
    """
    matter = _matter(request, pk)
    if action not in services_board.ACTIONS:
        raise Http404(_("There is no such step."))
    step = services_board.step_of(matter.state, action)
    if step is None or request.POST.get(f"{action}-version", "") != str(matter.version):
        conflict = services_board.step_conflict(matter, action)
        return _render_detail(request, matter, notice=conflict.message, status=409)
    if not step.who(request.user, matter):
        raise PermissionDenied(_("You may not do this on this matter."))
    form = StepForm(request.POST, request.FILES, step=step, user=request.user, matter=matter)
    if form.is_valid():
        data = form.cleaned_data
        try:
            updated = services_board.matter_step(
                matter=matter,
                action=action,
                actor=request.user,
                text=data["text"],
                photos=data.get("photos") or [],
                claim=form.claim() if action == "claim" else None,
                version=data["version"],
            )
        except Conflict as exc:
            return _render_detail(request, _matter(request, pk), notice=exc.message, status=409)
        except ApplicationError as exc:
            if exc.status == 403:
                raise
            form.add_service_error(exc)
        else:
            messages.success(
                request,
                _("%(step)s: done. The matter is now “%(state)s”.")
                % {"step": step.label, "state": updated.get_state_display()},
            )
            return redirect("governance:board_detail", pk=updated.pk)
    return _render_detail(request, matter, bound=form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def board_new(request: HttpRequest) -> HttpResponse:
    """Draft a matter, and publish it at once or keep it as a draft."""
    if not access.can_publish_anywhere(request.user):
        raise PermissionDenied(_("You may not publish matters on the task board."))
    form = MatterForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        publish = "publish" in request.POST
        try:
            matter = services_board.matter_create(actor=request.user, publish=publish, **form.cleaned_data)
        except ApplicationError as exc:
            if exc.status == 403:
                raise
            form.add_service_error(exc)
        else:
            if publish:
                messages.success(request, _("The matter is on the board, open to claim."))
            else:
                messages.success(request, _("The draft is saved. Publish it when it is ready."))
            return redirect("governance:board_detail", pk=matter.pk)
    return render(request, "governance/board/form.html", {"form": form, "matter": None})


@login_required
@require_http_methods(["GET", "POST"])
def board_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a draft (and publish it, with the other button)."""
    matter = _matter(request, pk)
    if not access.can_edit_matter(request.user, matter):
        raise PermissionDenied(_("You may not change this matter."))
    if matter.state != Matter.State.DRAFT:
        messages.info(request, _("Only a draft can be changed; this matter is already on the board."))
        return redirect("governance:board_detail", pk=matter.pk)
    initial = {f: getattr(matter, f) for f in ("title", "need", "budget", "region", "deadline")}
    form = MatterForm(request.POST or None, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        version = request.POST.get("version", "")
        try:
            matter = services_board.matter_edit(
                actor=request.user,
                matter=matter,
                version=int(version) if version.isdigit() else None,
                publish="publish" in request.POST,
                **form.cleaned_data,
            )
        except Conflict as exc:
            form.add_error(None, exc.message)
        except ApplicationError as exc:
            if exc.status == 403:
                raise
            form.add_service_error(exc)
        else:
            if matter.state == Matter.State.DRAFT:
                messages.success(request, _("The draft is saved."))
            else:
                messages.success(request, _("The matter is on the board, open to claim."))
            return redirect("governance:board_detail", pk=matter.pk)
    return render(request, "governance/board/form.html", {"form": form, "matter": matter})


@login_required
@require_GET
def board_mine(request: HttpRequest) -> HttpResponse:
    """ "My matters": what the viewer's agency claimed, and what their town or village published
    (drafts included), newest first."""
    if not access.can_use_my_matters(request.user):
        raise PermissionDenied(
            _("The task board's lists are for agencies and for those who publish matters.")
        )
    tabs = selectors_board.mine_tabs(request.user)
    tab = request.GET.get("tab", "")
    if tab not in tabs:
        tab = tabs[0] if tabs else ""
    cursor = request.GET.get("cursor", "")
    cards: list = []
    pager = {"next_cursor": "", "is_first": True}
    if tab:
        try:
            page = selectors_board.mine_page(request.user, tab=tab, cursor=cursor)
        except keyset.InvalidCursor:
            raise Http404(_("This page of the board does not exist.")) from None
        cards = presenters_board.matter_cards(page.items)
        pager = {"next_cursor": page.next_cursor, "is_first": not cursor}
    context = {
        "tabs": tabs,
        "tab": tab,
        "cards": cards,
        "pager": pager,
        "can_publish": access.can_publish_anywhere(request.user),
    }
    return render(request, "governance/board/mine.html", context)


@login_required
@require_GET
def board_export(request: HttpRequest) -> FileResponse:
    """The Excel file of a town's board (`?town=<code>`; a town's operator's own town by default)."""
    town = selectors_board.place_by_code(request.GET.get("town", ""), "town")
    if town is None:
        town = selectors_board.export_town(request.user, None)
    if town is None:
        raise PermissionDenied(_("You may not export this town's task board."))
    return exports_board.board_workbook(request.user, town)


@require_GET
def board_photo(request: HttpRequest, pk: int, photo_id: int, size: str) -> HttpResponse:
    """Serve a progress photo or its thumbnail to someone who may see it; never from a public URL.

    Who may open which size is the presenter's rule (`presenters_board.photo_sizes`), the one the
    matter page and the API list photos by: anyone the thumbnails of a published matter, its
    insiders the full photos. Everything else is "not found", so a photo's existence is not disclosed.
    """
    if size not in ("full", "thumb"):
        raise Http404()
    record = (
        MatterPhoto.objects.select_related(
            "update__matter__region", "update__matter__town", "update__matter__village"
        )
        .filter(pk=photo_id, update__matter_id=pk)
        .first()
    )
    if record is None:
        raise Http404()
    if size not in presenters_board.photo_sizes(request.user, record.update.matter):
        raise Http404()
    field = record.image if size == "full" else record.thumbnail
    try:
        handle = field.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404() from None
    response = FileResponse(handle, content_type=record.content_type if size == "full" else "image/jpeg")
    # Private: a draft's or a full photo must never be handed to someone else by a shared cache.
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Disposition"] = "inline"
    return response
