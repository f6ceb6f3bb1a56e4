"""The forum endpoints of co-governance (mounted by governance/api.py under /api/v1/governance/forum).

The same services, selectors and presenters as the pages: what a caller reads of a topic or reply is
`presenters_forum`'s picture for them (names masked for residents, no phone ever).
"""

from __future__ import annotations

from dataclasses import asdict

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from civicgrid.core.api_auth import errors, signed_in
from civicgrid.core.errors import ApplicationError, invalid
from civicgrid.core.schemas import Text
from civicgrid.governance import presenters_forum as presenters
from civicgrid.governance import selectors_forum as selectors
from civicgrid.governance import services_forum as services
from civicgrid.governance.models import ForumTopic
from civicgrid.governance.schemas_forum import (
    GovForumModerateIn,
    GovForumReplyIn,
    GovForumReplyModerateIn,
    GovForumReplyOut,
    GovForumReplyPageOut,
    GovForumTopicDetailOut,
    GovForumTopicIn,
    GovForumTopicOut,
    GovForumTopicPageOut,
)
from civicgrid.lib import keyset

router = Router(tags=["Co-governance: grid forum"])

_LIST_FIELDS = set(GovForumTopicOut.model_fields)


def _bad_cursor() -> ApplicationError:
    return invalid({"after": _("Unknown cursor.")}, _("This cursor is not one of this list."))


def _topic_out(request: HttpRequest, topic: ForumTopic, *, detail: bool) -> dict:
    viewer = presenters.forum_viewer(request.user, topic.grid)
    supported = bool(selectors.supported_ids(request.user, [topic.pk]))
    agenda = selectors.agenda_item_of(topic) if detail else None
    data = asdict(presenters.topic_view(viewer, topic, supported=supported, agenda=agenda))
    return data if detail else {k: v for k, v in data.items() if k in _LIST_FIELDS}


def _fresh(request: HttpRequest, pk: int) -> ForumTopic:
    return selectors.topic_get(request.user, pk)


class TopicListQuery(Schema):
    sort: str = "hot"
    state: str = ""
    after: str = ""


@router.get(
    "/grids/{code}/topics",
    response={200: GovForumTopicPageOut, **errors(400, 401, 403, 404)},
    auth=signed_in,
    summary="A grid's topics, most supported (hot) or newest (new) first",
)
def topic_list(request: HttpRequest, code: Text, filters: Query[TopicListQuery]):
    """20 a page; `state` narrows to one state (hidden ones only for moderators and region staff)."""
    grid = selectors.grid_by_code(code)
    if filters.sort not in selectors.ORDERS:
        raise invalid({"sort": _("Choose hot or new.")})
    try:
        page = selectors.topic_page(
            request.user, grid, sort=filters.sort, state=filters.state, cursor=filters.after
        )
    except keyset.InvalidCursor:
        raise _bad_cursor() from None
    viewer = presenters.forum_viewer(request.user, grid)
    supported = selectors.supported_ids(request.user, [t.pk for t in page.items])
    items = []
    for topic in page.items:
        data = asdict(presenters.topic_view(viewer, topic, supported=topic.pk in supported))
        items.append({k: v for k, v in data.items() if k in _LIST_FIELDS})
    return {"items": items, "next_cursor": page.next_cursor}


@router.post(
    "/grids/{code}/topics",
    response={201: GovForumTopicDetailOut, **errors(400, 401, 403, 404, 413, 429)},
    auth=signed_in,
    summary="Raise a topic in a grid's forum",
)
def topic_create(request: HttpRequest, code: Text, payload: GovForumTopicIn):
    grid = selectors.grid_by_code(code)
    topic = services.topic_create(actor=request.user, grid=grid, title=payload.title, body=payload.body)
    return Status(201, _topic_out(request, _fresh(request, topic.pk), detail=True))


