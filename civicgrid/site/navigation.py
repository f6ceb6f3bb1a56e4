"""What each role sees in the navigation; built from the permission module, never from role names in templates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from civicgrid.accounts.access import can_create_token, can_manage_clients
from civicgrid.accounts.presenters import words_for
from civicgrid.addresses import access as address_access
from civicgrid.cases.access import can_manage_hotline_categories
from civicgrid.cases.selectors import queues_once, unread_count
from civicgrid.cases.selectors_leader import is_grid_leader
from civicgrid.cases.selectors_work import work_access
from civicgrid.core import audit
from civicgrid.core.roles import STAFF_ROLES, Role
from civicgrid.core.scopes import roles
from civicgrid.governance.navigation import nav_entries as governance_entries
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
    # The tab bar's picture (includes/tabbar.html draws one per name) and what its badge counts.
    icon: str = ""
    badge_label: str = ""


def nav_items(user) -> list[NavItem]:
    """Return the navigation entries `user` may use, in display order."""
    items = [
        NavItem(_("Home"), reverse("site:home"), "home"),
        NavItem(_("Report a problem"), reverse("cases:report"), "report"),
    ]
    if not user.is_authenticated:
        items.append(NavItem(_("Case status"), reverse("cases:public_status"), "status"))
        for label, url, key, group in (
            *volunteer_entries(user),
            *points_entries(user),
            *governance_entries(user),
        ):
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
    for label, url, key, group in (
        *volunteer_entries(user),
        *points_entries(user),
        *orgs_entries(user),
        *governance_entries(user),
    ):
        items.append(NavItem(label, url, key, group=group))
    if homes:
        place = homes[0]
        labels = {"grid": _("My grid"), "village": _("My village / community")}
        label = labels.get(place.level, words_for(user).my_area)
        items.append(NavItem(label, place.get_absolute_url(), "my_place"))
    if address_access.can_use(user):
        # Under More (every staff bar is full at a desk), and on the phone's "me" page (ME_TOOLS).
        items.append(NavItem(_("Standard addresses"), reverse("addresses:home"), "addresses", group="more"))
    if place_access.can(user, Perm.PLACE_VIEW):
        items.append(NavItem(_("Places and grids"), reverse("places:browse"), "places"))
    if place_access.can(user, Perm.PLACE_MANAGE):
        items.append(NavItem(_("Import boundaries"), reverse("places:import"), "import", group="more"))
    if can_manage_hotline_categories(user):
        items.append(
            NavItem(
                _("12345 categories"), reverse("cases:hotline_categories"), "hotline_categories", group="more"
            )
        )
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


# --- The phone's tab bar (templates/includes/tabbar.html) and the "me" page's links -----------------


def todo_total(user) -> int:
    """Return how many open cases wait in the user's queues: the sum of the home page's to-do tiles,
    from the same read (`queues_once`: one statement per request for both)."""
    return sum(int(total) for _queue, total in queues_once(user))


def tab_items(user, nav: Sequence[NavItem] | None = None) -> list[NavItem]:
    """Return the bottom tabs of a phone for `user`, in display order.

    The tabs are taken from the user's navigation (`nav`; `nav_items(user)` when not given: the context
    processor passes the one it built, so the permission rules and the unread count are read once):
    - anonymous visitors: report, case status, sign in;
    - those who work a queue (grid workers and leaders, village cadres, command centres; agency staff
      from their inbox): to do (its badge: the open cases of their queues), report, the case map,
      messages, me;
    - everyone else (residents, mobile grid members, volunteers): report, their reports (a mobile grid
      member's record), a map (their own community's page: its map and who serves it; the case status
      lookup for someone without a home place), messages, me.
    """
    by_key = {item.key: item for item in (nav if nav is not None else nav_items(user))}
    report = NavItem(_("Report it"), reverse("cases:report"), "report", icon="report")
    status = NavItem(_("Case status"), reverse("cases:public_status"), "status", icon="status")
    if not user.is_authenticated:
        return [report, status, NavItem(_("Sign in"), reverse("accounts:login"), "signin", icon="signin")]
    tabs: list[NavItem] = []
    work = by_key.get("work") or by_key.get("agency")
    if work is not None:
        tabs.append(
            NavItem(
                _("To-do"),
                work.url,
                "todo",
                badge=todo_total(user),
                icon="todo",
                badge_label=_("to handle"),
            )
        )
    tabs.append(report)
    if work is None:
        own = by_key.get("rider") or by_key.get("mine")
        if own is not None:
            tabs.append(NavItem(own.label, own.url, own.key, icon="list"))
    if "map" in by_key:
        tabs.append(NavItem(_("Map"), by_key["map"].url, "map", icon="map"))
    elif work is None and "my_place" in by_key:
        tabs.append(NavItem(_("Map"), by_key["my_place"].url, "my_place", icon="map"))
    elif work is None:
        tabs.append(status)
    notices = by_key.get("notifications")
    if notices is not None:
        tabs.append(
            NavItem(
                _("Messages"),
                notices.url,
                notices.key,
                badge=notices.badge,
                icon="bell",
                badge_label=_("unread"),
            )
        )
    tools = tuple(by_key[key].url for key in ME_TOOLS if key in by_key)
    tabs.append(NavItem(_("Me"), reverse("accounts:me"), "me", icon="me", also=tools))
    return tabs


# The "me" page lists these entries of the person's navigation: their own pages, then the staff's tools
# (each present only when the permission rules offer it).
ME_OWN = ("rider", "mine", "volunteers_mine", "points", "my_place", "notifications")
ME_TOOLS = ("addresses", "tokens", "clients", "import", "audit", "admin")


def me_links(items: Sequence[NavItem] | None, section: str) -> list[NavItem]:
    """Return the entries of `items` the "me" page lists in `section` ("own" or "tools"), in its order."""
    keys = ME_OWN if section == "own" else ME_TOOLS
    by_key = {item.key: item for item in items or ()}
    return [by_key[key] for key in keys if key in by_key]
