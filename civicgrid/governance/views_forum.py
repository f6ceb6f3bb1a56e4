"""Pages of the grid forum (大家讲), phone first: the forums a person may open, a grid's topics ("hot"
or newest, with the big 我要提议 button), a topic with its support, replies and moderator tools, and
the new-topic form.

Views parse input and call the services, selectors and presenters; who may do what is decided in
`governance.access` (through them). A refusal the view does not catch becomes the 403/404 page.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from civicgrid.core.errors import ApplicationError, PermissionDenied
from civicgrid.core.htmx import is_htmx_partial
from civicgrid.governance import presenters_forum as presenters
from civicgrid.governance import selectors_forum as selectors
from civicgrid.governance import services_forum as services
from civicgrid.governance.forms_forum import ModerateForm, ReplyForm, TopicForm
from civicgrid.governance.models import ForumTopic
from civicgrid.lib import keyset
from civicgrid.places.models import Place


def _sorts() -> list[tuple[str, str]]:
    return [("hot", _("Most supported")), ("new", _("Newest"))]


@login_required
def forum_home(request: HttpRequest) -> HttpResponse:
    """Where a person's forums are: straight to their one home village or grid, else a choice."""
    places = selectors.home_places(request.user)
    if len(places) == 1:
        return redirect("governance:forum_place", code=places[0].code)
    choices = [selectors.ForumChoice(p) for p in places]
    return render(request, "governance/forum/choose.html", {"place": None, "choices": choices})


@login_required
def forum_place(request: HttpRequest, code: str) -> HttpResponse:
    """A grid's forum, or the forums a village (or a wider place) holds."""
    place = selectors.place_by_code(code)
    if place.level != Place.Level.GRID:
        choices = selectors.forum_choices(request.user, place)
        return render(request, "governance/forum/choose.html", {"place": place, "choices": choices})
    return _grid_forum(request, place)


