"""Who may see and manage which places, on top of the scope resolver (`civicgrid.core.scopes`).

A place is *within* a scope when its code starts with the scope's prefix; the ancestors of a scope are
visible too, so everyone sees the chain above them. Pages, the API, exports, the importer and the admin
ask here; `scope_places` scopes every place queryset.
"""

from __future__ import annotations

from enum import StrEnum

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from civicgrid.core.errors import PermissionDenied
from civicgrid.core.roles import ADMIN_ROLES, STAFF_ROLES, Role
from civicgrid.core.scopes import is_root, places_of, scopes
from civicgrid.places.models import Place
from civicgrid.places.services import code_ancestors


class Perm(StrEnum):
    PLACE_VIEW = "place.view"
    # See the phone numbers of the people serving a place (grid workers, cadres).
    PLACE_VIEW_CONTACTS = "place.view_contacts"
    # Import or redraw boundaries, add places under a place.
    PLACE_MANAGE = "place.manage"
    # Run a village or community's own affairs: its volunteer teams, points rules, rewards and
    # leaderboard (the village/community cadres, and the town, district and city staff above them).
    COMMUNITY_MANAGE = "place.community_manage"
    # Export a subtree as GeoJSON: a staff tool (grid workers and above, for what their scope covers),
    # never a resident's.
    PLACE_EXPORT = "place.export"


# The roles that run the affairs of the communities their scope covers.
COMMUNITY_ROLES = frozenset({Role.VILLAGE_CADRE, Role.TOWN_OPERATOR, *ADMIN_ROLES})


def can(user, perm: Perm, place: Place | None = None) -> bool:
    """Return whether `user` may do `perm` to `place` (or to some place, when None)."""
    if is_root(user):
        return True
    user_scopes = scopes(user)
    if perm == Perm.PLACE_VIEW:
        if place is None:
            return any(s.place is not None for s in user_scopes)
        return any(s.covers(place) or s.is_below(place) for s in user_scopes)
    if perm == Perm.PLACE_VIEW_CONTACTS:
        if place is None:
            return False
        return any(s.role in STAFF_ROLES and s.covers(place) for s in user_scopes)
    if perm == Perm.PLACE_MANAGE:
        if place is None:
            return any(s.role in ADMIN_ROLES for s in user_scopes)
        return any(s.role in ADMIN_ROLES and s.covers(place) for s in user_scopes)
    if perm == Perm.PLACE_EXPORT:
        if place is None:
            return any(s.role in STAFF_ROLES and s.place is not None for s in user_scopes)
        return any(s.role in STAFF_ROLES and s.covers(place) for s in user_scopes)
    if perm == Perm.COMMUNITY_MANAGE:
        if place is None:
            return any(s.role in COMMUNITY_ROLES and s.place is not None for s in user_scopes)
        return any(s.role in COMMUNITY_ROLES and s.covers(place) for s in user_scopes)
    return False


def check(user, perm: Perm, place: Place | None = None) -> None:
    """Raise PermissionDenied unless `user` may do `perm` to `place`."""
    if not can(user, perm, place):
        raise PermissionDenied(_("You do not have permission to do this here."))


def scope_places(user, qs: QuerySet[Place] | None = None) -> QuerySet[Place]:
    """Return the places `user` may view: everything within a scope, and the chain above each scope."""
    if qs is None:
        qs = Place.objects.all()
    if is_root(user):
        return qs
    condition = Q()
    ancestors: set[str] = set()
    for s in scopes(user):
        if s.place is None:
            continue
        condition |= Q(code__startswith=s.place.scope_prefix)
        ancestors.update(code_ancestors(s.place.code, s.place.level))
    if ancestors:
        condition |= Q(code__in=sorted(ancestors))
    if not condition:
        return qs.none()
    return qs.filter(condition)


def scope_places_managed(user, qs: QuerySet[Place] | None = None) -> QuerySet[Place]:
    """Return the places whose boundaries and children `user` may change."""
    if qs is None:
        qs = Place.objects.all()
    if is_root(user):
        return qs
    condition = Q()
    for s in scopes(user):
        if s.role in ADMIN_ROLES and s.place is not None:
            condition |= Q(code__startswith=s.place.scope_prefix)
    return qs.filter(condition) if condition else qs.none()


def communities_managed(user, qs: QuerySet[Place] | None = None) -> QuerySet[Place]:
    """Return the villages and communities whose own affairs `user` runs (`Perm.COMMUNITY_MANAGE`)."""
    if qs is None:
        qs = Place.objects.all()
    qs = qs.filter(level=Place.Level.VILLAGE)
    if is_root(user):
        return qs
    condition = Q()
    for s in scopes(user):
        if s.role in COMMUNITY_ROLES and s.place is not None:
            condition |= Q(code__startswith=s.place.scope_prefix)
    return qs.filter(condition) if condition else qs.none()


def home_places(user) -> list[Place]:
    """Return the distinct places of the user's scopes, widest first (used by navigation)."""
    return places_of(user)
