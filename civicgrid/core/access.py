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
    # See a case in full (its record, photos, location); the public status page needs no permission.
    CASE_VIEW = "case.view"
    # See who reported a case and their phone number.
    CASE_VIEW_REPORTER = "case.view_reporter"
    # Record a 12345 hotline order or a case on someone's behalf (grid patrol, liaison group).
    CASE_INTAKE = "case.intake"


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
    if perm == Perm.CASE_VIEW:
        if obj is None or (not user_scopes and not getattr(user, "is_authenticated", False)):
            return False
        return (obj.reporter_id is not None and obj.reporter_id == user.pk) or bool(
            _case_staff_kinds(user_scopes, obj)
        )
    if perm == Perm.CASE_VIEW_REPORTER:
        # Staff who handle the case in its region; an agency sees what it needs to solve it, not who complained.
        return obj is not None and bool(
            _case_staff_kinds(user_scopes, obj) & {"grid", "village", "town", "region"}
        )
    if perm == Perm.CASE_INTAKE:
        return any(s.role in STAFF_ROLES - {Role.AGENCY_STAFF} for s in user_scopes)
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


# The case field that holds the place of each scope level.
_CASE_FIELD_BY_LEVEL = {
    "grid": "grid_id",
    "village": "village_id",
    "town": "town_id",
    "district": "district_id",
}
_GRID_ROLES = frozenset({Role.GRID_WORKER, Role.GRID_LEADER})


def _place_id_of(case, level: str) -> int | None:
    return getattr(case, _CASE_FIELD_BY_LEVEL[level]) if level in _CASE_FIELD_BY_LEVEL else None


def _covers_case(scope: Scope, case) -> bool:
    place = scope.place
    if place is None:
        return False
    if place.level == "city":
        district = case.district
        return district is not None and district.code.startswith(place.scope_prefix)
    return _place_id_of(case, place.level) == place.pk


def _case_staff_kinds(user_scopes: list[Scope], case) -> set[str]:
    """Return how the user's roles relate to a case: grid, village, town, agency, region (admins)."""
    kinds: set[str] = set()
    for s in user_scopes:
        if s.role == Role.AGENCY_STAFF:
            if s.agency_id and (s.agency_id == case.lead_agency_id or s.agency_id in _co_agency_ids(case)):
                kinds.add("agency" if s.agency_id == case.lead_agency_id else "co_agency")
            continue
        if not _covers_case(s, case):
            continue
        if s.role in _GRID_ROLES:
            kinds.add("grid")
        elif s.role == Role.VILLAGE_CADRE:
            kinds.add("village")
        elif s.role == Role.TOWN_OPERATOR:
            kinds.add("town")
        elif s.role in ADMIN_ROLES:
            kinds.add("region")
    return kinds


def _co_agency_ids(case) -> set[int]:
    cached = getattr(case, "_co_agency_ids", None)
    if cached is None:
        cached = set(case.co_agencies.values_list("id", flat=True)) if case.pk else set()
        case._co_agency_ids = cached
    return cached


def case_actor_kinds(user, case) -> set[str]:
    """Return the actor kinds of the workflow table (cases/transitions.py) that `user` is for `case`.

    An unrouted case has no grid: the cadres of its village, or failing that the operators of its
    town, verify it in the grid's place.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return set()
    user_scopes = scopes(user)
    staff = _case_staff_kinds(user_scopes, case)
    kinds = {k for k in staff if k in ("grid", "village", "town", "agency")}
    if case.grid_id is None and (("village" in staff) or ("town" in staff and case.village_id is None)):
        kinds.add("grid")
    if staff & {"village", "town"}:
        kinds.add("follow_up")
    if case.reporter_id is not None and case.reporter_id == user.pk:
        kinds.add("reporter")
    if staff or "reporter" in kinds or user.is_superuser:
        kinds.add("viewer")
    return kinds


def scope_cases(user, qs=None):
    """Return the cases `user` may see: those in the regions of their roles, their agency's, their own."""
    from civicgrid.cases.models import Case

    if qs is None:
        qs = Case.objects.all()
    if _is_root(user):
        return qs
    if user is None or not user.is_authenticated:
        return qs.none()
    condition = Q(reporter_id=user.pk)
    for s in scopes(user):
        if s.role == Role.AGENCY_STAFF and s.agency_id:
            condition |= Q(lead_agency_id=s.agency_id) | Q(co_agencies__id=s.agency_id)
        elif s.role in STAFF_ROLES and s.place is not None:
            if s.place.level == "city":
                condition |= Q(district__code__startswith=s.place.scope_prefix)
            else:
                condition |= Q(**{_CASE_FIELD_BY_LEVEL[s.place.level]: s.place.pk})
    has_agency = any(s.role == Role.AGENCY_STAFF for s in scopes(user))
    qs = qs.filter(condition)
    # The co-agency join can repeat a case; only then is DISTINCT worth its cost.
    return qs.distinct() if has_agency else qs
