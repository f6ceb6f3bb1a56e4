"""The hotline's category paths (问题分类, "城乡建设>市容环卫>垃圾清运") and the CivicGrid category each maps to.

A path is kept once, normalised (`path_key`), in `HotlineCategoryMap`. An import or a pushed order with
a path not mapped yet records it (category None) and is refused for that run; the operator running
the import answers it once on the upload page, or an administrator on the table page, and from then
on the path maps by itself. A CivicGrid category code given instead of a path is taken as itself.
Used by `cases.hotline` (the API push, the command, the upload page) and the table page.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db import transaction
from django.db.models import BooleanField, Case, F, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.accounts.models import User
from civicgrid.cases import access as case_access
from civicgrid.cases import categories
from civicgrid.cases.models import Category, HotlineCategoryMap
from civicgrid.core import audit
from civicgrid.core.errors import ApplicationError, PermissionDenied
from civicgrid.lib import keyset

AUDIT_ACTIONS = {"hotline_category.map": gettext_lazy("Hotline category mapped")}
AUDIT_FIELDS = ["path", "category"]

# What hotline systems write between the levels of a path; runs of them are one separator.
_SEPARATORS = re.compile(r"[\s>/\\→\-—|]+")
# A CivicGrid category code (a major letter and digits: E0104) rather than a hotline path.
_CODE = re.compile(r"^[A-Za-z][0-9]{2,6}$")
SEPARATOR = ">"


def path_key(text: str) -> str:
    """Return a path as it is looked up: NFKC (full-width ＞ and spaces become half-width), every
    separator (> / → - spaces) one ">", no separator at either end, Latin letters in lower case."""
    normal = unicodedata.normalize("NFKC", text or "").strip()
    return _SEPARATORS.sub(SEPARATOR, normal).strip(SEPARATOR).lower()[:200]


def path_text(text: str) -> str:
    """Return a path as shown: the levels as written (NFKC), joined by " > "."""
    return " > ".join(part for part in path_key_parts(text))


def path_key_parts(text: str) -> list[str]:
    normal = unicodedata.normalize("NFKC", text or "").strip()
    return [part for part in _SEPARATORS.split(normal) if part]


def is_code(text: str) -> bool:
    """Return whether `text` is written as a CivicGrid category code (E0104), not as a hotline path."""
    return bool(_CODE.match((text or "").strip()))


@dataclass(frozen=True)
class Resolved:
    """What an order's category text stands for: a category code for intake, or a path not mapped yet."""

    text: str  # as written
    key: str  # the path's key ("" for a code)
    code: str  # the CivicGrid category code intake is given ("" when unmapped)

    @property
    def unmapped(self) -> bool:
        return not self.code


def resolve_all(texts: Iterable[str]) -> dict[str, Resolved]:
    """Return what each distinct category text means, keyed by the text as written (one query).

    A code is itself (intake judges it); a path is its mapped category's code, or unmapped.
    """
    written = {t for t in texts if t}
    keys = {t: path_key(t) for t in written if not is_code(t)}
    mapped = dict(
        HotlineCategoryMap.objects.filter(
            path_key__in=set(keys.values()), category__isnull=False
        ).values_list("path_key", "category__code")
    )
    found: dict[str, Resolved] = {}
    for text in written:
        if text not in keys:
            found[text] = Resolved(text, "", text.strip().upper())
        else:
            found[text] = Resolved(text, keys[text], mapped.get(keys[text], ""))
    return found


def resolve(text: str) -> Resolved:
    return resolve_all([text]).get(text) or Resolved(text, "", "")


def unmapped_message(path: str) -> str:
    return _("category path not mapped yet: “%(path)s”. Choose its category on the import page.") % {
        "path": path[:80]
    }


def paths_seen(seen: Mapping[str, tuple[str, int]], *, count: bool) -> None:
    """Record the paths an import or a push met: a path never seen before is kept, unmapped.

    `seen` maps each path key to (the path as first written, how many orders carried it); with
    `count` (a committed import, a push) their `orders_seen` grow by that many, so the table shows
    which paths matter. A dry run only records new paths, so a check and its commit count once.
    """
    if not seen:
        return
    known = set(HotlineCategoryMap.objects.filter(path_key__in=list(seen)).values_list("path_key", flat=True))
    HotlineCategoryMap.objects.bulk_create(
        [
            HotlineCategoryMap(path=path_text(path)[:200], path_key=key)
            for key, (path, _n) in seen.items()
            if key not in known
        ],
        ignore_conflicts=True,  # another import recorded it meanwhile
    )
    if count:
        for key, (_path, n) in seen.items():
            HotlineCategoryMap.objects.filter(path_key=key).update(orders_seen=F("orders_seen") + n)


