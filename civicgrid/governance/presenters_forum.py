"""What a viewer sees of the grid forum: one picture per topic and reply, per viewer, which the pages
and the API both render.

Names: the grid's moderators and the region's staff read whole names; everyone else reads the family
name and stars (王**), or "Resident" when there is no name; their own name people read whole. No
phone number is ever shown. A hidden reply keeps its place; its words stay with those who see hidden
things.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.urls import reverse
from django.utils.translation import gettext as _

from civicgrid.governance import access
from civicgrid.governance.models import AgendaItem, ForumReply, ForumTopic, Meeting
from civicgrid.governance.services_forum import LIVE_STATES, agenda_threshold
from civicgrid.lib.privacy import mask_name
from civicgrid.places.models import Place

EXCERPT_CHARS = 60


def state_label(state: str) -> str:
    """A topic's state in the forum's words (the model's "Closed" reads as a case's "已结案")."""
    labels = {
        ForumTopic.State.OPEN: _("Open for support"),
        ForumTopic.State.ON_AGENDA: _("On a meeting's agenda"),
        ForumTopic.State.CLOSED: _("Topic closed"),
        ForumTopic.State.HIDDEN: _("Hidden by the moderator"),
    }
    return str(labels.get(state, state))


@dataclass(frozen=True)
class ForumViewer:
    """What a person may do in one grid's forum, worked out once for a page or a list."""

    user: object
    grid: Place
    can_post: bool
    can_moderate: bool
    sees_names: bool
    sees_hidden: bool


def forum_viewer(user, grid: Place) -> ForumViewer:
    return ForumViewer(
        user=user,
        grid=grid,
        can_post=access.can_post_in_forum(user, grid),
        can_moderate=access.can_moderate_forum(user, grid),
        sees_names=access.can_see_forum_names(user, grid),
        sees_hidden=access.can_see_hidden_forum(user, grid),
    )


def author_name(viewer: ForumViewer, author) -> str:
    """How the author of a topic or reply is named to `viewer` (never their phone)."""
    name = (author.display_name or "").strip()
    if viewer.sees_names or author.pk == getattr(viewer.user, "pk", None):
        return name or author.get_username()
    return mask_name(name) or _("Resident")


def _is_mine(viewer: ForumViewer, author_id: int) -> bool:
    return author_id is not None and author_id == getattr(viewer.user, "pk", None)


@dataclass(frozen=True)
class AgendaView:
    meeting_id: int
    meeting_title: str
    starts_at: datetime
    meeting_state: str
    meeting_state_label: str


@dataclass(frozen=True)
class TopicView:
    id: int
    url: str
    title: str
    body: str
    excerpt: str
    state: str
    state_label: str
    grid_code: str
    grid_name: str
    author: str
    is_mine: bool
    created_at: datetime
    support_count: int
    reply_count: int
    # Supporters needed to go onto an agenda, and how many are still missing (0 when reached).
    threshold: int
    missing: int
    supported: bool
    # Enough support, but no meeting of the grid or village is planned yet.
    waiting: bool
    agenda: AgendaView | None
    # The moderator's note and time: everyone reads why a topic was closed; why one was hidden, only
    # those who see hidden things.
    moderation_note: str
    moderated_at: datetime | None
    can_support: bool
    can_unsupport: bool
    can_reply: bool
    can_moderate: bool
    can_hide: bool
    can_unhide: bool
    can_close: bool
    can_put_on_agenda: bool


def topic_view(
    viewer: ForumViewer, topic: ForumTopic, *, supported: bool, agenda: AgendaItem | None = None
) -> TopicView:
    threshold = agenda_threshold()
    State = ForumTopic.State
    live = topic.state in LIVE_STATES
    body = topic.body or ""
    meeting: Meeting | None = agenda.meeting if agenda is not None else None
    moderate = viewer.can_moderate
    note_shown = viewer.sees_hidden or topic.state == State.CLOSED
    return TopicView(
        id=topic.pk,
        url=reverse("governance:forum_topic", args=[topic.pk]),
        title=topic.title,
        body=body,
        excerpt=body if len(body) <= EXCERPT_CHARS else body[: EXCERPT_CHARS - 1] + "…",
        state=topic.state,
        state_label=state_label(topic.state),
        grid_code=viewer.grid.code,
        grid_name=viewer.grid.display_name,
        author=author_name(viewer, topic.author),
        is_mine=_is_mine(viewer, topic.author_id),
        created_at=topic.created_at,
        support_count=topic.support_count,
        reply_count=topic.reply_count,
        threshold=threshold,
        missing=max(threshold - topic.support_count, 0),
        supported=supported,
        waiting=topic.state == State.OPEN and topic.support_count >= threshold,
        agenda=(
            AgendaView(
                meeting_id=meeting.pk,
                meeting_title=meeting.title,
                starts_at=meeting.starts_at,
                meeting_state=meeting.state,
                meeting_state_label=str(Meeting.State(meeting.state).label),
            )
            if meeting is not None
            else None
        ),
        moderation_note=topic.moderation_note if note_shown else "",
        moderated_at=topic.moderated_at if note_shown else None,
        can_support=viewer.can_post and live and not supported,
        can_unsupport=viewer.can_post and live and supported,
        can_reply=viewer.can_post and live,
        can_moderate=moderate,
        can_hide=moderate and topic.state != State.HIDDEN,
        can_unhide=moderate and topic.state == State.HIDDEN,
        can_close=moderate and live,
        can_put_on_agenda=moderate and topic.state == State.OPEN,
    )


@dataclass(frozen=True)
class ReplyView:
    id: int
    author: str
    is_mine: bool
    # Empty for a hidden reply, unless the viewer sees hidden things.
    body: str
    is_hidden: bool
    created_at: datetime
    can_hide: bool
    can_unhide: bool


def reply_view(viewer: ForumViewer, reply: ForumReply) -> ReplyView:
    shown = not reply.is_hidden or viewer.sees_hidden
    return ReplyView(
        id=reply.pk,
        author=author_name(viewer, reply.author),
        is_mine=_is_mine(viewer, reply.author_id),
        body=reply.body if shown else "",
        is_hidden=reply.is_hidden,
        created_at=reply.created_at,
        can_hide=viewer.can_moderate and not reply.is_hidden,
        can_unhide=viewer.can_moderate and reply.is_hidden,
    )
