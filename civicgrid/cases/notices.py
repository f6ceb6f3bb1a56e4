"""What in-app notifications say, rendered in the reader's language when they are read.

A notification stores a message id (one of the constants below, in English like every msgid) and its
values; codes among the values (a state, a request, an action, a satisfaction) are turned into labels
in the reader's language too. The text in the site's language is stored beside them, for the admin and
for a message id that a later release no longer has.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.text import Truncator
from django.utils.translation import gettext, gettext_noop

from civicgrid.cases.models import TODO_KINDS, Case, Notification, Satisfaction
from civicgrid.cases.selectors_work import due_status
from civicgrid.cases.workflow import NO_DEADLINE_STATES, action_label, public_label

STEP = gettext_noop("%(number)s: %(state)s")
RETURNED = gettext_noop("%(number)s was returned: %(reason)s")
REQUESTED = gettext_noop("%(number)s: %(request)s requested")
DECIDED = gettext_noop("%(number)s: %(decision)s")
RATED = gettext_noop("%(number)s was rated: %(satisfaction)s")
MERGED = gettext_noop("%(number)s was merged into %(other)s, which handles the same problem.")
REJECTED = gettext_noop("%(number)s was not accepted: %(reason)s")
OVERDUE = gettext_noop("%(number)s is overdue at step “%(state)s”.")
DUE_SOON = gettext_noop("%(number)s is due at %(time)s.")

# What a follower of someone else's report is told (`services.notifying.notify_followers`).
FOLLOWED_STEP = gettext_noop("A report you follow, %(number)s (%(what)s, %(place)s): %(public_state)s")
FOLLOWED_REPLY = gettext_noop(
    "A report you follow, %(number)s (%(what)s, %(place)s), was answered: %(reply)s"
)

# The daily digest (`services.digest`): how many cases have news for the reader since the last one,
# and how many of their to-dos are due within a day (or already overdue).
DIGEST = gettext_noop(
    "Daily digest: news on %(cases)s case(s); %(due)s to-do(s) overdue or due within a day."
)

MESSAGES = frozenset(
    {
        DIGEST,
        STEP,
        RETURNED,
        REQUESTED,
        DECIDED,
        RATED,
        MERGED,
        REJECTED,
        OVERDUE,
        DUE_SOON,
        FOLLOWED_STEP,
        FOLLOWED_REPLY,
    }
)

# Values stored as codes, shown as labels.
_LABELS: dict[str, Callable[[str], str]] = {
    "state": lambda code: str(Case.State(code).label),
    "request": lambda code: str(Case.Request(code).label),
    "decision": action_label,
    "satisfaction": lambda code: str(Satisfaction(code).label),
    # A step in the words the public reads (a follower is not staff).
    "public_state": lambda code: str(public_label(code)),
}


def render(message: str, params: dict[str, Any]) -> str:
    """Return the message with its values, in the active language."""
    values = {key: _LABELS[key](value) if key in _LABELS else value for key, value in params.items()}
    return gettext(message) % values


def stored_text(message: str, params: dict[str, Any]) -> str:
    """Return the text stored beside the message: in the site's language, cut to the column's length."""
    with translation.override(settings.LANGUAGE_CODE):
        return render(message, params)[:300]


def text_of(notification: Notification) -> str:
    """Return what a stored notification says, in the active language."""
    return display_text(notification.message, notification.params, notification.text)


def display_text(message: str, params: dict[str, Any], stored: str) -> str:
    """Return what a stored notification says to the reader; the stored text when it cannot be rendered."""
    if message not in MESSAGES:
        return stored
    try:
        return render(message, params)
    except (KeyError, ValueError, TypeError):
        return stored


# ---------------------------------------------------------------------------------------------
# The notifications page: what and where, grouped per case, "to do" apart from "for your information"

# Kinds sent to the person who reported the case: their group reads the step in residents' words.
REPORTER_KINDS = frozenset({Notification.Kind.UPDATE})
# What the page joins to every notification to say what and where without a query per case (a
# digest has no case: the joins are outer ones).
RELATED = ("case", "case__category", "case__grid", "case__village", "case__town")
# The short description beside a case's category, and the longest address shown.
SUMMARY_CHARS = 40
ADDRESS_CHARS = 40
# The key of the group that holds a page's digests.
DIGEST_GROUP = "digest"


@dataclass
class NoticeGroup:
    """One case's notifications on a page, with what the case is, where, its step and deadline; or the
    page's digests (`case` None)."""

    key: str
    case: Case | None
    title: str
    # A few words of the description ("" where the reader was told of the case only as its reporter
    # or a follower, `REPORTER_KINDS`, and it is neither theirs nor public).
    summary: str
    place: str
    step: str
    due_at: datetime | None
    # "overdue", "soon" or "" (`selectors_work.due_status`).
    due: str
    todo: bool
    items: list[Notification] = field(default_factory=list)

    @property
    def unread(self) -> int:
        return sum(1 for n in self.items if n.read_at is None)


