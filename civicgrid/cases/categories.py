"""The categories a report may choose: one eligibility rule for every intake door, held in each process.

Read on every report, edited rarely. Each process keeps a copy and the revision (`CategoryRevision`)
it was loaded at; at most every `CATEGORY_CACHE_SECONDS` a call reads the revision (one indexed
query) and reloads the copy when it moved. A save or delete of a category bumps the revision in its
transaction and clears this process's copy at once (signals, connected when the app is ready), so
every process sees an edit within that interval, like the routing index (`places/routing.py`).
Callers get shared objects: read them, never change them.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
from datetime import datetime
from typing import NamedTuple

from django.conf import settings
from django.db.models import F
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from civicgrid.cases.models import Category, CategoryRevision


class CategoryGroup(NamedTuple):
    """A major class (大类) with the minor classes (小类) listed under it."""

    major: Category
    minors: list[Category]


@dataclass(frozen=True)
class _Copy:
    ordered: tuple[Category, ...]
    by_code: dict[str, Category]
    # Every category's code, active or not: its own id and its minor classes' ids.
    family: dict[str, tuple[int, ...]]
    revision: tuple[int, datetime | None]
    checked_at: float


_lock = threading.Lock()
_copy: _Copy | None = None
# Bumped by every local invalidation: a load that overlapped one is used once but not kept.
_generation = 0
# Indirection so tests can move this process's clock past the check interval.
_clock = time.monotonic


def reportable() -> list[Category]:
    """Return the active minor categories under active major classes, major class joined, in order."""
    return list(_current().ordered)


def eligible(category: Category | str | None) -> Category | None:
    """Return the category a report may choose for this code or Category, or None when it may not.

    The one rule of every intake door (report page, API, 12345 orders and imports, Open311): an active
    minor class under an active major class. Codes are matched in any case, spaces ignored; a Category
    is judged by its code against the current copy, never by the (possibly stale) object given.
    """
    if category is None:
        return None
    code = category.code if isinstance(category, Category) else str(category)
    return _current().by_code.get(code.strip().upper())


def family_ids(code: str) -> tuple[int, ...]:
    """Return the ids of the category with this code and of the minor classes under it, active or not
    (cases keep retired categories); empty for an unknown code. Lists filter `category_id IN (these)`."""
    return _current().family.get((code or "").strip().upper(), ())


def groups(minors: list[Category] | None = None) -> list[CategoryGroup]:
    """Return the major classes with their minor classes, in the order of `minors` (default: every
    reportable category). Used by the report page, the categories endpoint and the work-list filter."""
    found: dict[int, CategoryGroup] = {}
    for minor in reportable() if minors is None else minors:
        group = found.get(minor.parent_id)
        if group is None:
            group = found[minor.parent_id] = CategoryGroup(minor.parent, [])
        group.minors.append(minor)
    return list(found.values())


def bump_revision(**_kwargs) -> None:
    """Tell every process that categories changed; runs inside the transaction that changed them."""
    updated = CategoryRevision.objects.filter(pk=1).update(
        revision=F("revision") + 1, changed_at=timezone.now()
    )
    if not updated:
        CategoryRevision.objects.get_or_create(pk=1, defaults={"revision": 1})


def invalidate(**_kwargs) -> None:
    """Forget this process's copy; the next call reloads it."""
    global _copy, _generation
    with _lock:
        _copy = None
        _generation += 1


def category_changed(**kwargs) -> None:
    """Receiver of a category's save or delete: bump the revision, drop this process's copy."""
    bump_revision()
    invalidate()


def connect_signals() -> None:
    """Called by the app's `ready()`, so every process that edits a category bumps the revision."""
    post_save.connect(category_changed, sender=Category, dispatch_uid="cases.categories.saved")
    post_delete.connect(category_changed, sender=Category, dispatch_uid="cases.categories.deleted")


def revision() -> tuple[int, datetime | None]:
    """Return the categories' revision and when it moved (None before any change): Open311's
    discovery `changeset`, which tells clients to reload the services they keep."""
    return _read_revision()


def _read_revision() -> tuple[int, datetime | None]:
    # changed_at is part of the identity: a rolled-back transaction or a restored database can reuse a
    # revision number for different categories, but not the moment it was bumped.
    row = CategoryRevision.objects.filter(pk=1).values_list("revision", "changed_at").first()
    return (row[0], row[1]) if row else (0, None)


def _current() -> _Copy:
    """Return this process's copy, reloading it when the revision moved since it was loaded.

    1. Within CATEGORY_CACHE_SECONDS of the last check, return the copy as it is (no query).
    2. Else read the revision; if it is the copy's, keep the copy; otherwise load the categories.
    """
    global _copy
    copy, generation = _copy, _generation
    now = _clock()
    if copy is not None and now - copy.checked_at < settings.CATEGORY_CACHE_SECONDS:
        return copy
    # The revision is read before the categories: an edit between the two only causes one more load
    # later, while the reverse order could label an old list with a new revision for good.
    revision = _read_revision()
    if copy is not None and copy.revision == revision:
        copy = replace(copy, checked_at=now)
    else:
        # Every category in one query (a few hundred rows): the reportable ones, in order, and the
        # families the lists filter by.
        every = tuple(
            Category.objects.select_related("parent").order_by("parent__sort", "parent__code", "sort", "code")
        )
        rows = tuple(c for c in every if c.is_active and c.parent_id is not None and c.parent.is_active)
        family: dict[str, list[int]] = {c.code: [c.pk] for c in every}
        for c in every:
            if c.parent_id is not None:
                family.setdefault(c.parent.code, [c.parent_id]).append(c.pk)
        copy = _Copy(rows, {c.code: c for c in rows}, {k: tuple(v) for k, v in family.items()}, revision, now)
    with _lock:
        if generation == _generation:
            _copy = copy
    return copy
