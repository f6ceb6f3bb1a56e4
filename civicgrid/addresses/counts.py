"""The register's counts per grid (`GridAddressCount`), kept by every write.

A write recounts the grids it touched from their addresses (one GROUP BY through the register's
(grid, status, id) index: a grid holds hundreds of addresses), so the kept rows are right by
construction, and a region's figures sum its grids' rows: a city of 10,000 grids reads 10,000 small
rows, never its millions of addresses. `manage.py address_counts --repair` recounts every grid.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, Q

from civicgrid.addresses.models import Address, GridAddressCount
from civicgrid.places.models import Place

_CHUNK = 500
_FIELDS = ["grid_code", "active", "with_point", "merged", "retired"]


def _figures(addresses) -> dict[int, dict[str, int]]:
    """Count `addresses` per grid: in use, in use with a point, merged, retired (one GROUP BY)."""
    found: dict[int, dict[str, int]] = {}
    rows = (
        addresses.order_by()
        .values("grid_id", "status")
        .annotate(n=Count("id"), points=Count("id", filter=Q(lon__isnull=False)))
    )
    for row in rows:
        figures = found.setdefault(row["grid_id"], dict.fromkeys(_FIELDS[1:], 0))
        if row["status"] == Address.Status.ACTIVE:
            figures["active"] = row["n"]
            figures["with_point"] = row["points"]
        elif row["status"] in figures:
            figures[row["status"]] = row["n"]
    return found


def recount(grid_ids: Iterable[int]) -> int:
    """Recount the addresses of the grids `grid_ids` and keep the figures; return how many grids."""
    ids = sorted({int(i) for i in grid_ids if i is not None})
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        found = _figures(Address.objects.filter(grid_id__in=chunk))
        codes = dict(Place.objects.filter(pk__in=chunk).values_list("pk", "code"))
        GridAddressCount.objects.bulk_create(
            [
                GridAddressCount(
                    grid_id=gid, grid_code=codes[gid], **found.get(gid, dict.fromkeys(_FIELDS[1:], 0))
                )
                for gid in chunk
                if gid in codes
            ],
            update_conflicts=True,
            unique_fields=["grid"],
            update_fields=_FIELDS,
        )
    return len(ids)


def recount_all() -> int:
    """Recount every grid that has addresses or kept figures (the repair)."""
    ids = set(Address.objects.order_by().values_list("grid_id", flat=True).distinct())
    ids |= set(GridAddressCount.objects.values_list("grid_id", flat=True))
    return recount(ids)


def stale() -> list[str]:
    """Return the codes of the grids whose kept figures differ from a recount (the check)."""
    kept = {c.grid_id: {f: getattr(c, f) for f in _FIELDS[1:]} for c in GridAddressCount.objects.all()}
    actual = _figures(Address.objects.all())
    zero = dict.fromkeys(_FIELDS[1:], 0)
    wrong = [gid for gid in set(kept) | set(actual) if kept.get(gid, zero) != actual.get(gid, zero)]
    return sorted(Place.objects.filter(pk__in=wrong).values_list("code", flat=True))
