"""Address → grid (SKELETON: helper A completes it)."""

from __future__ import annotations

from dataclasses import dataclass

from civicgrid.places.models import Place


@dataclass(frozen=True)
class Match:
    grid_id: int  # the grid the address is in
    confidence: float  # 0..1, about the grid
    method: str  # "exact", "alias", "parts", "similar"
    address_id: int | None = None  # the register's address, when one was identified
    lon: float | None = None  # the address's point, when known
    lat: float | None = None
    text: str = ""  # the register's text of the address found

    @property
    def confident(self) -> bool:
        from django.conf import settings

        return self.confidence >= settings.ADDRESS_ROUTE_CONFIDENCE


def match(text: str, *, within: Place | None = None) -> Match | None:
    """Return the best match of `text` in the register (within a region), or None."""
    return None


def candidates(text: str, *, within: Place | None = None, limit: int = 8) -> list[Match]:
    """Return the register's best addresses for `text` (best first, at most `limit`), for an operator
    to pick from; empty text gives none. (SKELETON)"""
    return []
