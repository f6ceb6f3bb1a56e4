"""Who may see and do what in the organisation network: the one place these rules live.

- A **federation cadre** (the `federation_cadre` role) acts within the subtrees of the organisations
  where they hold an office today (chair, vice-chair or executive member, through their `Person`):
  they add and move organisations there, appoint and end posts, tick off checklists, link targets.
  For coverage they act on the targets inside the regions of those organisations.
- **Government staff** with a region (village cadres, town operators, district and city
  administrators) see the organisations and targets of their region, read-only, with contacts masked.
- A superuser passes every rule. Everyone else, the public included, is refused.

Pages, the API, exports and commands ask here (through the services and selectors).
"""

from __future__ import annotations

from datetime import date

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.core.errors import PermissionDenied
from civicgrid.core.roles import Role
from civicgrid.core.scopes import has_role, is_root, is_signed_in, scopes
from civicgrid.orgs.models import OFFICE_ROLES, CoverageLink, Organisation, Position, Target, subtree
from civicgrid.places.models import Place

# Roles whose region lets them read the network and its coverage there.
VIEWER_ROLES = frozenset({Role.VILLAGE_CADRE, Role.TOWN_OPERATOR, Role.DISTRICT_ADMIN, Role.CITY_ADMIN})


def offices(user) -> list[Organisation]:
    """Return the organisations where `user` acts as a federation cadre today (read once per request)."""
    if not is_signed_in(user) or not has_role(user, Role.FEDERATION_CADRE):
        return []
    cached = getattr(user, "_civicgrid_org_offices", None)
    if cached is not None:
        return cached
    today = timezone.localdate()
    held = (
        Organisation.objects.filter(
            positions__person__user=user,
            positions__role__in=OFFICE_ROLES,
            positions__term_start__lte=today,
        )
        .filter(Q(positions__term_end__isnull=True) | Q(positions__term_end__gt=today))
        .exclude(status=Organisation.Status.DISSOLVED)
        .select_related("region")
        .distinct()
        .order_by("path")
    )
    # Keep the widest: an office inside another office's subtree adds nothing.
    result: list[Organisation] = []
    for org in held:
        if not any(org.path.startswith(top.path) for top in result):
            result.append(org)
    user._civicgrid_org_offices = result
    return result


def forget(user) -> None:
    if hasattr(user, "_civicgrid_org_offices"):
        del user._civicgrid_org_offices


def _viewer_places(user) -> list[Place]:
    return [s.place for s in scopes(user) if s.role in VIEWER_ROLES and s.place is not None]


# --- Organisations ------------------------------------------------------------------------------


def can_manage(user, org: Organisation) -> bool:
    """May `user` change `org` and its subtree (add below it, move it, posts, checklist, coverage links)?"""
    if is_root(user):
        return True
    return any(org.path.startswith(top.path) for top in offices(user))


def can_view(user, org: Organisation) -> bool:
    if can_manage(user, org):
        return True
    return any(org.region.is_within(place) for place in _viewer_places(user))


def can_see_contacts(user, org: Organisation) -> bool:
    """Whole phone numbers of the organisation and its people: only for those who manage it."""
    return can_manage(user, org)


def can_use(user) -> bool:
    """Does the network have anything for `user` (navigation, the tree page)?"""
    return is_root(user) or bool(offices(user)) or bool(_viewer_places(user))


def can_create_root(user) -> bool:
    return is_root(user)


def can_set_up(user) -> bool:
    """May `user` change the network's rules (checklist templates, structure targets)? The city
    federation's cadres (an office in a root organisation) and superusers."""
    return is_root(user) or any(top.depth == 1 for top in offices(user))


def visible_orgs(user) -> QuerySet[Organisation]:
    """Every organisation `user` may see; one indexed path prefix per office, one region per scope."""
    if is_root(user):
        return Organisation.objects.all()
    condition = Q(pk__in=[])
    for top in offices(user):
        condition |= subtree(top.path)
    for place in _viewer_places(user):
        condition |= region_filter(place)
    return Organisation.objects.filter(condition)


