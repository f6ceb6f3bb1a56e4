"""Where co-governance shows in the navigation, and the hub page's links to each of its parts.

`nav_entries(user)` gives the (label, url, key, group) tuples `site.navigation` adds to its own: one
entry, "Govern together" (共治), to the hub at /governance/ — in the main bar for those who work in it every
day and for the people of a place, under More for district and city administrators and agency staff
(`access.co_governance_desk`). The public task board needs no account: the hub (open to everyone)
links it, and an anonymous visitor's entry is the board itself (`site.navigation` asks for it only
for anonymous visitors too).

The hub is built from `HUB`, a list of `HubEntry` rows, one per part: the part's page (a url name and
its arguments for this user) and who sees the link.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.core.scopes import is_root, is_signed_in, scopes
from civicgrid.governance import access, selectors_pairings


def _signed_in(user) -> bool:
    return is_signed_in(user)


def _anyone(user) -> bool:
    return True


def _reads_pairings(user) -> bool:
    """Someone with a place whose pairings they read, or agency staff (their agency's pairings)."""
    if is_root(user) or access.claimable_agency_ids(user):
        return True
    return any(s.place is not None and access.can_view_pairings_in(user, s.place) for s in scopes(user))


def _reads_figures(user) -> bool:
    if is_root(user):
        return True
    # Staff who read a place read its town's figures (`access.can_view_figures`).
    return any(s.place is not None and access.is_region_reader(user, s.place) for s in scopes(user))


def _no_args(user) -> tuple:
    return ()


def _own_envoy(user) -> tuple | None:
    envoy = selectors_pairings.own_envoy(user)
    return (envoy.pk,) if envoy is not None else None


@dataclass(frozen=True)
class HubEntry:
    """One part's link on the hub: `url_name` reversed with `args(user)` (None: no link for this user),
    shown when `show(user)`."""

    key: str
    label: str | Promise
    text: str | Promise
    url_name: str
    show: Callable[[Any], bool]
    args: Callable[[Any], tuple | None] = _no_args


@dataclass(frozen=True)
class HubLink:
    key: str
    label: str
    text: str
    url: str


# The parts in the hub's order.
HUB: list[HubEntry] = [
    HubEntry(
        "meetings",
        gettext_lazy("Meetings calendar"),
        gettext_lazy("Village meetings on the days ending in 5: agendas, minutes and decisions."),
        "governance:meetings_home",
        _signed_in,
    ),
    HubEntry(
        "forum",
        gettext_lazy("My grid's forum"),
        gettext_lazy(
            "Raise a topic for your grid and support others': the most supported go to the meeting."
        ),
        "governance:forum_home",
        _signed_in,
    ),
    HubEntry(
        "board",
        gettext_lazy("Task board"),
        gettext_lazy(
            "Key small matters the towns and villages publish for agencies and organisations to take up."
        ),
        "governance:board_list",
        _anyone,
    ),
    HubEntry(
        "board_mine",
        gettext_lazy("My matters"),
        gettext_lazy(
            "The matters your agency claimed, or your town or village published, and what they wait for."
        ),
        "governance:board_mine",
        lambda user: is_signed_in(user) and access.can_use_my_matters(user),
    ),
    HubEntry(
        "pairings",
        gettext_lazy("Pairings and people sent down"),
        gettext_lazy(
            "Agencies and financial institutions paired with villages, their support, and who serves in each grid."
        ),
        "governance:pairings_index",
        _reads_pairings,
    ),
    HubEntry(
        "envoy",
        gettext_lazy("My service in the grid"),
        gettext_lazy("You are sent down to a grid: record your visits and see the cases you handled."),
        "governance:pairings_envoy",
        _signed_in,
        _own_envoy,
    ),
    HubEntry(
        "figures",
        gettext_lazy("Co-governance figures"),
        gettext_lazy(
            "Meetings held, decisions done on time, matters claimed and completed, support per pairing."
        ),
        "governance:pairings_figures",
        _reads_figures,
    ),
]


def register(entry: HubEntry, *, before: str | None = None) -> None:
    """Add a part's entry on the hub, before the entry keyed `before` or last; an entry of the same key
    is replaced where it stands (unless `before` moves it)."""
    keys = [e.key for e in HUB]
    if entry.key in keys and before is None:
        HUB[keys.index(entry.key)] = entry
        return
    HUB[:] = [e for e in HUB if e.key != entry.key]
    keys = [e.key for e in HUB]
    HUB.insert(keys.index(before) if before in keys else len(HUB), entry)


def hub_links(user) -> list[HubLink]:
    """The hub's links for `user`, in order: those their rules show and whose page exists."""
    links = []
    for entry in HUB:
        if not entry.show(user):
            continue
        args = entry.args(user)
        if args is None:
            continue
        try:
            url = reverse(entry.url_name, args=args)
        except NoReverseMatch:
            continue
        links.append(HubLink(entry.key, str(entry.label), str(entry.text), url))
    return links


def nav_entries(user) -> list[tuple[str, str, str, str]]:
    """The hub's entry where `access.co_governance_desk` puts it; for an anonymous visitor the public
    task board (once it exists), which needs no account."""
    if not is_signed_in(user):
        board = [link for link in hub_links(user) if link.key == "board"]
        return [(_("Task board"), board[0].url, "gov_board", "main")] if board else []
    group = access.co_governance_desk(user)
    if not group:
        return []
    # A short label for the bar ("共治"); the hub's own title is the app's name ("Co-governance").
    return [(_("Govern together"), reverse("governance:hub"), "governance", group)]
