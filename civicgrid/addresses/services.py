"""Keeping the standard address register: add, correct, merge, aliases (SKELETON: helper B completes it)."""

from __future__ import annotations

from civicgrid.accounts.models import User
from civicgrid.addresses.models import Address, AddressAlias
from civicgrid.places.models import Place


def placement_remember(
    *,
    text: str,
    user: User,
    address: Address | None = None,
    grid: Place | None = None,
    lon: float | None = None,
    lat: float | None = None,
) -> AddressAlias | None:
    """Keep an operator's placement of an order's address text so the next order written so routes
    by itself: picked `address` → an alias of it (kind "placed"); placed on the map (`grid` and the
    point) → a register address made from the text's parts, at that point, with the text as its
    alias. Returns the alias (None for an empty text). Idempotent for the same text and address."""
    raise NotImplementedError
