"""Reads of the grid forum (大家讲): a grid's topics ("hot" or newest, keyset-paged), a topic and its
replies, what a person supports, and the forums a person may open.

Every read asks `access` first. A grid's list runs one query per state it shows (open, on the agenda,
closed, and hidden for its moderators), each down its own index (`gov_topic_support_idx` for "hot",
`gov_topic_grid_idx` for the newest), merged in order (`keyset.merged_page_after`): a page costs what
its parts' first pages cost, however many topics the grid has.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count
from django.utils.translation import gettext as _

from civicgrid.core.errors import NotFound, PermissionDenied
from civicgrid.core.scopes import places_of
from civicgrid.governance import access
from civicgrid.governance.models import AgendaItem, ForumReply, ForumSupport, ForumTopic
from civicgrid.lib import keyset
from civicgrid.places.models import Place

HOT = keyset.Order(
    "h", (keyset.Column("support_count", "int", descending=True), keyset.Column("id", "int", descending=True))
)
NEW = keyset.Order(
    "n", (keyset.Column("created_at", "time", descending=True), keyset.Column("id", "int", descending=True))
)
ORDERS = {"hot": HOT, "new": NEW}
# Replies read oldest first, down `gov_reply_topic_idx`.
REPLIES = keyset.Order("r", (keyset.Column("created_at", "time"), keyset.Column("id", "int")))
PUBLIC_STATES = (ForumTopic.State.OPEN, ForumTopic.State.ON_AGENDA, ForumTopic.State.CLOSED)
TOPICS_PER_PAGE = 20
REPLIES_PER_PAGE = 50


def grid_by_code(code: str) -> Place:
    """The grid with this code, or NotFound."""
    place = (
        Place.objects.filter(code=(code or "").strip(), level=Place.Level.GRID)
        .select_related("parent")
        .first()
    )
    if place is None:
        raise NotFound(_("No such grid."))
    return place


def place_by_code(code: str) -> Place:
    place = Place.objects.filter(code=(code or "").strip()).select_related("parent").first()
    if place is None:
        raise NotFound(_("No such place."))
    return place


def visible_states(user, grid: Place) -> tuple[str, ...]:
    """The states of the topics `user` sees listed in `grid`'s forum."""
    if access.can_see_hidden_forum(user, grid):
        return (*PUBLIC_STATES, ForumTopic.State.HIDDEN)
    return PUBLIC_STATES


def topic_page(
    user, grid: Place, *, sort: str = "hot", state: str = "", cursor: str = "", size: int = TOPICS_PER_PAGE
) -> keyset.Page:
    """One page of `grid`'s topics that `user` may see, most supported (`hot`) or newest (`new`) first,
    all the states they see or one of them. Raises PermissionDenied for a forum they may not read and
    `keyset.InvalidCursor` for a cursor not of this order."""
    if not access.can_view_forum(user, grid):
        raise PermissionDenied(_("This forum is for the people of its grid."))
    order = ORDERS.get(sort, HOT)
    states = visible_states(user, grid)
    if state:
        states = tuple(s for s in states if s == state)
    if not states:
        return keyset.Page([], "")
    base = ForumTopic.objects.filter(grid=grid).select_related("author").order_by(*order.order_by())
    parts = [base.filter(state=s) for s in states]
    if len(parts) == 1:
        return keyset.page_after(parts[0], order, cursor, size)
    return keyset.merged_page_after(parts, order, cursor, size)


def topic_get(user, pk: int) -> ForumTopic:
    """A topic `user` may see, with its grid, village and author; NotFound for any other (a hidden
    topic to those who may not see it, a topic of a forum they may not read)."""
    topic = ForumTopic.objects.select_related("grid", "village", "author").filter(pk=pk).first()
    if topic is None or not access.can_view_forum(user, topic.grid):
        raise NotFound(_("No such topic."))
    if topic.state == ForumTopic.State.HIDDEN and not access.can_see_hidden_forum(user, topic.grid):
        raise NotFound(_("No such topic."))
    return topic


def reply_get(user, pk: int) -> ForumReply:
    reply = ForumReply.objects.select_related("topic__grid", "topic__village", "author").filter(pk=pk).first()
    if reply is None:
        raise NotFound(_("No such reply."))
    topic_get(user, reply.topic_id)
    return reply


def replies_page(topic: ForumTopic, *, cursor: str = "", size: int = REPLIES_PER_PAGE) -> keyset.Page:
    """One page of a topic's replies, oldest first (the caller has checked the topic with `topic_get`;
    the presenter leaves out the words of hidden replies)."""
    qs = ForumReply.objects.filter(topic=topic).select_related("author").order_by(*REPLIES.order_by())
    return keyset.page_after(qs, REPLIES, cursor, size)


def supported_ids(user, topic_ids: list[int]) -> set[int]:
    """Which of these topics `user` supports (one query; none for the anonymous)."""
    if not topic_ids or not getattr(user, "is_authenticated", False):
        return set()
    return set(
        ForumSupport.objects.filter(user=user, topic_id__in=topic_ids).values_list("topic_id", flat=True)
    )


def agenda_item_of(topic: ForumTopic) -> AgendaItem | None:
    """The latest agenda item a topic was put on, with its meeting."""
    return AgendaItem.objects.filter(topic=topic).select_related("meeting").order_by("-id").first()


@dataclass(frozen=True)
class ForumChoice:
    """A forum (a grid) or a place holding forums, offered to a person, with its open topics."""

    place: Place
    open_topics: int | None = None


def home_places(user) -> list[Place]:
    """The places a person's forums are found from: their home village or grid, or their region."""
    return [p for p in places_of(user) if access.can_browse_forums(user, p)]


def forum_choices(user, place: Place) -> list[ForumChoice]:
    """What `place` holds that `user` may open: a village's grids with their open topics (one
    counting query), or a wider place's villages or towns. PermissionDenied when they may not browse it."""
    if not access.can_browse_forums(user, place):
        raise PermissionDenied(_("These forums are for the people who live there."))
    children = [
        c for c in Place.objects.filter(parent=place).order_by("code") if access.can_browse_forums(user, c)
    ]
    if place.level != Place.Level.VILLAGE:
        return [ForumChoice(c) for c in children]
    counts = dict(
        ForumTopic.objects.filter(village=place, state=ForumTopic.State.OPEN)
        .order_by()
        .values("grid_id")
        .annotate(n=Count("id"))
        .values_list("grid_id", "n")
    )
    return [ForumChoice(c, counts.get(c.pk, 0)) for c in children]
