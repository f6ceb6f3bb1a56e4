"""What in-app notifications say, rendered in the reader's language when they are read.

A notification stores a message id (one of the constants below, in English like every msgid) and its
values; codes among the values (a state, a request, an action, a satisfaction) are turned into labels
in the reader's language too. The text in the site's language is stored beside them, for the admin and
for a message id that a later release no longer has.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from civicgrid.cases.models import Case, Notification, Satisfaction
from civicgrid.cases.workflow import action_label

STEP = gettext_noop("%(number)s: %(state)s")
RETURNED = gettext_noop("%(number)s was returned: %(reason)s")
REQUESTED = gettext_noop("%(number)s: %(request)s requested")
DECIDED = gettext_noop("%(number)s: %(decision)s")
RATED = gettext_noop("%(number)s was rated: %(satisfaction)s")
MERGED = gettext_noop("%(number)s was merged into %(other)s, which handles the same problem.")
REJECTED = gettext_noop("%(number)s was not accepted: %(reason)s")
OVERDUE = gettext_noop("%(number)s is overdue at step “%(state)s”.")
DUE_SOON = gettext_noop("%(number)s is due at %(time)s.")

MESSAGES = frozenset({STEP, RETURNED, REQUESTED, DECIDED, RATED, MERGED, REJECTED, OVERDUE, DUE_SOON})

# Values stored as codes, shown as labels.
_LABELS: dict[str, Callable[[str], str]] = {
    "state": lambda code: str(Case.State(code).label),
    "request": lambda code: str(Case.Request(code).label),
    "decision": action_label,
    "satisfaction": lambda code: str(Satisfaction(code).label),
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
