"""The categories a report may choose: one eligibility rule for every intake door, held in each process.

Read on every report, edited rarely. Each process keeps a copy and the revision (`CategoryRevision`)
it was loaded at; at most every `CATEGORY_CACHE_SECONDS` a call reads the revision (one indexed
query) and reloads the copy when it moved. The copy holds the categories' questions too (`questions`). A save or
delete of a category or of a question bumps the revision in its
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
from django.utils.translation import get_language

from civicgrid.cases.models import Category, CategoryQuestion, CategoryRevision


def _english() -> bool:
    return (get_language() or "").startswith("en")


@dataclass(frozen=True)
class Choice:
    """One choice of a list question: `key` is what an answer holds, `name` what a person reads."""

    key: str
    name: str
    name_en: str = ""

    @property
    def display_name(self) -> str:
        """Return the name in the active language (English when it is en and there is one)."""
        return self.name_en if self.name_en and _english() else self.name


@dataclass(frozen=True)
class Question:
    """One question of a minor class (an Open311 service attribute), as every door reads it.

    `hint` is Open311's datatype_description; `values` are the choices of the list types (empty
    for the others). `display_label`, `display_hint` and `value_name` speak the active language.
    """

    code: str
    label: str
    label_en: str
    hint: str
    hint_en: str
    datatype: str
    required: bool
    order: int
    values: tuple[Choice, ...] = ()

    @property
    def is_list(self) -> bool:
        return self.datatype in CategoryQuestion.LIST_TYPES

    @property
    def is_multiple(self) -> bool:
        return self.datatype == CategoryQuestion.Datatype.MULTI

    @property
    def display_label(self) -> str:
        return self.label_en if self.label_en and _english() else self.label

    @property
    def display_hint(self) -> str:
        return self.hint_en if self.hint_en and _english() else self.hint

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(c.key for c in self.values)

    def value_name(self, key: str) -> str:
        """Return the display name of a choice's key (the key itself when it is no longer a choice)."""
        for choice in self.values:
            if choice.key == key:
                return choice.display_name
        return key

    def as_json(self) -> dict:
        """Return the question as JSON, texts in the active language (the API's categories list and
        the report page's configuration)."""
        return {
            "code": self.code,
            "label": self.display_label,
            "label_en": self.label_en,
            "hint": self.display_hint,
            "hint_en": self.hint_en,
            "datatype": self.datatype,
            "required": self.required,
            "order": self.order,
            "values": [{"key": c.key, "name": c.display_name, "name_en": c.name_en} for c in self.values],
        }

    @classmethod
    def of(cls, row: CategoryQuestion) -> Question:
        values = (
            row.values if row.datatype in CategoryQuestion.LIST_TYPES and isinstance(row.values, list) else []
        )
        return cls(
            code=row.code,
            label=row.label,
            label_en=row.label_en,
            hint=row.hint,
            hint_en=row.hint_en,
            datatype=row.datatype,
            required=row.required,
            order=row.order,
            values=tuple(
                Choice(str(v.get("key", "")), str(v.get("name", "")), str(v.get("name_en", "") or ""))
                for v in values
                if isinstance(v, dict)
            ),
        )


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
    # The active questions of each reportable category (by id), in order.
    questions: dict[int, tuple[Question, ...]]
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


def quick(minors: list[Category] | None = None) -> list[Category]:
    """Return the categories the report page shows as large icons (those given an icon), by their
    icon order, then the categories' own order."""
    chosen = [c for c in (reportable() if minors is None else minors) if c.quick_icon]
    return sorted(chosen, key=lambda c: c.quick_order)


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


def questions(category: Category | str | None) -> list[Question]:
    """Return the active questions of a category (a Category or its code), ordered by order then code;
    empty for a category with none or one that may not be chosen.

    The one list every door asks and `answers.clean_answers` checks: the report page, the API's
    categories and intake, Open311's service definitions.
    """
    if category is None:
        return []
    copy = _current()
    if isinstance(category, Category):
        chosen = copy.by_code.get(category.code)
    else:
        chosen = copy.by_code.get(str(category).strip().upper())
    return list(copy.questions.get(chosen.pk, ())) if chosen is not None else []


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
    """Receiver of a category's or a question's save or delete: bump the revision, drop this process's
    copy."""
    bump_revision()
    invalidate()


def connect_signals() -> None:
    """Called by the app's `ready()`, so every process that edits a category bumps the revision."""
    post_save.connect(category_changed, sender=Category, dispatch_uid="cases.categories.saved")
    post_delete.connect(category_changed, sender=Category, dispatch_uid="cases.categories.deleted")
    post_save.connect(category_changed, sender=CategoryQuestion, dispatch_uid="cases.questions.saved")
    post_delete.connect(category_changed, sender=CategoryQuestion, dispatch_uid="cases.questions.deleted")


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
        # The active questions, one more query (a few per category at most).
        asked: dict[int, list[Question]] = {}
        reportable_ids = {c.pk for c in rows}
        for row in CategoryQuestion.objects.filter(is_active=True).order_by("category_id", "order", "code"):
            if row.category_id in reportable_ids:
                asked.setdefault(row.category_id, []).append(Question.of(row))
        copy = _Copy(
            rows,
            {c.code: c for c in rows},
            {k: tuple(v) for k, v in family.items()},
            {k: tuple(v) for k, v in asked.items()},
            revision,
            now,
        )
    with _lock:
        if generation == _generation:
            _copy = copy
    return copy
