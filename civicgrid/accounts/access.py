"""Who may manage API tokens and Open311 client keys; on top of the scope resolver (`civicgrid.core.scopes`)."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from civicgrid.core.errors import PermissionDenied
from civicgrid.core.roles import ADMIN_ROLES, STAFF_ROLES
from civicgrid.core.scopes import Scope, is_root, scopes
from civicgrid.places.models import Place


def can_create_token(user) -> bool:
    """Staff and integrations (signed in as staff) create API tokens for themselves."""
    return is_root(user) or any(s.role in STAFF_ROLES for s in scopes(user))


def check_create_token(user) -> None:
    if not can_create_token(user):
        raise PermissionDenied(_("You do not have permission to do this here."))


# --- Open311 client applications -------------------------------------------------------------------

# The levels of place a client key may be scoped to: the area its application files requests in.
CLIENT_REGION_LEVELS = (Place.Level.CITY, Place.Level.DISTRICT, Place.Level.TOWN)


def _client_scopes(user) -> list[Scope]:
    """Return the administrator scopes from which `user` manages client keys."""
    return [s for s in scopes(user) if s.role in ADMIN_ROLES and s.place is not None]


def can_manage_clients(user) -> bool:
    """Return whether `user` may open the client apps page: superusers, district and city administrators."""
    return is_root(user) or bool(_client_scopes(user))


def can_manage_client(user, region: Place) -> bool:
    """Return whether `user` may see, issue and revoke keys scoped to `region`.

    Superusers may everywhere; a district or city administrator for their region and the regions
    within it (a district administrator for their district or a town in it, not for the city).
    """
    return is_root(user) or any(s.covers(region) for s in _client_scopes(user))


def check_manage_client(user, region: Place) -> None:
    """Raise PermissionDenied unless `user` may manage client keys of `region`."""
    if not can_manage_client(user, region):
        raise PermissionDenied(_("You may not manage client applications of this region."))


def _scoped(user, qs: QuerySet, field: str) -> QuerySet:
    """Return the rows of `qs` whose place (`field`, "" for a place queryset) `can_manage_client` allows.

    A place is within a scope when its code starts with the scope's prefix and it is not above the
    scope's level, as `Place.is_within` says.
    """
    if is_root(user):
        return qs
    condition = Q()
    for s in _client_scopes(user):
        levels = Place.LEVEL_ORDER[s.place.depth :]
        condition |= Q(**{f"{field}code__startswith": s.place.scope_prefix, f"{field}level__in": levels})
    return qs.filter(condition) if condition else qs.none()


def client_regions(user) -> QuerySet[Place]:
    """Return the places `user` may scope a new client key to (cities, districts, towns), by code."""
    return _scoped(user, Place.objects.filter(level__in=CLIENT_REGION_LEVELS).order_by("code"), "")


def scope_clients(user, qs: QuerySet) -> QuerySet:
    """Return the client applications of `qs` whose keys `user` may manage."""
    return _scoped(user, qs, "region__")
