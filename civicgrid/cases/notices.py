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
from django.utils.translation import gettext, gettext_noop

from civicgrid.cases.models import Case, Notification, Satisfaction
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

MESSAGES = frozenset(
    {
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

# Kinds that ask the reader to act on the case (while it is open); the rest only inform.
ACT_KINDS = frozenset(
    {
        Notification.Kind.NEW_WORK,
        Notification.Kind.RETURNED,
        Notification.Kind.DUE_SOON,
        Notification.Kind.OVERDUE,
        Notification.Kind.REQUEST,
    }
)
# Kinds sent to the person who reported the case: their group reads the step in residents' words.
REPORTER_KINDS = frozenset({Notification.Kind.UPDATE})
# What the page joins to every notification to say what and where without a query per case.
RELATED = ("case", "case__category", "case__grid", "case__village", "case__town")


@dataclass
class NoticeGroup:
    """One case's notifications on a page, with what the case is, where, its step and deadline."""

    case: Case
    title: str
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
    """Return where a case is in words: its village (or town) and grid, else its address."""
    parts = [p.display_name for p in (case.village or case.town, case.grid) if p is not None]
    return " · ".join(parts) or case.address


def is_todo(notification: Notification) -> bool:
    """Return whether a notification asks its reader to act: a kind that does, on a case still open."""
    return notification.kind in ACT_KINDS and notification.case.is_open


def groups(notifications: list[Notification], *, now: datetime) -> list[NoticeGroup]:
    """Return the page's notifications grouped per case, the group of the newest notice first; each
    notice's `shown_text` set. The case, its category and places must be joined (`RELATED`)."""
    by_case: dict[int, NoticeGroup] = {}
    for n in notifications:
        n.shown_text = text_of(n)
        n.is_todo = is_todo(n)
        group = by_case.get(n.case_id)
        if group is None:
            case = n.case
            due = due_status(case, now)
            group = by_case[n.case_id] = NoticeGroup(
                case=case,
                title=case.category.display_name,
                place=place_of(case),
                step=str(Case.State(case.state).label),
                due_at=case.step_due_at if case.is_open and case.state not in NO_DEADLINE_STATES else None,
                due=due,
                todo=False,
            )
        group.items.append(n)
        group.todo = group.todo or n.is_todo
    for group in by_case.values():
        if all(n.kind in REPORTER_KINDS for n in group.items):
            group.step = public_label(group.case.state)
            group.due_at, group.due = None, ""
    return list(by_case.values())