def category_choices() -> list[Category]:
    """Return the categories a path may map to: those intake accepts, in their order."""
    return categories.reportable()


def mapping_answer(*, actor: User, key: str, category: Category | str, path: str = "") -> HotlineCategoryMap:
    """Set the category of the path with this key (kept first if new) and record it in the audit log.

    1. Refuse a category intake would not accept, and an actor `access.can_answer_hotline_path`
       refuses (a path already mapped is changed by administrators only).
    2. An importer's answer to a path someone mapped meanwhile changes nothing: the first answer stays.
    """
    chosen = categories.eligible(category)
    if chosen is None:
        message = _("Choose a category from the list.")
        raise ApplicationError(message, code="invalid", extra={"fields": {"category": message}})
    key = path_key(key)
    if not key:
        raise ApplicationError(_("Give the hotline category path."), code="invalid")
    with transaction.atomic():
        mapping = HotlineCategoryMap.objects.select_for_update().filter(path_key=key).first()
        if mapping is None:
            mapping = HotlineCategoryMap.objects.create(path=path_text(path or key)[:200], path_key=key)
        mapped = mapping.category_id is not None
        if not case_access.can_answer_hotline_path(actor, mapped=mapped):
            if mapped and case_access.can_import_hotline(actor):
                return mapping  # answered by someone else first: that answer stands
            raise PermissionDenied(_("You may not choose the category of hotline category paths."))
        if mapping.category_id == chosen.pk:
            return mapping
        before = audit.snapshot(mapping, AUDIT_FIELDS)
        mapping.category = chosen
        mapping.answered_by = actor
        mapping.answered_at = timezone.now()
        mapping.save(update_fields=["category", "answered_by", "answered_at"])
        audit.record(
            actor=actor,
            action="hotline_category.map",
            target=mapping,
            changes=audit.diff(before, audit.snapshot(mapping, AUDIT_FIELDS)),
        )
    return mapping


def answers_apply(*, actor: User, answers: Mapping[str, str], asked: Mapping[str, str]) -> dict[str, str]:
    """Save an importer's answers (path key → category code) to the paths `asked` in their import
    (path key → path as written); return the errors by path key. Answers to other paths are ignored,
    blank answers skipped."""
    errors: dict[str, str] = {}
    for key, code in answers.items():
        if key not in asked or not code:
            continue
        try:
            mapping_answer(actor=actor, key=key, category=code, path=asked[key])
        except ApplicationError as exc:
            errors[key] = exc.message
    return errors


# ---------------------------------------------------------------------------------------------
# The table page

# Unmapped paths first, then the most seen, then the order they came in.
ORDER = keyset.Order(
    "hc",
    (
        keyset.Column("is_mapped", "bool"),
        keyset.Column("orders_seen", "int", descending=True),
        keyset.Column("id", "int"),
    ),
)
PAGE_SIZE = 50


def mapping_list(*, search: str = "", show: str = "", cursor: str = "", size: int = PAGE_SIZE) -> keyset.Page:
    """Return one page of the mapping table: unmapped paths first, then by orders seen.

    `search` finds a path (as written or normalised) or a category code or name; `show` is
    "unmapped", "mapped" or "" (all). Raises keyset.InvalidCursor for a cursor not of this list.
    """
    qs: QuerySet[HotlineCategoryMap] = HotlineCategoryMap.objects.select_related(
        "category", "answered_by"
    ).annotate(
        is_mapped=Case(
            When(category__isnull=True, then=Value(False)), default=Value(True), output_field=BooleanField()
        )
    )
    if show == "unmapped":
        qs = qs.filter(category__isnull=True)
    elif show == "mapped":
        qs = qs.filter(category__isnull=False)
    search = (search or "").strip()[:100]
    if search:
        qs = qs.filter(
            Q(path__icontains=search)
            | Q(path_key__contains=path_key(search))
            | Q(category__code__iexact=search)
            | Q(category__name__icontains=search)
        )
    return keyset.page_after(qs.order_by(*ORDER.order_by()), ORDER, cursor, size)


def unmapped_total() -> int:
    return HotlineCategoryMap.objects.filter(category__isnull=True).count()