@router.get(
    "/topics/{pk}",
    response={200: GovForumTopicDetailOut, **errors(400, 401, 404)},
    auth=signed_in,
    summary="A topic, with the meeting whose agenda it is on",
)
def topic_detail(request: HttpRequest, pk: int):
    return _topic_out(request, _fresh(request, pk), detail=True)


@router.post(
    "/topics/{pk}/support",
    response={200: GovForumTopicDetailOut, **errors(400, 401, 403, 404, 409, 413)},
    auth=signed_in,
    summary="Support a topic (once; again changes nothing)",
)
def topic_support(request: HttpRequest, pk: int):
    services.topic_support(actor=request.user, topic=_fresh(request, pk))
    return _topic_out(request, _fresh(request, pk), detail=True)


@router.delete(
    "/topics/{pk}/support",
    response={200: GovForumTopicDetailOut, **errors(400, 401, 403, 404, 409)},
    auth=signed_in,
    summary="Take your support back",
)
def topic_unsupport(request: HttpRequest, pk: int):
    services.topic_unsupport(actor=request.user, topic=_fresh(request, pk))
    return _topic_out(request, _fresh(request, pk), detail=True)


@router.get(
    "/topics/{pk}/replies",
    response={200: GovForumReplyPageOut, **errors(400, 401, 404)},
    auth=signed_in,
    summary="A topic's replies, oldest first (50 a page)",
)
def reply_list(request: HttpRequest, pk: int, after: Text = ""):
    topic = _fresh(request, pk)
    try:
        page = selectors.replies_page(topic, cursor=after)
    except keyset.InvalidCursor:
        raise _bad_cursor() from None
    viewer = presenters.forum_viewer(request.user, topic.grid)
    return {
        "items": [asdict(presenters.reply_view(viewer, r)) for r in page.items],
        "next_cursor": page.next_cursor,
    }


@router.post(
    "/topics/{pk}/replies",
    response={201: GovForumReplyOut, **errors(400, 401, 403, 404, 409, 413, 429)},
    auth=signed_in,
    summary="Reply under a topic",
)
def reply_create(request: HttpRequest, pk: int, payload: GovForumReplyIn):
    topic = _fresh(request, pk)
    reply = services.reply_create(actor=request.user, topic=topic, body=payload.body)
    reply.author = request.user
    viewer = presenters.forum_viewer(request.user, topic.grid)
    return Status(201, asdict(presenters.reply_view(viewer, reply)))


@router.post(
    "/topics/{pk}/moderate",
    response={200: GovForumTopicDetailOut, **errors(400, 401, 403, 404, 409, 413)},
    auth=signed_in,
    summary="Moderate a topic: hide (with a note), unhide, close, or put it on the next agenda",
)
def topic_moderate(request: HttpRequest, pk: int, payload: GovForumModerateIn):
    topic = _fresh(request, pk)
    if payload.action == "agenda":
        services.topic_to_agenda(actor=request.user, topic=topic, note=payload.note)
    else:
        services.topic_moderate(actor=request.user, topic=topic, action=payload.action, note=payload.note)
    return _topic_out(request, _fresh(request, pk), detail=True)


@router.post(
    "/replies/{pk}/moderate",
    response={200: GovForumReplyOut, **errors(400, 401, 403, 404, 409, 413)},
    auth=signed_in,
    summary="Hide a reply (with a note) or show it again",
)
def reply_moderate(request: HttpRequest, pk: int, payload: GovForumReplyModerateIn):
    if payload.action not in ("hide", "unhide"):
        raise invalid({"action": _("Choose hide or unhide.")})
    reply = selectors.reply_get(request.user, pk)
    reply = services.reply_moderate(
        actor=request.user, reply=reply, hide=payload.action == "hide", note=payload.note
    )
    fresh = selectors.reply_get(request.user, reply.pk)
    viewer = presenters.forum_viewer(request.user, fresh.topic.grid)
    return asdict(presenters.reply_view(viewer, fresh))
