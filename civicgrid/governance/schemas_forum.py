"""The API's shapes of the grid forum (大家讲); every name starts with GovForum (unique across the API)."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema

from civicgrid.core.schemas import InputSchema


class GovForumAgendaOut(Schema):
    meeting_id: int
    meeting_title: str
    starts_at: datetime
    meeting_state: str
    meeting_state_label: str


class GovForumTopicOut(Schema):
    id: int
    title: str
    excerpt: str
    state: str = Field(
        description="open, on_agenda, closed, or hidden (seen by moderators and region staff only)"
    )
    state_label: str
    grid_code: str
    grid_name: str
    author: str = Field(description="The whole name for moderators and region staff; else masked (王**)")
    is_mine: bool
    created_at: datetime
    support_count: int
    reply_count: int
    threshold: int = Field(description="Supporters a topic needs to go onto the next meeting's agenda")
    missing: int
    supported: bool = Field(description="Whether you support it")
    waiting: bool = Field(description="Enough support; no meeting of the grid or village is planned yet")
    can_support: bool
    can_unsupport: bool
    can_reply: bool
    can_moderate: bool


class GovForumTopicDetailOut(GovForumTopicOut):
    body: str
    agenda: GovForumAgendaOut | None = None
    moderation_note: str = Field(
        description="Why it was closed (for everyone) or hidden (for moderators and region staff only)"
    )
    moderated_at: datetime | None = None
    can_hide: bool
    can_unhide: bool
    can_close: bool
    can_put_on_agenda: bool


class GovForumTopicPageOut(Schema):
    items: list[GovForumTopicOut]
    next_cursor: str = Field("", description="Send as `after` for the next page; empty on the last page.")


class GovForumTopicIn(InputSchema):
    title: str = Field(..., max_length=200)
    body: str = Field("", max_length=10_000)


class GovForumReplyOut(Schema):
    id: int
    author: str
    is_mine: bool
    body: str = Field(description="Empty for a hidden reply, except for moderators and region staff")
    is_hidden: bool
    created_at: datetime
    can_hide: bool
    can_unhide: bool


class GovForumReplyPageOut(Schema):
    items: list[GovForumReplyOut]
    next_cursor: str = ""


class GovForumReplyIn(InputSchema):
    body: str = Field(..., max_length=10_000)


class GovForumModerateIn(InputSchema):
    action: str = Field(
        ..., description="hide, unhide, close, or agenda (put it on the next meeting's agenda)"
    )
    note: str = Field("", max_length=1000, description="Required to hide")


class GovForumReplyModerateIn(InputSchema):
    action: str = Field(..., description="hide or unhide")
    note: str = Field("", max_length=1000, description="Required to hide")


class GovForumAgendaItemOut(Schema):
    id: int
    meeting_id: int
    meeting_title: str
    starts_at: datetime
