"""Every write of the grid forum (大家讲): topics, supports, replies, moderation, and the rule that
puts a topic with enough support on the next meeting's agenda.

The agenda rule (`GOVERNANCE_FORUM_AGENDA_SUPPORT` supporters, 10 by default): the support that
brings an open topic to the threshold puts it, in its own transaction, on the agenda of the next
planned meeting of its grid or its village (the earliest one that has not started; the grid's on a
tie) as an `AgendaItem(source=topic)`, and the topic becomes `on_agenda`. With no meeting planned
the topic waits, open, with its support; `topics_to_agenda(meeting)` places the waiting topics when
the meetings part plans a meeting. A moderator may also put an open topic on the next agenda by hand.

Concurrency: a support inserts its `ForumSupport` row (unique per person and topic) and then raises
the kept `support_count` with an UPDATE … F() + 1, which holds the topic's row until the transaction
ends; the threshold is then read from the row, so of two supports racing past it exactly one sees
the topic still open, and the move to `on_agenda` is a compare-and-set on the state besides (the
unique (meeting, topic) constraint is the last word). Same on SQLite, whose writers run one at a time.
"""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, F, IntegerField, Max, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.core import audit
from civicgrid.core.errors import ApplicationError, Conflict, NotFound, invalid
from civicgrid.governance import access
from civicgrid.governance.models import AgendaItem, ForumReply, ForumSupport, ForumTopic, Meeting
from civicgrid.lib import ratelimit
from civicgrid.places.models import Place

TITLE_MAX = 80
BODY_MAX = 2000
REPLY_MAX = 1000
NOTE_MAX = 200
TOPIC_WINDOW = 24 * 3600
REPLY_WINDOW = 3600
# Topics people may still support and reply to.
LIVE_STATES = (ForumTopic.State.OPEN, ForumTopic.State.ON_AGENDA)

# The audit log's codes for the forum's moderation, and the label of a key of their changes that is
# no field of a reply (declared by `governance.apps`).
AUDIT_TERMS = {
    "moderation_note": gettext_lazy("moderator's note"),
    "agenda_meeting": gettext_lazy("meeting whose agenda it went on"),
}
AUDIT_ACTIONS = {
    "governance.forum_topic_hide": gettext_lazy("Forum topic hidden"),
    "governance.forum_topic_unhide": gettext_lazy("Forum topic shown again"),
    "governance.forum_topic_close": gettext_lazy("Forum topic closed"),
    "governance.forum_topic_agenda": gettext_lazy("Forum topic put on a meeting's agenda"),
    "governance.forum_reply_hide": gettext_lazy("Forum reply hidden"),
    "governance.forum_reply_unhide": gettext_lazy("Forum reply shown again"),
}


def agenda_threshold() -> int:
    """The supporters a topic needs to go onto a meeting's agenda."""
    return settings.GOVERNANCE_FORUM_AGENDA_SUPPORT


def _fresh_topic(topic: ForumTopic | int) -> ForumTopic:
    pk = topic.pk if isinstance(topic, ForumTopic) else topic
    found = ForumTopic.objects.select_related("grid", "village").filter(pk=pk).first()
    if found is None:
        raise NotFound(_("No such topic."))
    return found


def _check_sees(actor, topic: ForumTopic) -> None:
    """A hidden topic does not exist for those who may not see it; nor does a forum they may not read."""
    if not access.can_view_forum(actor, topic.grid):
        raise NotFound(_("No such topic."))
    if topic.state == ForumTopic.State.HIDDEN and not access.can_see_hidden_forum(actor, topic.grid):
        raise NotFound(_("No such topic."))


def _check_live(topic: ForumTopic) -> None:
    if topic.state not in LIVE_STATES:
        raise Conflict(_("This topic is closed: it takes no more support or replies."), code="topic_closed")


