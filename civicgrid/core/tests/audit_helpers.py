"""Helpers for tests of the audit log: which entries a block of code wrote."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from civicgrid.core.models import AuditEntry


@contextmanager
def recorded() -> Iterator[list[AuditEntry]]:
    """Collect the audit entries written inside the block, oldest first (filled when the block ends)."""
    start = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    entries: list[AuditEntry] = []
    try:
        yield entries
    finally:
        entries.extend(AuditEntry.objects.filter(id__gt=start).order_by("id"))


def only(entries: list[AuditEntry]) -> AuditEntry:
    """Return the one entry of `entries`, failing when there are none or several."""
    assert len(entries) == 1, [(e.action, e.target_text) for e in entries]
    return entries[0]
