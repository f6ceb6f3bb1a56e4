"""The navigation entries of co-governance for a user: (label, url, key, group) tuples, which
`site.navigation` adds to its own. Filled in by the parts as they land."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from civicgrid.core.scopes import is_signed_in
from civicgrid.governance import access


def board_entries(user) -> list[tuple[str, str, str, str]]:
    """The task board under More, the public included; "my matters" beside it for those who claim or
    publish matters. Both under More: the main bar of agency staff, cadres and operators is full at
    1024 px already (a further entry made it scroll sideways)."""
    board = reverse("governance:board_list")
    if is_signed_in(user) and access.can_use_my_matters(user):
        return [
            (_("My matters"), reverse("governance:board_mine"), "gov_board_mine", "more"),
            (_("Task board"), board, "gov_board", "more"),
        ]
    return [(_("Task board"), board, "gov_board", "more")]


def nav_entries(user) -> list[tuple[str, str, str, str]]:
    return [*board_entries(user)]