def region_filter(place: Place, prefix: str = "") -> Q:
    """Q for rows (organisations or targets) whose region is `place` or lies below it."""
    if place.level == "district":
        return Q(**{f"{prefix}district": place})
    if place.level == "town":
        return Q(**{f"{prefix}town": place})
    return Q(**{f"{prefix}region__code__startswith": place.scope_prefix})


def check_manage(user, org: Organisation) -> None:
    if not can_manage(user, org):
        raise refuse(_("You may only change organisations within your own federation's network."))


def check_view(user, org: Organisation) -> None:
    if not can_view(user, org):
        raise refuse()


def refuse(message: str | None = None) -> PermissionDenied:
    return PermissionDenied(message or _("You may not see or change this part of the organisation network."))


# --- Coverage targets ---------------------------------------------------------------------------


def coverage_places(user) -> list[Place]:
    """The regions whose coverage `user` may read: their offices' regions and their own staff scope."""
    places = {top.region.code: top.region for top in offices(user)}
    for place in _viewer_places(user):
        places.setdefault(place.code, place)
    # Drop a region inside another one of the list.
    ordered = sorted(places.values(), key=lambda p: (p.depth, p.code))
    result: list[Place] = []
    for place in ordered:
        if not any(place.is_within(wider) for wider in result):
            result.append(place)
    return result


def manageable_places(user) -> list[Place]:
    """The regions whose targets `user` may add, change and link: their offices' regions."""
    return [top.region for top in offices(user)]


def visible_targets(user) -> QuerySet[Target]:
    if is_root(user):
        return Target.objects.all()
    condition = Q(pk__in=[])
    for place in coverage_places(user):
        condition |= region_filter(place)
    return Target.objects.filter(condition)


def can_view_target(user, target: Target) -> bool:
    return is_root(user) or any(target.region.is_within(p) for p in coverage_places(user))


def can_manage_target(user, target_region: Place) -> bool:
    """May `user` add a target in `target_region`, change one there, or link one there?"""
    return is_root(user) or any(target_region.is_within(p) for p in manageable_places(user))


def check_manage_target(user, target_region: Place) -> None:
    if not can_manage_target(user, target_region):
        raise refuse(_("You may only change coverage targets within your own federation's region."))


def can_view_region(user, place: Place) -> bool:
    return is_root(user) or any(place.is_within(p) for p in coverage_places(user))


def check_view_region(user, place: Place) -> None:
    if not can_view_region(user, place):
        raise refuse()


def can_link(user, target: Target, organisation: Organisation) -> bool:
    """May `user` link `target` to `organisation`? They manage the organisation, and the target lies
    in the organisation's region or they may manage the target."""
    if not can_manage(user, organisation):
        return False
    return target.region.is_within(organisation.region) or can_manage_target(user, target.region)


def can_end_link(user, link: CoverageLink) -> bool:
    return can_manage(user, link.organisation) or can_manage_target(user, link.target.region)


# --- Checklists ---------------------------------------------------------------------------------


def can_verify_task(
    user, org: Organisation, parent: Organisation | None = None, *, known: bool = False
) -> bool:
    """May `user` verify (or reopen) the checklist tasks of `org`? Those who manage the federation
    above it; for the top of the network, only an administrator. (`known`: `parent` was read already.)"""
    if not known:
        parent = Organisation.objects.get_parent(org)
    if parent is None:
        return is_root(user)
    return can_manage(user, parent)


# --- Posts --------------------------------------------------------------------------------------


def can_appoint(user, person) -> bool:
    """May `user` give `person` a post? Someone with a post in an organisation they see (the same
    chairwoman in a second organisation), or someone not yet holding any post (just added)."""
    if is_root(user):
        return True
    posts = Position.objects.filter(person=person)
    return not posts.exists() or posts.filter(organisation__in=visible_orgs(user)).exists()


def can_see_person(user, person_positions: QuerySet[Position] | list[Position]) -> bool:
    """Whole contacts of a person: for those who manage one of the organisations they hold a post in."""
    return is_root(user) or any(can_manage(user, p.organisation) for p in person_positions)


def today() -> date:
    return timezone.localdate()
