"""keyset.Order.compare sorts rows as the database does (NULLs last in either direction)."""

from functools import cmp_to_key
from types import SimpleNamespace as Row

from civicgrid.lib import keyset

URGENCY = keyset.Order(
    "u",
    (
        keyset.Column("late", "bool", descending=True),
        keyset.Column("due", "int", nullable=True),
        keyset.Column("id", "int", descending=True),
    ),
)


def test_compare_sorts_like_the_order_by():
    rows = [
        Row(late=False, due=None, id=1),
        Row(late=False, due=5, id=2),
        Row(late=True, due=9, id=3),
        Row(late=False, due=5, id=4),
        Row(late=True, due=None, id=5),
        Row(late=False, due=1, id=6),
    ]
    ordered = sorted(rows, key=cmp_to_key(URGENCY.compare))
    assert [r.id for r in ordered] == [3, 5, 6, 4, 2, 1]
