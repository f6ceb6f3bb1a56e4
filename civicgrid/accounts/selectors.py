"""Reads of people and their roles (the scope loader of `core.scopes`, who serves a place, who a login
names) and of Open311 client applications."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import F, Q, QuerySet

from civicgrid.accounts import access
from civicgrid.accounts.models import Agency, ClientApp, RoleAssignment, User
from civicgrid.core.roles import Role
from civicgrid.core.scopes import Scope
from civicgrid.lib.privacy import mask_phone
from civicgrid.places import access as place_access
from civicgrid.places.models import Place
from civicgrid.places.services import code_ancestors


def load_scopes(user) -> list[Scope]:
    """Return the user's active role assignments as scopes (an agency's staff cover its region).

    Registered with `core.scopes.set_loader` when the accounts app is ready.
    """
    result = []
    assignments = RoleAssignment.objects.filter(user=user, is_active=True).select_related(
        "place", "agency__region"
    )
    for ra in assignments:
        place = ra.place
        if ra.role == Role.AGENCY_STAFF and ra.agency_id and ra.agency.is_active:
            place = ra.agency.region
        result.append(Scope(role=Role(ra.role), place=place, agency_id=ra.agency_id))
    return result


def agency_names(ids: Iterable[int]) -> dict[int, str]:
    """Return the names of the agencies with these ids (none asked: no query)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return dict(Agency.objects.filter(pk__in=wanted).values_list("pk", "name"))


@dataclass
class Person:
    name: str
    role: str
    role_label: str
    phone: str
    scope_code: str


# The roles a place's page lists as serving it.
SERVING_ROLES = (Role.GRID_WORKER, Role.GRID_LEADER, Role.VILLAGE_CADRE, Role.TOWN_OPERATOR)


def place_people(*, user, place: Place) -> list[Person]:
    """Return the people serving `place` and the places right above it, phones masked unless allowed.

    A grid shows its grid workers and leader, the cadres of its village and the operators of its town.
    Registered with `places.selectors` as the source of a place's people.
    """
    codes = [place.code, *code_ancestors(place.code, place.level)]
    show_contacts = place_access.can(user, place_access.Perm.PLACE_VIEW_CONTACTS, place)
    rows = (
        RoleAssignment.objects.filter(is_active=True, role__in=SERVING_ROLES, place__code__in=codes)
        .select_related("user", "place")
        .order_by("-place__code", "role", "user__display_name")
    )
    people = []
    for ra in rows:
        phone = ra.user.phone or ""
        people.append(
            Person(
                name=str(ra.user),
                role=ra.role,
                role_label=str(Role(ra.role).label),
                phone=phone if show_contacts else mask_phone(phone),
                scope_code=ra.place.code,
            )
        )
    return people


def user_for_login(login: str) -> User | None:
    """Return the person an account name (any case) or mobile number names, or None.

    Used by the authentication backend and by the sign-in lockout, so both agree on who was meant.
    """
    login = (login or "").strip()
    if not login:
        return None
    return User.objects.filter(Q(username__iexact=login) | Q(phone=login)).order_by("id").first()


# The client apps page's filter of keys by status.
CLIENT_STATUSES = ("active", "revoked")


def client_app_list(user, *, status: str = "") -> QuerySet[ClientApp]:
    """Return the client applications `user` may manage, active keys first, newest first.

    `status` is "active", "revoked" or "" (all). Loads what the list shows of each (its region,
    who issued and who revoked it).
    """
    qs = access.scope_clients(user, ClientApp.objects.all())
    if status == "active":
        qs = qs.filter(revoked_at__isnull=True)
    elif status == "revoked":
        qs = qs.filter(revoked_at__isnull=False)
    return qs.select_related("region", "created_by", "revoked_by").order_by(
        F("revoked_at").desc(nulls_first=True), "-created_at", "-id"
    )
