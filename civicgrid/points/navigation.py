"""The navigation entries of the points app for a user: (label, url, key, group) tuples, which
`site.navigation` adds to its own (group "main" or "more")."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from civicgrid.points import access


def nav_entries(user) -> list[tuple[str, str, str, str]]:
    """Return the points pages `user` may use: the public ones for everyone, the person's own when
    signed in, the provider's and the office's for those who hold them."""
    entries = []
    if access.is_person(user):
        group = "main" if access.has_points_home(user) else "more"
        entries.append((_("My points"), reverse("points:mine"), "points", group))
    entries.append((_("Rewards"), reverse("points:rewards"), "points_rewards", "more"))
    entries.append((_("Points leaderboards"), reverse("points:leaderboards"), "points_leaderboards", "more"))
    if access.is_person(user):
        entries.append((_("My redemptions"), reverse("points:redemptions"), "points_redemptions", "more"))
    if access.is_office(user):
        entries.append((_("Points office"), reverse("points:office"), "points_office", "more"))
    return entries
