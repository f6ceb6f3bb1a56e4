"""The audit log of administrative writes: record an entry in the writer's transaction, and read it back.

Every service that makes an administrative write (places, boundaries, roles, tokens, agencies, users,
categories, the calendar) calls `record` inside its own transaction, so the write and its entry commit
or roll back together. Each domain app declares its action codes with `declare` (in its AppConfig);
core knows none of them and imports no domain app.

Who may read the log is decided by `reach` alone: superusers everything, district and city
administrators the entries about places within their scopes plus the entries they made.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from civicgrid.core.models import AuditEntry
from civicgrid.core.roles import ADMIN_ROLES
from civicgrid.core.scopes import is_root, is_signed_in, scopes
from civicgrid.lib import keyset
from civicgrid.lib.codes import code_prefix

Source = AuditEntry.Source

# --- Declared actions ------------------------------------------------------------------------------

_ACTIONS: dict[str, str | Promise] = {}
# Labels of keys in `changes` that are not fields of the target's model (an import's counts).
_TERMS: dict[str, str | Promise] = {}


def declare(actions: Mapping[str, str | Promise], terms: Mapping[str, str | Promise] | None = None) -> None:
    """Declare action codes with their (lazy, translated) labels; `record` refuses any other code."""
    _ACTIONS.update(actions)
    _TERMS.update(terms or {})


def action_label(code: str) -> str:
    return str(_ACTIONS.get(code, code))


def action_choices() -> list[tuple[str, str]]:
    """Return (code, label) of every declared action, sorted by code so related actions sit together."""
    return [(code, str(label)) for code, label in sorted(_ACTIONS.items())]


# --- The request an entry comes from ---------------------------------------------------------------


@dataclass
class RequestInfo:
    """What `RequestContextMiddleware` knows of the current request; absent for commands."""

    request_id: str
    client: str
    source: str = Source.WEB


_current: ContextVar[RequestInfo | None] = ContextVar("civicgrid_audit_request", default=None)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def new_request_id(offered: str | None = None) -> str:
    """Return the request id a proxy offered (X-Request-ID) when it is sane, else a fresh one."""
    if offered and _REQUEST_ID.match(offered):
        return offered
    return uuid.uuid4().hex


@contextmanager
def request_context(info: RequestInfo) -> Iterator[RequestInfo]:
    token = _current.set(info)
    try:
        yield info
    finally:
        _current.reset(token)


def current_request() -> RequestInfo | None:
    return _current.get()


# --- Recording -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """What an entry is about, when it is not one saved model instance (an import run)."""

    type: str
    id: str = ""
    text: str = ""


# Keys never stored in `changes`, whatever a caller passes.
_SECRET_PARTS = ("password", "secret", "hash")


def _json(value: Any) -> Any:
    """Return `value` as JSON would give it back (dates as ISO text, decimals as text)."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _scrub(changes: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in changes.items() if not any(p in key.lower() for p in _SECRET_PARTS)}


def actor_text(actor) -> str:
    """Return how an actor is named in the log: their name, with the account name when it differs."""
    if actor is None:
        return ""
    name, username = str(actor), actor.get_username()
    return f"{name} ({username})" if name != username else username


def target_of(obj: models.Model | Target) -> Target:
    if isinstance(obj, Target):
        return obj
    return Target(type=obj._meta.label_lower, id="" if obj.pk is None else str(obj.pk), text=str(obj)[:200])