def _grid_forum(request: HttpRequest, grid: Place) -> HttpResponse:
    sort = request.GET.get("sort", "hot")
    if sort not in selectors.ORDERS:
        sort = "hot"
    viewer = presenters.forum_viewer(request.user, grid)
    states = selectors.visible_states(request.user, grid)
    state = request.GET.get("state", "")
    if state not in states:
        state = ""
    try:
        page = selectors.topic_page(
            request.user, grid, sort=sort, state=state, cursor=request.GET.get("after", "")
        )
    except keyset.InvalidCursor:
        raise Http404(_("This page of topics does not exist.")) from None
    supported = selectors.supported_ids(request.user, [t.pk for t in page.items])
    context = {
        "grid": grid,
        "viewer": viewer,
        "topics": [presenters.topic_view(viewer, t, supported=t.pk in supported) for t in page.items],
        "next_cursor": page.next_cursor,
        "is_first": not request.GET.get("after"),
        "sort": sort,
        "state": state,
        "sorts": _sorts(),
        "states": [(s, presenters.state_label(s)) for s in states],
        "threshold": services.agenda_threshold(),
    }
    if is_htmx_partial(request):
        return render(request, "governance/forum/_topic_rows.html", context)
    return render(request, "governance/forum/grid.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def forum_new(request: HttpRequest, code: str) -> HttpResponse:
    """The new-topic form of a grid's forum."""
    grid = selectors.grid_by_code(code)
    if not presenters.forum_viewer(request.user, grid).can_post:
        raise PermissionDenied(_("Only the people of this grid may write in its forum."))
    form = TopicForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            topic = services.topic_create(actor=request.user, grid=grid, **form.cleaned_data)
        except PermissionDenied:
            raise
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Your proposal is up. Ask your neighbours to support it."))
            return redirect("governance:forum_topic", pk=topic.pk)
    return render(
        request,
        "governance/forum/new.html",
        {"grid": grid, "form": form, "threshold": services.agenda_threshold()},
    )


def _topic_page(
    request: HttpRequest, topic: ForumTopic, *, reply_form: ReplyForm | None = None, status: int = 200
) -> HttpResponse:
    viewer = presenters.forum_viewer(request.user, topic.grid)
    supported = bool(selectors.supported_ids(request.user, [topic.pk]))
    view = presenters.topic_view(viewer, topic, supported=supported, agenda=selectors.agenda_item_of(topic))
    try:
        page = selectors.replies_page(topic, cursor=request.GET.get("after", ""))
    except keyset.InvalidCursor:
        raise Http404(_("This page of replies does not exist.")) from None
    return render(
        request,
        "governance/forum/topic.html",
        {
            "grid": topic.grid,
            "topic": view,
            "viewer": viewer,
            "replies": [presenters.reply_view(viewer, r) for r in page.items],
            "next_cursor": page.next_cursor,
            "reply_form": reply_form or ReplyForm(),
            "moderate_form": ModerateForm(),
        },
        status=status,
    )


@login_required
def forum_topic(request: HttpRequest, pk: int) -> HttpResponse:
    return _topic_page(request, selectors.topic_get(request.user, pk))


def _back(topic_pk: int) -> HttpResponse:
    return redirect(reverse("governance:forum_topic", args=[topic_pk]))


@login_required
@require_POST
def forum_support(request: HttpRequest, pk: int) -> HttpResponse:
    """Support a topic (or, with `undo`, take the support back)."""
    topic = selectors.topic_get(request.user, pk)
    undo = bool(request.POST.get("undo"))
    try:
        if undo:
            services.topic_unsupport(actor=request.user, topic=topic)
        else:
            topic = services.topic_support(actor=request.user, topic=topic)
    except PermissionDenied:
        raise
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return _back(pk)
    if undo:
        messages.info(request, _("Your support is taken back."))
    elif topic.state == ForumTopic.State.ON_AGENDA:
        messages.success(
            request, _("Thank you for your support. This topic is on the next meeting's agenda.")
        )
    else:
        messages.success(request, _("Thank you for your support."))
    return _back(pk)


@login_required
@require_POST
def forum_reply(request: HttpRequest, pk: int) -> HttpResponse:
    topic = selectors.topic_get(request.user, pk)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            services.reply_create(actor=request.user, topic=topic, body=form.cleaned_data["body"])
        except PermissionDenied:
            raise
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Your reply is posted."))
            return redirect(reverse("governance:forum_topic", args=[pk]) + "#replies")
    return _topic_page(request, topic, reply_form=form, status=400)


@login_required
@require_POST
def forum_moderate(request: HttpRequest, pk: int) -> HttpResponse:
    """A moderator's action on a topic: hide, unhide, close, or put it on the next agenda."""
    topic = selectors.topic_get(request.user, pk)
    action = request.POST.get("action", "")
    note = request.POST.get("note", "")
    try:
        if action == "agenda":
            item = services.topic_to_agenda(actor=request.user, topic=topic, note=note)
            messages.success(
                request,
                _("The topic is on the agenda of “%(meeting)s”.") % {"meeting": item.meeting.title},
            )
        else:
            services.topic_moderate(actor=request.user, topic=topic, action=action, note=note)
            done = {
                "hide": _("The topic is hidden: only moderators and the region's staff see it."),
                "unhide": _("The topic is shown again."),
                "close": _("The topic is closed."),
            }
            messages.success(request, done[action])
    except PermissionDenied:
        raise
    except ApplicationError as exc:
        fields = exc.extra.get("fields") or {}
        messages.error(request, " ".join(str(m) for m in fields.values()) or exc.message)
    return _back(pk)


@login_required
@require_POST
def forum_reply_moderate(request: HttpRequest, pk: int) -> HttpResponse:
    """A moderator hides a reply (with a note) or shows it again."""
    reply = selectors.reply_get(request.user, pk)
    hide = request.POST.get("action") != "unhide"
    try:
        services.reply_moderate(actor=request.user, reply=reply, hide=hide, note=request.POST.get("note", ""))
    except PermissionDenied:
        raise
    except ApplicationError as exc:
        fields = exc.extra.get("fields") or {}
        messages.error(request, " ".join(str(m) for m in fields.values()) or exc.message)
    else:
        messages.success(request, _("The reply is hidden.") if hide else _("The reply is shown again."))
    return redirect(reverse("governance:forum_topic", args=[reply.topic_id]) + f"#reply-{reply.pk}")
