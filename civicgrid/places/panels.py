"""Panels other apps add to a place's page, which this app cannot import (the layers contract):
an app registers a function `fn(user, place)` from its `AppConfig.ready`; it returns an object with a
`template` attribute (the include that draws it) or None when there is nothing for that viewer.

Used by `places.views.detail` (co-governance: the people sent down to a grid).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_panels: list[Callable[[Any, Any], Any]] = []


def register(fn: Callable[[Any, Any], Any]) -> None:
    """Add a panel function (once, however often an app's `ready` runs)."""
    if fn not in _panels:
        _panels.append(fn)


def panels_for(user, place) -> list[Any]:
    """Return the panels of `place`'s page for `user`, in the order they were registered."""
    return [panel for fn in _panels if (panel := fn(user, place)) is not None]
