"""The categories a report may choose, held in each process: read on every report, edited rarely.

A save or delete of a category clears this process's copy at once (signals); other processes reload
theirs within `CATEGORY_CACHE_SECONDS` (0 reloads on every call). Callers get shared objects: read them,
never change them.
"""

from __future__ import annotations

import threading
import time

from django.conf import settings
from django.db.models.signals import post_delete, post_save

from civicgrid.cases.models import Category

_lock = threading.Lock()
_loaded_at: float | None = None
_ordered: list[Category] = []
_by_code: dict[str, Category] = {}
# Bumped by every invalidation: a load that overlapped one is used once but not kept.
_generation = 0


def reportable() -> list[Category]:
    """Return the active minor categories under active major classes, major class joined, in order."""
    _refresh()
    return list(_ordered)


def reportable_by_code(code: str) -> Category | None:
    """Return the reportable category with this code (any case, spaces ignored), or None."""
    _refresh()
    return _by_code.get((code or "").strip().upper())


def invalidate(**_kwargs) -> None:
    """Forget this process's copy; the next call reloads it."""
    global _loaded_at, _generation
    with _lock:
        _loaded_at = None
        _generation += 1


def _refresh() -> None:
    global _loaded_at, _ordered, _by_code
    now = time.monotonic()
    loaded_at, generation = _loaded_at, _generation
    if loaded_at is not None and now - loaded_at < settings.CATEGORY_CACHE_SECONDS:
        return
    rows = list(
        Category.objects.filter(is_active=True, parent__isnull=False, parent__is_active=True)
        .select_related("parent")
        .order_by("parent__sort", "sort", "code")
    )
    with _lock:
        _ordered, _by_code = rows, {c.code: c for c in rows}
        _loaded_at = now if generation == _generation else None


post_save.connect(invalidate, sender=Category, dispatch_uid="cases.categories.saved")
post_delete.connect(invalidate, sender=Category, dispatch_uid="cases.categories.deleted")
