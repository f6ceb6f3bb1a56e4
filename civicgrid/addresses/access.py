"""Who may read and keep which addresses of the standard address register.

The register holds no personal data, but it is the administration's record: only the staff of a place
read it, and the same staff keep it. On top of the scope resolver (`civicgrid.core.scopes`):

- grid workers and grid leaders: the addresses of their own grid(s);
- village / community cadres: those of their village;
- town command-centre operators, district and city administrators: those of their region;
- everyone else (residents, agency staff, volunteers, federation cadres): nothing.

Importing a workbook of many addresses is for the town command centre and the administrators above
it (`can_import`). Pages, the import command, the upload page and every service ask here;
`scope_addresses` scopes every address queryset.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from civicgrid.addresses.models import Address
from civicgrid.core.errors import NotFound, PermissionDenied
from civicgrid.core.roles import ADMIN_ROLES, GRID_ROLES, Role
from civicgrid.core.scopes import is_root, is_signed_in, scopes
from civicgrid.lib.codes import code_prefix
from civicgrid.places.models import Place

# The roles that read and keep the register of the places their scope covers.
KEEPER_ROLES = frozenset({*GRID_ROLES, Role.VILLAGE_CADRE, Role.TOWN_OPERATOR, *ADMIN_ROLES})
# The roles that may import a workbook of addresses for their region.
IMPORT_ROLES = frozenset({Role.TOWN_OPERATOR, *ADMIN_ROLES})


def keeper_places(user, *, roles: frozenset[Role] = KEEPER_ROLES) -> list[Place]:
    """Return the places whose register `user` keeps (widest first, none inside another); root: []."""
    if not is_signed_in(user):
        return []
    found: dict[str, Place] = {}
    for s in scopes(user):
        if s.role in roles and s.place is not None:
            found.setdefault(s.place.code, s.place)  # type: ignore[arg-type]
    ordered = sorted(found.values(), key=lambda p: (p.depth, p.code))
    return [p for i, p in enumerate(ordered) if not any(p.is_within(q) for q in ordered[:i])]


def can_use(user) -> bool:
    """Return whether `user` keeps the register of some place (the navigation's "standard addresses")."""
    return is_root(user) or bool(keeper_places(user))


def can_keep(user, place: Place) -> bool:
    """Return whether `user` may read and change the addresses within `place` (a grid or a region)."""
    if is_root(user):
        return True
    return any(place.is_within(p) for p in keeper_places(user))


def can_import(user, region: Place | None = None) -> bool:
    """Return whether `user` may import a workbook of addresses (into `region`, when given)."""
    if is_root(user):
        return True
    places = keeper_places(user, roles=IMPORT_ROLES)
    if region is None:
        return bool(places)
    return any(region.is_within(p) for p in places)


def check_use(user) -> None:
    if not can_use(user):
        raise PermissionDenied(
            _("Only the staff of a grid, village, town or district keep standard addresses.")
        )


def check_keep(user, place: Place) -> None:
    """Raise PermissionDenied unless `user` keeps the register of `place`."""
    if not can_keep(user, place):
        raise PermissionDenied(
            _("You do not keep the standard addresses of %(place)s.") % {"place": place.display_name}
        )


def check_import(user, region: Place | None = None) -> None:
    if not can_import(user, region):
        raise PermissionDenied(
            _("Only a town command centre or an administrator may import standard addresses here.")
        )


def code_range(prefix: str, field: str = "grid_code") -> Q:
    """Return the codes that start with the digits `prefix` (`lib.codes.code_prefix`)."""
    return code_prefix(prefix, field)


def scope_addresses(user, qs: QuerySet[Address] | None = None) -> QuerySet[Address]:
    """Return the addresses `user` may read: those whose grid lies within a place they keep."""
    if qs is None:
        qs = Address.objects.all()
    if is_root(user):
        return qs
    places = keeper_places(user)
    if not places:
        return qs.none()
    condition = Q()
    for place in places:
        condition |= (
            Q(grid_id=place.pk) if place.level == Place.Level.GRID else code_range(place.scope_prefix)
        )
    return qs.filter(condition)


def address_for(user, pk: int | str) -> Address:
    """Return the address `pk` if `user` may read it; NotFound otherwise (an outsider learns nothing).

    Used by every page about one address; refuses a user who keeps no register at all with 403 first.
    """
    check_use(user)
    try:
        number = int(pk)
    except (TypeError, ValueError):
        number = 0
    address = (
        scope_addresses(user, Address.objects.select_related("grid__parent", "merged_into"))
        .filter(pk=number)
        .first()
    )
    if address is None:
        raise NotFound(_("No such standard address in the places you keep."))
    return address


def place_for(user, code: str) -> Place:
    """Return the place `code` if `user` keeps its register (403 when not, 404 for no such place)."""
    check_use(user)
    place = Place.objects.select_related("parent").filter(code=code or "").first()
    if place is None:
        raise NotFound(_("No such place."))
    check_keep(user, place)
    return place
