"""Keyset (cursor) pagination: a page continues after the last row of the page before, never by OFFSET.

A page after a cursor costs what the first page costs (the database seeks to the cursor in the index
that serves the order), and rows that leave or join the list meanwhile neither shift nor repeat the rows
that stay. A cursor is the sort key of the last row shown, written as short text: the order's tag, then
each value (`Order.cursor_of`); `Order.parse` reads it back and refuses anything else with
`InvalidCursor`. A cursor carries no permission: the list it continues is scoped again on every request.

Pure: no models. Used by the case lists (`cases.selectors`), notifications and the audit log.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cmp_to_key
from typing import Any

from django.db.models import F, OrderBy, Q

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
# Longer cursors are refused unread.
MAX_CURSOR_CHARS = 120
_NULL = "n"


class InvalidCursor(ValueError):
    """The text is not a cursor of this order (mangled, of another list's order, or made up)."""


@dataclass(frozen=True)
class Column:
    """One column of an order: its field, the kind of its values, its direction.

    NULLs (only in a `nullable` column) sort after every value in either direction, on both databases.
    """

    name: str
    kind: str  # "int", "bool" or "time"
    descending: bool = False
    nullable: bool = False

    def order_by(self) -> OrderBy:
        expression = F(self.name)
        if self.nullable:
            return expression.desc(nulls_last=True) if self.descending else expression.asc(nulls_last=True)
        return expression.desc() if self.descending else expression.asc()

    def write(self, value: Any) -> str:
        if value is None:
            if not self.nullable:
                raise ValueError(f"{self.name} is not nullable")
            return _NULL
        if self.kind == "bool":
            return "1" if value else "0"
        if self.kind == "time":
            return str((value - _EPOCH) // _MICROSECOND)
        return str(int(value))

    def read(self, text: str) -> Any:
        if text == _NULL and self.nullable:
            return None
        if self.kind == "bool":
            if text not in ("0", "1"):
                raise InvalidCursor(text)
            return text == "1"
        digits = text[1:] if text.startswith("-") else text
        if not digits.isdigit() or len(digits) > 18:
            raise InvalidCursor(text)
        number = int(text)
        if self.kind == "time":
            try:
                return _EPOCH + number * _MICROSECOND
            except OverflowError:
                raise InvalidCursor(text) from None
        return number

    def equal(self, value: Any) -> Q:
        return Q(**{f"{self.name}__isnull": True}) if value is None else Q(**{self.name: value})

    def after(self, value: Any) -> Q | None:
        """Return the rows after `value` in this column alone (None: nothing comes after it)."""
        if value is None:
            return None  # NULLs come last
        if self.kind == "bool":
            if value != self.descending:
                return None  # False ascending or True descending: the last value
            return Q(**{self.name: not value})
        found = Q(**{f"{self.name}__{'lt' if self.descending else 'gt'}": value})
        if self.nullable:
            found |= Q(**{f"{self.name}__isnull": True})
        return found

    def not_before(self, value: Any) -> Q | None:
        """Return a plain range (or None) every row at or after `value` lies in: an index serves it."""
        if value is None or self.kind == "bool":
            return None
        if self.nullable:
            return None  # NULLs are after every value, outside any range
        return Q(**{f"{self.name}__{'lte' if self.descending else 'gte'}": value})


@dataclass(frozen=True)
class Order:
    """The order of a list as columns, the last one unique (an id), and the tag its cursors start with."""

    tag: str
    columns: tuple[Column, ...]

    def order_by(self) -> list[OrderBy]:
        return [c.order_by() for c in self.columns]

    def values_of(self, row: Any) -> tuple[Any, ...]:
        return tuple(getattr(row, c.name) for c in self.columns)

    def compare(self, a: Any, b: Any) -> int:
        """Compare two rows in this order (-1: `a` first), as the database sorts them (NULLs last)."""
        for column, x, y in zip(self.columns, self.values_of(a), self.values_of(b), strict=True):
            if x == y:
                continue
            if x is None or y is None:
                return 1 if x is None else -1
            first = (x > y) if column.descending else (x < y)
            return -1 if first else 1
        return 0

    def cursor_of(self, row: Any) -> str:
        """Return the cursor just past `row` (a model instance of the list)."""
        return ".".join(
            [self.tag, *(c.write(v) for c, v in zip(self.columns, self.values_of(row), strict=True))]
        )

    def parse(self, text: str) -> tuple[Any, ...]:
        """Return the values of a cursor of this order; raise InvalidCursor for anything else."""
        if not isinstance(text, str) or len(text) > MAX_CURSOR_CHARS:
            raise InvalidCursor(str(text)[:40])
        parts = text.split(".")
        if len(parts) != len(self.columns) + 1 or parts[0] != self.tag:
            raise InvalidCursor(text)
        return tuple(c.read(part) for c, part in zip(self.columns, parts[1:], strict=True))

    def after(self, values: tuple[Any, ...]) -> Q:
        """Return the rows strictly after the row whose sort key is `values`, in this order.

        (a, b, c) after (x, y, z): a after x, or a = x and b after y, or a = b = … and c after z; plus
        the leading column's inclusive bound, which lets the index seek instead of reading from the start.
        """
        terms: list[Q] = []
        equal = Q()
        for column, value in zip(self.columns, values, strict=True):
            found = column.after(value)
            if found is not None:
                terms.append(equal & found)
            equal &= column.equal(value)
        if not terms:
            return Q(pk__in=[])
        condition = terms[0]
        for term in terms[1:]:
            condition |= term
        bound = self.columns[0].not_before(values[0])
        return condition if bound is None or len(terms) == 1 else bound & condition


@dataclass(frozen=True)
class Page:
    """One page of a keyset list: its rows and the cursor of the next page ("" on the last page)."""

    items: list[Any]
    next_cursor: str


def page_after(qs, order: Order, cursor: str = "", size: int = 20, *, fetch=list) -> Page:
    """Return the page of `qs` (ordered by `order.order_by()`) after `cursor` ("" for the first page).

    One query: it reads one row more than `size` to know whether a next page exists. `fetch` turns
    the sliced queryset into rows (by default `list`; a list may read its page's ids first and join
    only those). Raises InvalidCursor for a cursor that is not one of `order`.
    """
    if cursor:
        qs = qs.filter(order.after(order.parse(cursor)))
    rows = fetch(qs[: size + 1])
    next_cursor = order.cursor_of(rows[size - 1]) if len(rows) > size else ""
    return Page(rows[:size], next_cursor)


def merged_page_after(
    querysets: Sequence[Any], order: Order, cursor: str = "", size: int = 20, *, fetch=list
) -> Page:
    """Return the page after `cursor` of the union of disjoint querysets, each in `order`.

    Each is read after the cursor up to one row more than `size` (one query each, through its own
    index), and the rows are merged in order: the page of an OR of conditions that no single index
    serves in order (an agency's lead cases or its co-handled ones) costs what its parts' first pages
    cost, where the OR would be read row by row until the page is full.
    """
    values = order.parse(cursor) if cursor else None
    rows: list[Any] = []
    for qs in querysets:
        if values is not None:
            qs = qs.filter(order.after(values))
        rows.extend(fetch(qs[: size + 1]))
    rows.sort(key=cmp_to_key(order.compare))
    rows = rows[: size + 1]
    next_cursor = order.cursor_of(rows[size - 1]) if len(rows) > size else ""
    return Page(rows[:size], next_cursor)


def page_at(qs, order: Order, offset: int, size: int, *, fetch=list) -> Page:
    """Return the page of `qs` at `offset` (the older way in, kept for links and clients that use it),
    with a cursor to continue from by keyset."""
    rows = fetch(qs[offset : offset + size + 1])
    next_cursor = order.cursor_of(rows[size - 1]) if len(rows) > size else ""
    return Page(rows[:size], next_cursor)
