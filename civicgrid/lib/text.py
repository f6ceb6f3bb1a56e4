"""Text a person or a program sends: what the database cannot store, and how much of it an error repeats."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

# A UTF-16 surrogate on its own (JSON allows "\ud800"): no encoding can write it, so PostgreSQL and
# SQLite both fail on it. NUL: PostgreSQL refuses it in text.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

# How much of a value an error message or its details may repeat.
ECHO_CHARS = 40


def text_problem(value: str) -> str | None:
    """Return why `value` cannot be stored as text (translated), or None when it can."""
    found = _UNSTORABLE.search(value)
    if found is None:
        return None
    if found.group() == "\x00":
        return _("Remove the NUL character (\\u0000) from the text.")
    return _("The text contains a broken character (an unpaired UTF-16 surrogate); send valid UTF-8.")


def shorten(value: object, limit: int = ECHO_CHARS) -> str:
    """Return `value` as text cut to `limit` characters (with an ellipsis), for repeating it in an error."""
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
