"""The navigation entries of the organisation network for a user: (label, url, key, group) tuples,
which `site.navigation` adds to its own (group "main" or "more").

Federation cadres get "Federation network" in the main bar (it is their daily work); government staff
with a region, who read it, find it under More. Nobody else sees it. No query for anyone but cadres
(their offices are read once per request and shared with the pages).
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from civicgrid.core.scopes import is_signed_in
from civicgrid.orgs import access


def nav_entries(user) -> list[tuple[str, str, str, str]]:
    if not is_signed_in(user) or not access.can_use(user):
        return []
    group = "main" if access.offices(user) else "more"
    return [(_("Federation network"), reverse("orgs:tree"), "orgs", group)]
