"""What each role sees in the navigation; built from the permission module, never from role names in templates."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from civicgrid.core import access
from civicgrid.core.access import Perm, Role


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    key: str


def nav_items(user) -> list[NavItem]:
    """Return the navigation entries `user` may use, in display order."""
    items = [NavItem(_("Home"), reverse("core:home"), "home")]
    if not user.is_authenticated:
        return items
    homes = access.home_places(user)
    role_set = access.roles(user)
    if homes:
        place = homes[0]
        if role_set & {Role.GRID_WORKER, Role.GRID_LEADER} and place.level == "grid":
            label = _("My grid")
        elif place.level == "grid" or place.level == "village":
            label = _("My village / community") if place.level == "village" else _("My grid")
        else:
            label = _("My area")
        items.append(NavItem(label, place.get_absolute_url(), "my_place"))
    if access.can(user, Perm.PLACE_VIEW):
        items.append(NavItem(_("Places and grids"), reverse("places:browse"), "places"))
    if access.can(user, Perm.PLACE_MANAGE):
        items.append(NavItem(_("Import boundaries"), reverse("places:import"), "import"))
    if access.can(user, Perm.TOKEN_CREATE):
        items.append(NavItem(_("API tokens"), reverse("accounts:tokens"), "tokens"))
    if user.is_superuser:
        items.append(NavItem(_("Administration"), reverse("admin:index"), "admin"))
    return items
