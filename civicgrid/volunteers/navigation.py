"""The navigation entries of the volunteers app for a user: (label, url, key, group) tuples, which
`site.navigation` adds to its own (group "main" or "more").

Volunteers get "Volunteering" (their activities) in the main bar; team leaders and the community
office get "Volunteer teams" (the community page, or the one team a leader leads) too. Everyone
else gets "Volunteer activities" under More (the public list).
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from civicgrid.core.scopes import is_signed_in
from civicgrid.volunteers import access


def nav_entries(user) -> list[tuple[str, str, str, str]]:
    if not is_signed_in(user):
        return [(_("Volunteer activities"), reverse("volunteers:activities"), "volunteers", "more")]
    entries = []
    volunteer = access.volunteer_of(user)
    if volunteer is not None:
        entries.append((_("Volunteering"), reverse("volunteers:mine"), "volunteers_mine", "main"))
    else:
        entries.append((_("Volunteer activities"), reverse("volunteers:activities"), "volunteers", "more"))
    if access.can_open_community_page(user):
        # Under More: the staff's bar is full of their case work.
        entries.append((_("Volunteer teams"), reverse("volunteers:community"), "volunteers_teams", "more"))
    elif volunteer is not None:
        led = sorted(access.led_team_ids(user))
        if led:
            entries.append(
                (_("My team"), reverse("volunteers:team", args=[led[0]]), "volunteers_team", "main")
            )
    return entries