def record(
    *,
    actor,
    action: str,
    target: models.Model | Target,
    place_code: str = "",
    changes: Mapping[str, Any] | None = None,
    source: str | None = None,
    client: str | None = None,
) -> AuditEntry:
    """Append one audit entry; call it inside the transaction of the write it records.

    1. Refuse outside a transaction: an entry must commit or roll back with its write.
    2. Refuse an action code no app declared (a typo would file entries nobody can filter).
    3. Take the source, client address and request id from the current request, if any (a command
       has none: source `command`); drop any key that names a password, secret or hash.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record must run inside the transaction of the write it records")
    if action not in _ACTIONS:
        raise ValueError(f"Undeclared audit action {action!r}")
    if actor is not None and not actor.is_authenticated:
        actor = None
    info = current_request()
    what = target_of(target)
    return AuditEntry.objects.create(
        actor=actor,
        actor_text=actor_text(actor)[:200],
        action=action,
        target_type=what.type,
        target_id=what.id[:40],
        target_text=what.text[:200],
        place_code=place_code or "",
        changes=_json(_scrub(changes or {})),
        source=source or (info.source if info else Source.COMMAND),
        client=(client if client is not None else (info.client if info else ""))[:64],
        request_id=info.request_id if info else "",
    )


def snapshot(obj: models.Model, fields: list[str]) -> dict[str, Any]:
    """Return the values of `fields` of `obj` as JSON values; a relation is given by its text."""
    result: dict[str, Any] = {}
    for name in fields:
        field = obj._meta.get_field(name)
        if field.is_relation and field.many_to_one:
            result[name] = None if getattr(obj, field.attname) is None else str(getattr(obj, name))
        else:
            result[name] = field.value_from_object(obj)
    return _json(result)


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Return `{field: {"from": ..., "to": ...}}` for the fields whose value changed."""
    before, after = _json(dict(before)), _json(dict(after))
    return {
        key: {"from": before.get(key), "to": after.get(key)}
        for key in after
        if key not in before or before[key] != after[key]
    }