def place_of(case: Case) -> str:
    """Return where a case is in words: its village (or town), grid and address, as far as known."""
    parts = [p.display_name for p in (case.village or case.town, case.grid) if p is not None]
    if case.address:
        parts.append(Truncator(case.address).chars(ADDRESS_CHARS))
    return " · ".join(parts)


def summary_of(case: Case) -> str:
    """Return the first words of a case's description, on one line."""
    return Truncator(" ".join(case.description.split())).chars(SUMMARY_CHARS)


def _params(notification: Notification) -> dict[str, Any]:
    return notification.params if isinstance(notification.params, dict) else {}


def is_todo(notification: Notification) -> bool:
    """Return whether a notification still asks its reader to act: a kind that does, on a case still
    open and still where the notice found it — at the step it announced (when it names one; the work
    has moved on to others otherwise), and for a request, with that request still pending."""
    case = notification.case
    if notification.kind not in TODO_KINDS or case is None or not case.is_open:
        return False
    params = _params(notification)
    state = params.get("state")
    if state and state != case.state:
        return False
    if notification.kind == Notification.Kind.REQUEST and params.get("request"):
        return case.pending_request == params["request"]
    return True


def _case_group(case: Case, *, now: datetime) -> NoticeGroup:
    return NoticeGroup(
        key=case.tracking_number,
        case=case,
        title=case.category.display_name,
        summary=summary_of(case),
        place=place_of(case),
        step=str(Case.State(case.state).label),
        due_at=case.step_due_at if case.is_open and case.state not in NO_DEADLINE_STATES else None,
        due=due_status(case, now),
        todo=False,
    )


def _digest_group() -> NoticeGroup:
    return NoticeGroup(
        key=DIGEST_GROUP,
        case=None,
        title=str(Notification.Kind.DIGEST.label),
        summary="",
        place="",
        step="",
        due_at=None,
        due="",
        todo=False,
    )


def groups(
    notifications: list[Notification], *, now: datetime, reader_id: int | None = None
) -> list[NoticeGroup]:
    """Return the notifications grouped per case (a page's digests in one group of their own), the
    group of the newest notice first; each notice's `shown_text` and `is_todo` set.

    The case, its category and places must be joined (`RELATED`). A group told only as the case's
    reporter or follower (`REPORTER_KINDS`) reads the step in residents' words, without deadline; its
    description's first words are left out unless the reader reported the case or it is public (a
    follower of a report that is not public may have lost the right to read it since).
    """
    by_key: dict[str, NoticeGroup] = {}
    for n in notifications:
        n.shown_text = text_of(n)
        n.is_todo = is_todo(n)
        case = n.case
        key = case.tracking_number if case is not None else DIGEST_GROUP
        group = by_key.get(key)
        if group is None:
            group = by_key[key] = _case_group(case, now=now) if case is not None else _digest_group()
        group.items.append(n)
        group.todo = group.todo or n.is_todo
    for group in by_key.values():
        case = group.case
        if case is None or not all(n.kind in REPORTER_KINDS for n in group.items):
            continue
        group.step = public_label(case.state)
        group.due_at, group.due = None, ""
        if not (case.is_public or (reader_id is not None and case.reporter_id == reader_id)):
            group.summary = ""
    return list(by_key.values())


@dataclass(frozen=True)
class NoticeSections:
    """A page of notifications as the page shows them: the groups with something to do, the rest."""

    todo: list[NoticeGroup]
    info: list[NoticeGroup]


def sections(
    notifications: list[Notification], *, now: datetime, reader_id: int | None = None
) -> NoticeSections:
    """Return a page's notifications grouped per case (`groups`), split into "to do" and the rest."""
    found = groups(notifications, now=now, reader_id=reader_id)
    return NoticeSections(todo=[g for g in found if g.todo], info=[g for g in found if not g.todo])
