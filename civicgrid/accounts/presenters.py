"""Who a person is to the pages: the words they read, and their "me" page.

The words: staff (the roles of `STAFF_ROLES`, and superusers) read the working words of the office —
"your area", "step deadline", "the places your roles cover"; everyone else (residents, mobile grid
members, volunteers, visitors) reads plain words for the same things. `words_for` is the one place that
chooses; the site's context processor puts its answer in every page as `words`, and the navigation labels
read it too. Templates never test a role to pick a word.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.accounts import selectors
from civicgrid.core.roles import STAFF_ROLES, Role
from civicgrid.core.scopes import has_role, is_root, is_signed_in, scopes
from civicgrid.lib.privacy import mask_phone


@dataclass(frozen=True)
class Words:
    """The words of one kind of reader for what staff and residents name differently."""

    staff: bool
    # Before the deadline of a case's current step ("Step deadline 12-03 16:51" / "Expected by ...").
    due_label: Promise
    # The line under the greeting of the home page.
    home_intro: Promise
    # The places browser: its line under the title, its list of the reader's own places, and what its
    # empty search and empty list say.
    places_intro: Promise
    places_title: Promise
    places_search_hint: Promise
    places_empty: Promise
    # The navigation's entry for a home place above the village (a town, district or city).
    my_area: Promise


STAFF_WORDS = Words(
    staff=True,
    due_label=gettext_lazy("Step deadline"),
    home_intro=gettext_lazy("Your roles and the places they cover."),
    places_intro=gettext_lazy(
        "Browse the administrative tree of your area, or find a place by its name or code."
    ),
    places_title=gettext_lazy("Your area"),
    places_search_hint=gettext_lazy(
        "Try part of the name, or the first digits of the code. Only places in your area are searched."
    ),
    places_empty=gettext_lazy("No places in your area"),
    my_area=gettext_lazy("My area"),
)
RESIDENT_WORDS = Words(
    staff=False,
    due_label=gettext_lazy("Expected to be handled by"),
    home_intro=gettext_lazy(
        "Report a problem where you live, follow what happens to it and say how it was solved."
    ),
    places_intro=gettext_lazy("Find your community or grid, see it on the map and who serves it."),
    places_title=gettext_lazy("Where you are"),
    places_search_hint=gettext_lazy("Try part of the name. Only the places around you are searched."),
    places_empty=gettext_lazy("No places to show yet"),
    my_area=gettext_lazy("My region"),
)


def is_staff(user) -> bool:
    """Return whether `user` reads the staff's words: a superuser, or someone holding a staff role."""
    return is_root(user) or has_role(user, *STAFF_ROLES)


def words_for(user) -> Words:
    """Return the words `user` reads (no query beyond their scopes, which are read once per request)."""
    return STAFF_WORDS if is_staff(user) else RESIDENT_WORDS


# --- The "me" page ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoleLine:
    role: str
    role_label: str
    # What the role means for this person, in plain words ("You live in 学府社区").
    text: str


@dataclass(frozen=True)
class MeView:
    name: str
    username: str
    # Masked (138****5678): the page may be read over a shoulder.
    phone: str
    roles: list[RoleLine]
    staff: bool


def _role_text(role: str, place_name: str, agency_name: str) -> str:
    """Say in plain words what one role means for its holder."""
    if agency_name:
        return _("You work for %(agency)s") % {"agency": agency_name}
    if not place_name:
        return _("Not tied to one place")
    if role == Role.RESIDENT:
        return _("You live in %(place)s") % {"place": place_name}
    if role == Role.MOBILE_GRID_MEMBER:
        return _("You report what you see anywhere in %(place)s") % {"place": place_name}
    return _("You look after %(place)s") % {"place": place_name}


def me_view(*, user) -> MeView:
    """Return what the "me" page shows of `user`: who they are, their roles and places (from the scopes
    read for the request; agency staff add one query for their agency's name)."""
    if not is_signed_in(user):
        raise ValueError("The me page is for a signed-in person.")
    held = scopes(user)
    agencies = selectors.agency_names(s.agency_id for s in held if s.agency_id)
    lines = [
        RoleLine(
            role=s.role,
            role_label=str(Role(s.role).label),
            text=_role_text(
                s.role, s.place.display_name if s.place else "", agencies.get(s.agency_id or 0, "")
            ),
        )
        for s in held
    ]
    return MeView(
        name=str(user),
        username=user.username,
        phone=mask_phone(user.phone),
        roles=lines,
        staff=is_staff(user),
    )