def as_created(values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Return the `changes` of a create: every value as "to"."""
    return {key: {"to": value} for key, value in _json(dict(values)).items()}


def as_deleted(values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Return the `changes` of a delete: every value as "from"."""
    return {key: {"from": value} for key, value in _json(dict(values)).items()}


def enclosing_code(chains: list[list[str]]) -> str:
    """Return the nearest code every chain holds (each chain: a place's code, then its ancestors' nearest first).

    Used by bulk writes (an import) to file one entry under the region all its places lie in; ""
    when they share none.
    """
    if not chains:
        return ""
    others = [set(chain) for chain in chains[1:]]
    return next((code for code in chains[0] if all(code in other for other in others)), "")


# --- Reading ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reach:
    """What of the log a user may read: everything, or the entries under `prefixes` and their own."""

    everything: bool
    prefixes: tuple[str, ...]
    actor_id: int


def reach(user) -> Reach | None:
    """Return what of the audit log `user` may read, or None when they may not open it.

    The one permission decision for the log: superusers read everything; district and city
    administrators read the entries whose place code lies within a scope of their administrator roles,
    and every entry they made themselves; nobody else reads it.
    """
    if not is_signed_in(user):
        return None
    if is_root(user):
        return Reach(everything=True, prefixes=(), actor_id=user.pk)
    prefixes = sorted({s.place.scope_prefix for s in scopes(user) if s.role in ADMIN_ROLES and s.place})
    # A prefix inside another adds nothing.
    prefixes = [p for p in prefixes if not any(p != q and p.startswith(q) for q in prefixes)]
    if not prefixes:
        return None
    return Reach(everything=False, prefixes=tuple(prefixes), actor_id=user.pk)


def _code_range(prefix: str) -> Q:
    """Return the entries whose place code starts with `prefix` (`lib.codes.code_prefix`)."""
    return code_prefix(prefix, "place_code")


def visible_entries(user) -> QuerySet[AuditEntry]:
    """Return the entries `user` may read, newest first (none when they may not read the log)."""
    allowed = reach(user)
    qs = AuditEntry.objects.order_by("-at", "-id")
    if allowed is None:
        return qs.none()
    if allowed.everything:
        return qs
    condition = Q(actor_id=allowed.actor_id)
    for prefix in allowed.prefixes:
        condition |= _code_range(prefix)
    return qs.filter(condition)


# Newest first; the id breaks ties between entries of the same microsecond.
ORDER = keyset.Order(
    "a", (keyset.Column("at", "time", descending=True), keyset.Column("id", "int", descending=True))
)


def parse_cursor(text: str | None) -> tuple[datetime, int] | None:
    """Return (time, id) from a cursor, or None for a missing or malformed one (the newest page)."""
    if not text:
        return None
    try:
        return ORDER.parse(text)
    except keyset.InvalidCursor:
        return None


def field_label(target_type: str, key: str) -> str:
    """Return the label of a key of `changes`: the target model's field name, in the reader's language."""
    try:
        model = apps.get_model(target_type)
        return str(model._meta.get_field(key).verbose_name)
    except (LookupError, ValueError, FieldDoesNotExist):
        return str(_TERMS.get(key, key))


def target_label(target_type: str) -> str:
    try:
        return str(apps.get_model(target_type)._meta.verbose_name)
    except (LookupError, ValueError):
        return target_type


@dataclass(frozen=True)
class Filters:
    """What the log page narrows the entries to; empty values do not filter."""

    action: str = ""
    actor: str = ""
    actor_id: int | None = None
    target: str = ""
    target_type: str = ""
    target_id: str = ""
    since: datetime | None = None
    until: datetime | None = None


def filtered(qs: QuerySet[AuditEntry], filters: Filters) -> QuerySet[AuditEntry]:
    """Return the entries of `qs` that match `filters` (texts match anywhere, ignoring case)."""
    if filters.action:
        qs = qs.filter(action=filters.action)
    if filters.actor_id is not None:
        qs = qs.filter(actor_id=filters.actor_id)
    if filters.actor:
        qs = qs.filter(actor_text__icontains=filters.actor)
    if filters.target_type:
        qs = qs.filter(target_type=filters.target_type, target_id=filters.target_id)
    if filters.target:
        qs = qs.filter(target_text__icontains=filters.target)
    if filters.since is not None:
        qs = qs.filter(at__gte=filters.since)
    if filters.until is not None:
        qs = qs.filter(at__lt=filters.until)
    return qs


@dataclass(frozen=True)
class Page:
    entries: list[AuditEntry]
    # The cursor of the next (older) page; "" on the last page.
    older: str


def entries_page(user, *, filters: Filters, cursor: str | None = None, size: int = 50) -> Page:
    """Return one page of the entries `user` may read, newest first, after `cursor` (one query)."""
    qs = filtered(visible_entries(user), filters).order_by(*ORDER.order_by())
    page = keyset.page_after(qs, ORDER, cursor if parse_cursor(cursor) else "", size)
    return Page(entries=page.items, older=page.next_cursor)


@dataclass(frozen=True)
class ChangeLine:
    """One line of an entry's changes, for reading: a field and its value before and after."""

    label: str
    before: str | None  # None: the entry has no "before" (a create, or a plain fact)
    after: str | None  # None: the entry has no "after" (a delete)


def _choice_labels(target_type: str, key: str) -> dict[Any, str]:
    try:
        field = apps.get_model(target_type)._meta.get_field(key)
    except (LookupError, ValueError, FieldDoesNotExist):
        return {}
    return {value: str(label) for value, label in (field.flatchoices or [])}


def _shown(value: Any, choices: Mapping[Any, str]) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, str | int) and value in choices:
        return choices[value]
    if isinstance(value, str) and len(value) >= 19 and value[10:11] == "T":
        moment = parse_datetime(value)
        if moment is not None:
            return date_format(localtime(moment) if moment.tzinfo else moment, "Y-m-d H:i:s")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)[:200]
    return str(value)


def change_lines(entry: AuditEntry) -> list[ChangeLine]:
    """Return an entry's changes as lines to read: labels and values in the reader's language."""
    lines = []
    for key, value in (entry.changes or {}).items():
        choices = _choice_labels(entry.target_type, key)
        label = field_label(entry.target_type, key)
        if isinstance(value, dict) and set(value) <= {"from", "to"} and value:
            if len(value) == 1 and next(iter(value.values())) in (None, ""):
                continue  # A create or delete lists what was there, not the empty fields.
            before = _shown(value["from"], choices) if "from" in value else None
            after = _shown(value["to"], choices) if "to" in value else None
            lines.append(ChangeLine(label, before, after))
        else:
            lines.append(ChangeLine(label, None, _shown(value, choices)))
    return lines
