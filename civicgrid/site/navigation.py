"""What each role sees in the navigation; built from the permission module, never from role names in templates."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from civicgrid.accounts.access import can_create_token, can_manage_clients
from civicgrid.cases.selectors import unread_count
from civicgrid.cases.selectors_leader import is_grid_leader
from civicgrid.cases.selectors_work import work_access
from civicgrid.core import audit
from civicgrid.core.roles import STAFF_ROLES, Role
from civicgrid.core.scopes import roles
from civicgrid.orgs.navigation import nav_entries as orgs_entries
from civicgrid.places import access as place_access
from civicgrid.places.access import Perm
from civicgrid.points.navigation import nav_entries as points_entries
from civicgrid.volunteers.navigation import nav_entries as volunteer_entries


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    key: str
    # A count shown beside the label (unread notifications).
    badge: int = 0
    # "main": the navigation bar; "more": the More menu (tools few people need every day);
    # "tools": drawn by the header itself (the notifications bell).
    group: str = "main"
    # Other pages this entry stands for (their URLs as prefixes), e.g. the rankings under Overview.
    also: tuple[str, ...] = ()


def nav_items(user) -> list[NavItem]:
    """Return the navigation entries `user` may use, in display order."""
    items = [
        NavItem(_("Home"), reverse("site:home"), "home"),
        NavItem(_("Report a problem"), reverse("cases:report"), "report"),
    ]
    if not user.is_authenticated:
        items.append(NavItem(_("Case status"), reverse("cases:public_status"), "status"))
        for label, url, key, group in (*volunteer_entries(user), *points_entries(user)):
            items.append(NavItem(label, url, key, group=group))
        return items
    homes = place_access.home_places(user)
    role_set = roles(user)
    if role_set & {Role.MOBILE_GRID_MEMBER}:
        items.append(NavItem(_("My record"), reverse("cases:mobile_record"), "rider"))
    if not role_set & STAFF_ROLES:
        items.append(NavItem(_("My reports"), reverse("cases:mine"), "mine"))
    work = work_access(user)
    # Agency staff work from their inbox; the queue page is for the grid, village and town.
    if work.queues and (work.map or work.centre):
        items.append(NavItem(_("My work"), reverse("cases:queue"), "work"))
    if is_grid_leader(user):
        items.append(NavItem(_("My grid workers"), reverse("cases:leader"), "leader"))
    if work.overview:
        items.append(
            NavItem(
                _("Overview"),
                reverse("cases:overview"),
                "overview",
                also=(reverse("cases:rankings"), reverse("cases:monthly_report"), reverse("cases:wall")),
            )
        )
    if work.centre:
        items.append(NavItem(_("Command centre"), reverse("cases:centre"), "centre"))
    if work.map:
        items.append(NavItem(_("Case map"), reverse("cases:map"), "map"))
    if work.agency_ids:
        items.append(NavItem(_("Agency inbox"), reverse("cases:agency_inbox"), "agency"))
    for label, url, key, group in (*volunteer_entries(user), *points_entries(user), *orgs_entries(user)):
        items.append(NavItem(label, url, key, group=group))
    if homes:
        place = homes[0]
        labels = {"grid": _("My grid"), "village": _("My village / community")}
        label = labels.get(place.level, _("My area"))
        items.append(NavItem(label, place.get_absolute_url(), "my_place"))
    if place_access.can(user, Perm.PLACE_VIEW):
        items.append(NavItem(_("Places and grids"), reverse("places:browse"), "places"))
    if place_access.can(user, Perm.PLACE_MANAGE):
        items.append(NavItem(_("Import boundaries"), reverse("places:import"), "import", group="more"))
    if can_create_token(user):
        items.append(NavItem(_("API tokens"), reverse("accounts:tokens"), "tokens", group="more"))
    if can_manage_clients(user):
        items.append(NavItem(_("Client apps"), reverse("accounts:clients"), "clients", group="more"))
    if audit.reach(user) is not None:
        items.append(NavItem(_("Audit log"), reverse("core:audit"), "audit", group="more"))
    if user.is_superuser:
        items.append(NavItem(_("Administration"), reverse("admin:index"), "admin", group="more"))
    items.append(
        NavItem(
            _("Notifications"), reverse("cases:notifications"), "notifications", unread_count(user), "tools"
        )
    )
    return items
