"""The one place that answers "may this user do this to this object" and scopes every queryset.

Pages, the API, exports, commands acting for a user and the admin all ask here; nothing else reads
role assignments to make a decision. A user's *scopes* are the places their active roles cover (an
agency's staff cover the region the agency serves). A place is *within* a scope when its code starts
with the scope's prefix; the ancestors of a scope are visible too, so everyone sees the chain above them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from civicgrid.core.errors import PermissionDenied

if TYPE_CHECKING:
    from civicgrid.accounts.models import RoleAssignment
    from civicgrid.places.models import Place


class Perm(StrEnum):
    PLACE_VIEW = "place.view"
    # See the phone numbers of the people serving a place (grid workers, cadres).
    PLACE_VIEW_CONTACTS = "place.view_contacts"
    # Import or redraw boundaries, add places under a place.
    PLACE_MANAGE = "place.manage"
    # Create API tokens for oneself (staff and integrations).
    TOKEN_CREATE = "token.create"  # noqa: S105


class Role(StrEnum):
    RESIDENT = "resident"
    MOBILE_GRID_MEMBER = "mobile_grid_member"
    GRID_WORKER = "grid_worker"
    GRID_LEADER = "grid_leader"
    VILLAGE_CADRE = "village_cadre"
    TOWN_OPERATOR = "town_operator"
    DISTRICT_ADMIN = "district_admin"
    CITY_ADMIN = "city_admin"
    AGENCY_STAFF = "agency_staff"
    FEDERATION_CADRE = "federation_cadre"
    VOLUNTEER = "volunteer"


# Roles that work for the government side and may see contact details within their scope.
STAFF_ROLES = frozenset(
    {
        Role.GRID_WORKER,
        Role.GRID_LEADER,
        Role.VILLAGE_CADRE,
        Role.TOWN_OPERATOR,
        Role.DISTRICT_ADMIN,
        Role.CITY_ADMIN,
        Role.AGENCY_STAFF,
    }
)
ADMIN_ROLES = frozenset({Role.DISTRICT_ADMIN, Role.CITY_ADMIN})


@dataclass(frozen=True)
class Scope:
    """One active role of a user and the place it covers (None: the role has no region)."""

    role: Role
    place: Place | None
    agency_id: int | None = None

    def covers(self, place: Place) -> bool:
        return self.place is not None and place.is_within(self.place)

    def is_below(self, place: Place) -> bool:
        """Return True if `place` is an ancestor of this scope's place (the chain above it)."""
        return self.place is not None and self.place.is_within(place) and self.place.code != place.code


def _assignments(user) -> list[RoleAssignment]:
    from civicgrid.accounts.models import RoleAssignment

    return list(
        RoleAssignment.objects.filter(user=user, is_active=True).select_related("place", "agency__region")
    )


def scopes(user) -> list[Scope]:
    """Return the user's active scopes, read once per request and kept on the user object."""
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    cached = getattr(user, "_civicgrid_scopes", None)
    if cached is not None:
        return cached
    result = []
    for ra in _assignments(user):
        place = ra.place
        if ra.role == Role.AGENCY_STAFF and ra.agency_id and ra.agency.is_active:
            place = ra.agency.region
        result.append(Scope(role=Role(ra.role), place=place, agency_id=ra.agency_id))
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


def _is_root(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_superuser)


def can(user, perm: Perm, obj: object | None = None) -> bool:
    """Return whether `user` may do `perm` to `obj` (a Place for place permissions)."""
    if _is_root(user):
        return True
    user_scopes = scopes(user)
    if perm == Perm.PLACE_VIEW:
        if obj is None:
            return any(s.place is not None for s in user_scopes)
        return any(s.covers(obj) or s.is_below(obj) for s in user_scopes)
    if perm == Perm.PLACE_VIEW_CONTACTS:
        if obj is None:
            return False
        return any(s.role in STAFF_ROLES and s.covers(obj) for s in user_scopes)
    if perm == Perm.PLACE_MANAGE:
        if obj is None:
            return any(s.role in ADMIN_ROLES for s in user_scopes)
        return any(s.role in ADMIN_ROLES and s.covers(obj) for s in user_scopes)
    if perm == Perm.TOKEN_CREATE:
        return any(s.role in STAFF_ROLES for s in user_scopes)
    return False


def check(user, perm: Perm, obj: object | None = None) -> None:
    """Raise PermissionDenied unless `user` may do `perm` to `obj`."""
    if not can(user, perm, obj):
        raise PermissionDenied(_("You do not have permission to do this here."))


def scope_places(user, qs: QuerySet[Place] | None = None) -> QuerySet[Place]:
    """Return the places `user` may view: everything within a scope, and the chain above each scope."""
    from civicgrid.places.models import Place

    if qs is None:
        qs = Place.objects.all()
    if _is_root(user):
        return qs
    condition = Q()
    ancestors: set[str] = set()
    for s in scopes(user):
        if s.place is None:
            continue
        condition |= Q(code__startswith=s.place.scope_prefix)
        ancestors.update(ancestor_codes(s.place))
    if ancestors:
        condition |= Q(code__in=sorted(ancestors))
    if not condition:
        return qs.none()
    return qs.filter(condition)


def scope_places_managed(user, qs: QuerySet[Place] | None = None) -> QuerySet[Place]:
    """Return the places whose boundaries and children `user` may change."""
    from civicgrid.places.models import Place

    if qs is None:
        qs = Place.objects.all()
    if _is_root(user):
        return qs
    condition = Q()
    for s in scopes(user):
        if s.role in ADMIN_ROLES and s.place is not None:
            condition |= Q(code__startswith=s.place.scope_prefix)
    return qs.filter(condition) if condition else qs.none()


def ancestor_codes(place: Place) -> list[str]:
    """Return the codes of the places above `place`, derived from its code alone."""
    from civicgrid.places.services import code_ancestors

    return code_ancestors(place.code, place.level)


def home_places(user) -> list[Place]:
    """Return the distinct places of the user's scopes, widest first (used by navigation)."""
    seen: dict[str, Place] = {}
    for s in scopes(user):
        if s.place is not None:
            seen.setdefault(s.place.code, s.place)
    return sorted(seen.values(), key=lambda p: (p.depth, p.code))
