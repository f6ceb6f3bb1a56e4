"""Region scoping by code prefix: every place's code starts with its parent's (`places.Place`)."""

from __future__ import annotations

from django.db.models import Q


def code_prefix(prefix: str, field: str = "code") -> Q:
    """Return the rows whose `field` starts with the digits `prefix`, as a range a plain index serves
    on both databases (SQLite never uses an index for LIKE 'p%'); a prefix of nines or of other
    characters falls back to startswith."""
    if prefix.isdigit() and prefix.strip("9"):
        upper = str(int(prefix) + 1).zfill(len(prefix))
        return Q(**{f"{field}__gte": prefix, f"{field}__lt": upper})
    return Q(**{f"{field}__startswith": prefix})
