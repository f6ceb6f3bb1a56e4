"""The scope resolver: which roles a user holds and which place (or agency) each one covers.

Every app's access rules (`places/access.py`, `accounts/access.py`, `cases/access.py`, ...) start here
and nothing else reads role assignments to make a decision. Core imports no domain app: the accounts
app, which owns role assignments, registers the loader that reads them (`set_loader`, from its
`AppConfig.ready`). A scope's place is any object with `code`, `level`, `pk`, `scope_prefix`, `depth`
and `is_within(other)` (a `places.Place`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from civicgrid.core.roles import Role


class PlaceLike(Protocol):
    pk: Any
    code: str
    level: str

    @property
    def scope_prefix(self) -> str: ...

    @property
    def depth(self) -> int: ...

    def is_within(self, other: Any) -> bool: ...


@dataclass(frozen=True)
class Scope:
    """One active role of a user and the place it covers (None: the role has no region)."""

    role: Role
    place: PlaceLike | None
    agency_id: int | None = None

    def covers(self, place: PlaceLike) -> bool:
        return self.place is not None and place.is_within(self.place)

    def is_below(self, place: PlaceLike) -> bool:
        """Return True if `place` is an ancestor of this scope's place (the chain above it)."""
        return self.place is not None and self.place.is_within(place) and self.place.code != place.code


# Reads a user's active scopes from the database; registered by the accounts app.
_loader: Callable[[Any], list[Scope]] | None = None


def set_loader(loader: Callable[[Any], list[Scope]]) -> None:
    """Register the function that reads a user's active scopes (accounts does, when apps are ready)."""
    global _loader
    _loader = loader


def is_signed_in(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def is_root(user) -> bool:
    """Return whether `user` is a superuser, who passes every rule."""
    return is_signed_in(user) and bool(user.is_superuser)


def scopes(user) -> list[Scope]:
    """Return the user's active scopes, read once per request and kept on the user object."""
    if not is_signed_in(user):
        return []
    cached = getattr(user, "_civicgrid_scopes", None)
    if cached is not None:
        return cached
    if _loader is None:
        raise RuntimeError("No scope loader registered: is civicgrid.accounts in INSTALLED_APPS?")
    result = _loader(user)
    user._civicgrid_scopes = result
    return result


def forget(user) -> None:
    """Drop the scopes kept on the user object (after its roles changed)."""
    if hasattr(user, "_civicgrid_scopes"):
        del user._civicgrid_scopes


def roles(user) -> set[Role]:
    return {s.role for s in scopes(user)}


def has_role(user, *wanted: Role) -> bool:
    return bool(roles(user) & set(wanted))


def places_of(user, *, exclude: frozenset[Role] = frozenset()) -> list[PlaceLike]:
    """Return the distinct places of the user's scopes (roles in `exclude` left out), widest first."""
    seen: dict[str, PlaceLike] = {}
    for s in scopes(user):
        if s.place is not None and s.role not in exclude:
            seen.setdefault(s.place.code, s.place)
    return sorted(seen.values(), key=lambda p: (p.depth, p.code))
