"""The navigation entries of co-governance for a user: (label, url, key, group) tuples, which
`site.navigation` adds to its own. Filled in by the parts as they land."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from civicgrid.core.scopes import is_signed_in
from civicgrid.governance import access


def board_entries(user) -> list[tuple[str, str, str, str]]:
    """The task board: in the main bar for those who publish or claim matters (their "my matters"
    first), under More for everyone else, the public included."""
    board = reverse("governance:board_list")
    if is_signed_in(user) and access.can_use_my_matters(user):
        return [
            (_("My matters"), reverse("governance:board_mine"), "gov_board_mine", "main"),
            (_("Task board"), board, "gov_board", "more"),
        ]
    return [(_("Task board"), board, "gov_board", "more")]


def nav_entries(user) -> list[tuple[str, str, str, str]]:
    return [*board_entries(user)]
