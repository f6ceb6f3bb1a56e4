"""What each role sees in the navigation; built from the permission module, never from role names in templates."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from civicgrid.cases.selectors import unread_count
from civicgrid.core import access
from civicgrid.core.access import Perm, Role

# Roles with case queues of their own (verify, check, decide, dispatch).
WORK_ROLES = frozenset({Role.GRID_WORKER, Role.GRID_LEADER, Role.VILLAGE_CADRE, Role.TOWN_OPERATOR})
# Roles that watch a whole village, town or district.
CENTRE_ROLES = frozenset({Role.VILLAGE_CADRE, Role.TOWN_OPERATOR, Role.DISTRICT_ADMIN, Role.CITY_ADMIN})


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    key: str
    # A count shown beside the label (unread notifications).
    badge: int = 0


def nav_items(user) -> list[NavItem]:
    """Return the navigation entries `user` may use, in display order."""
    items = [
        NavItem(_("Home"), reverse("core:home"), "home"),
        NavItem(_("Report a problem"), reverse("cases:report"), "report"),
    ]
    if not user.is_authenticated:
        items.append(NavItem(_("Case status"), reverse("cases:public_status"), "status"))
        return items
    homes = access.home_places(user)
    role_set = access.roles(user)
    if role_set & {Role.MOBILE_GRID_MEMBER}:
        items.append(NavItem(_("My record"), reverse("cases:mobile_record"), "rider"))
    if not role_set & access.STAFF_ROLES:
        items.append(NavItem(_("My reports"), reverse("cases:mine"), "mine"))
    if role_set & WORK_ROLES:
        items.append(NavItem(_("My work"), reverse("cases:queue"), "work"))
    if role_set & CENTRE_ROLES:
        items.append(NavItem(_("Command centre"), reverse("cases:centre"), "centre"))
    if role_set & (CENTRE_ROLES | WORK_ROLES):
        items.append(NavItem(_("Case map"), reverse("cases:map"), "map"))
    if Role.AGENCY_STAFF in role_set:
        items.append(NavItem(_("Agency inbox"), reverse("cases:agency_inbox"), "agency"))
    if homes:
        place = homes[0]
        labels = {"grid": _("My grid"), "village": _("My village / community")}
        label = labels.get(place.level, _("My area"))
        items.append(NavItem(label, place.get_absolute_url(), "my_place"))
    if access.can(user, Perm.PLACE_VIEW):
        items.append(NavItem(_("Places and grids"), reverse("places:browse"), "places"))
    if access.can(user, Perm.PLACE_MANAGE):
        items.append(NavItem(_("Import boundaries"), reverse("places:import"), "import"))
    if access.can(user, Perm.TOKEN_CREATE):
        items.append(NavItem(_("API tokens"), reverse("accounts:tokens"), "tokens"))
    if user.is_superuser:
        items.append(NavItem(_("Administration"), reverse("admin:index"), "admin"))
    items.append(
        NavItem(_("Notifications"), reverse("cases:notifications"), "notifications", unread_count(user))
    )
    return items