def _text(value: str, limit: int, field: str, errors: dict[str, str], *, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        errors[field] = _("This field is required.")
    elif len(value) > limit:
        errors[field] = _("Enter at most %(limit)s characters.") % {"limit": limit}
    return value


def _check_rate(actor, grid: Place, *, kind: str, limit: int, window: int) -> None:
    """Refuse a flood of topics or replies from one person (the forum's moderators are not limited)."""
    if limit <= 0 or access.can_moderate_forum(actor, grid):
        return
    if not ratelimit.allow(f"forum:{kind}:{actor.pk}", limit=limit, window=window):
        message = (
            _("You raised many topics today. Please try again tomorrow.")
            if kind == "topic"
            else _("Too many replies from you in the last hour. Please try again later.")
        )
        raise ApplicationError(message, code="rate_limited", status=429)


# --- Topics --------------------------------------------------------------------------------------


@transaction.atomic
def topic_create(*, actor, grid: Place, title: str, body: str = "") -> ForumTopic:
    """Raise a topic in `grid`'s forum.

    1. Refuse anyone who may not post there (`access.can_post_in_forum`), and a place that is not a grid.
    2. Check the title (required, at most 80 characters) and the words (at most 2,000).
    3. Count it against the author's topics of the day (not the moderators'), then write it open.
    """
    access.check_post_in_forum(actor, grid)
    if grid.level != Place.Level.GRID:
        raise ApplicationError(_("Topics are raised in the forum of a grid."), code="not_a_grid")
    errors: dict[str, str] = {}
    title = _text(title, TITLE_MAX, "title", errors, required=True)
    body = _text(body, BODY_MAX, "body", errors, required=False)
    if errors:
        raise invalid(errors)
    _check_rate(
        actor, grid, kind="topic", limit=settings.GOVERNANCE_FORUM_TOPICS_PER_DAY, window=TOPIC_WINDOW
    )
    village = grid.parent
    return ForumTopic.objects.create(
        grid=grid, village=village, town=village.parent, author=actor, title=title, body=body
    )


@transaction.atomic
def topic_support(*, actor, topic: ForumTopic) -> ForumTopic:
    """Support a topic, once per person (supporting again changes nothing), and keep its count.

    1. Refuse those who may not post in its grid, and a topic that is closed or hidden.
    2. Insert the support; the unique (topic, user) pair turns a second one (a double tap, two
       tabs) into a no-op.
    3. Raise `support_count` by F() in the same transaction (this holds the topic's row), re-read it,
       and when an open topic reached the threshold put it on the next meeting's agenda.
    """
    topic = _fresh_topic(topic)
    _check_sees(actor, topic)
    access.check_post_in_forum(actor, topic.grid)
    _check_live(topic)
    try:
        with transaction.atomic():
            ForumSupport.objects.create(topic=topic, user=actor)
    except IntegrityError:
        return topic
    raised = ForumTopic.objects.filter(pk=topic.pk, state__in=LIVE_STATES).update(
        support_count=F("support_count") + 1
    )
    if not raised:
        # Closed or hidden between the read and the write: the support goes back with the transaction.
        raise Conflict(_("This topic is closed: it takes no more support or replies."), code="topic_closed")
    topic.refresh_from_db(fields=["state", "support_count"])
    if topic.state == ForumTopic.State.OPEN and topic.support_count >= agenda_threshold():
        _to_next_agenda(topic, added_by=None)
        topic.refresh_from_db(fields=["state"])
    return topic


@transaction.atomic
def topic_unsupport(*, actor, topic: ForumTopic) -> ForumTopic:
    """Take one's support back (nothing happens without one). A topic already on an agenda stays there."""
    topic = _fresh_topic(topic)
    _check_sees(actor, topic)
    access.check_post_in_forum(actor, topic.grid)
    _check_live(topic)
    deleted, _rows = ForumSupport.objects.filter(topic=topic, user=actor).delete()
    if deleted:
        ForumTopic.objects.filter(pk=topic.pk, support_count__gt=0).update(
            support_count=F("support_count") - 1
        )
        topic.refresh_from_db(fields=["state", "support_count"])
    return topic


# --- The agenda ----------------------------------------------------------------------------------


def next_meeting(topic: ForumTopic) -> Meeting | None:
    """The meeting a topic goes to: the earliest planned one, not yet started, of its grid or its
    village (the grid's first when both start at once)."""
    return (
        Meeting.objects.filter(
            state=Meeting.State.PLANNED,
            starts_at__gte=timezone.now(),
            place_id__in=[topic.grid_id, topic.village_id],
        )
        .annotate(
            _own=Case(
                When(place_id=topic.grid_id, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .order_by("starts_at", "_own", "id")
        .first()
    )


def _to_next_agenda(topic: ForumTopic, *, added_by, meeting: Meeting | None = None) -> AgendaItem | None:
    """Put an open topic on `meeting` (by default its next one) and mark it on the agenda; None when no
    meeting is planned or the topic is no longer open (someone else placed it)."""
    meeting = meeting or next_meeting(topic)
    if meeting is None:
        return None
    moved = ForumTopic.objects.filter(pk=topic.pk, state=ForumTopic.State.OPEN).update(
        state=ForumTopic.State.ON_AGENDA
    )
    if not moved:
        return None
    last = meeting.agenda.aggregate(last=Max("order"))["last"]
    return AgendaItem.objects.create(
        meeting=meeting,
        source=AgendaItem.Source.TOPIC,
        topic=topic,
        title=topic.title[:120],
        note=topic.body,
        order=(last or 0) + 1,
        added_by=added_by,
    )


def waiting_topics(place: Place):
    """Open topics of `place` (a grid, or every grid of a village) whose support reached the
    threshold while no meeting was planned, most supported first."""
    qs = ForumTopic.objects.filter(state=ForumTopic.State.OPEN, support_count__gte=agenda_threshold())
    qs = qs.filter(grid=place) if place.level == Place.Level.GRID else qs.filter(village=place)
    return qs.select_related("grid", "village").order_by("-support_count", "id")


@transaction.atomic
def topics_to_agenda(meeting: Meeting) -> list[AgendaItem]:
    """Put the topics that waited for a meeting on an agenda; return the items added.

    For the meetings part: call it when a meeting is planned (in the transaction that plans it, or
    after). Every open topic of the meeting's grid (or of all the grids of its village) with enough
    support goes onto its next planned meeting — this one, unless its own grid has an earlier one.
    Safe to call again, and beside supports arriving at the same time: a topic goes onto one agenda once.
    """
    if meeting.state != Meeting.State.PLANNED:
        return []
    added = []
    for topic in waiting_topics(meeting.place):
        item = _to_next_agenda(topic, added_by=None)
        if item is not None:
            added.append(item)
    return added


@transaction.atomic
def topic_to_agenda(*, actor, topic: ForumTopic, note: str = "") -> AgendaItem:
    """A moderator puts an open topic on the next meeting's agenda, whatever its support."""
    topic = _fresh_topic(topic)
    _check_sees(actor, topic)
    access.check_moderate_forum(actor, topic.grid)
    errors: dict[str, str] = {}
    note = _text(note, NOTE_MAX, "note", errors, required=False)
    if errors:
        raise invalid(errors)
    if topic.state != ForumTopic.State.OPEN:
        raise Conflict(_("Only an open topic can be put on an agenda."), code="not_open")
    meeting = next_meeting(topic)
    if meeting is None:
        raise ApplicationError(
            _("No meeting of this grid or its village is planned yet: plan one first."), code="no_meeting"
        )
    item = _to_next_agenda(topic, added_by=actor, meeting=meeting)
    if item is None:
        raise Conflict(_("The topic changed meanwhile. Reload the page and try again."))
    audit.record(
        actor=actor,
        action="governance.forum_topic_agenda",
        target=topic,
        place_code=topic.grid.code,
        changes={
            "state": {"from": ForumTopic.State.OPEN, "to": ForumTopic.State.ON_AGENDA},
            "moderation_note": note,
            "agenda_meeting": str(item.meeting),
        },
    )
    return item


# --- Moderation ----------------------------------------------------------------------------------

TOPIC_ACTIONS = ("hide", "unhide", "close")


@transaction.atomic
def topic_moderate(*, actor, topic: ForumTopic, action: str, note: str = "") -> ForumTopic:
    """Hide a topic (a note saying why is required), show it again, or close it (no more support or
    replies; on an agenda it stays there). The moderator, time and note are kept on the topic.

    Shown again, a topic is back on the agenda it had been put on, else open — and open with enough
    support, it goes onto the next meeting's agenda as any other.
    """
    topic = _fresh_topic(topic)
    _check_sees(actor, topic)
    access.check_moderate_forum(actor, topic.grid)
    if action not in TOPIC_ACTIONS:
        raise invalid({"action": _("Choose hide, unhide or close.")})
    errors: dict[str, str] = {}
    note = _text(note, NOTE_MAX, "note", errors, required=action == "hide")
    if errors:
        raise invalid(errors)
    State = ForumTopic.State
    old = topic.state
    if action == "hide":
        allowed, new = (State.OPEN, State.ON_AGENDA, State.CLOSED), State.HIDDEN
    elif action == "close":
        allowed, new = (State.OPEN, State.ON_AGENDA), State.CLOSED
    else:
        allowed = (State.HIDDEN,)
        new = State.ON_AGENDA if topic.agenda_items.exists() else State.OPEN
    if old not in allowed:
        raise Conflict(
            _("This cannot be done to a topic that is “%(state)s”.") % {"state": State(old).label},
            code="wrong_state",
        )
    now = timezone.now()
    changed = ForumTopic.objects.filter(pk=topic.pk, state=old).update(
        state=new, moderated_by=actor, moderated_at=now, moderation_note=note
    )
    if not changed:
        raise Conflict(_("The topic changed meanwhile. Reload the page and try again."))
    audit.record(
        actor=actor,
        action=f"governance.forum_topic_{action}",
        target=topic,
        place_code=topic.grid.code,
        changes={"state": {"from": old, "to": new}, "moderation_note": note},
    )
    topic.refresh_from_db()
    if topic.state == State.OPEN and topic.support_count >= agenda_threshold():
        _to_next_agenda(topic, added_by=None)
        topic.refresh_from_db()
    return topic


# --- Replies -------------------------------------------------------------------------------------


@transaction.atomic
def reply_create(*, actor, topic: ForumTopic, body: str) -> ForumReply:
    """Reply under a live topic (at most 1,000 characters) and keep its `reply_count`."""
    topic = _fresh_topic(topic)
    _check_sees(actor, topic)
    access.check_post_in_forum(actor, topic.grid)
    _check_live(topic)
    errors: dict[str, str] = {}
    body = _text(body, REPLY_MAX, "body", errors, required=True)
    if errors:
        raise invalid(errors)
    _check_rate(
        actor, topic.grid, kind="reply", limit=settings.GOVERNANCE_FORUM_REPLIES_PER_HOUR, window=REPLY_WINDOW
    )
    reply = ForumReply.objects.create(topic=topic, author=actor, body=body)
    ForumTopic.objects.filter(pk=topic.pk).update(reply_count=F("reply_count") + 1)
    return reply


@transaction.atomic
def reply_moderate(*, actor, reply: ForumReply, hide: bool, note: str = "") -> ForumReply:
    """Hide a reply (a note saying why is required; it goes to the audit log) or show it again.
    A hidden reply keeps its place and count; its words stay with the moderators and region staff."""
    reply = ForumReply.objects.select_related("topic__grid").filter(pk=reply.pk).first()
    if reply is None:
        raise NotFound(_("No such reply."))
    _check_sees(actor, reply.topic)
    access.check_moderate_forum(actor, reply.topic.grid)
    errors: dict[str, str] = {}
    note = _text(note, NOTE_MAX, "note", errors, required=hide)
    if errors:
        raise invalid(errors)
    changed = ForumReply.objects.filter(pk=reply.pk, is_hidden=not hide).update(is_hidden=hide)
    if not changed:
        raise Conflict(
            _("This reply is already hidden.") if hide else _("This reply is not hidden."), code="wrong_state"
        )
    audit.record(
        actor=actor,
        action="governance.forum_reply_hide" if hide else "governance.forum_reply_unhide",
        target=reply,
        place_code=reply.topic.grid.code,
        changes={"is_hidden": {"from": not hide, "to": hide}, "moderation_note": note},
    )
    reply.is_hidden = hide
    return reply
