"""Who may see and do what in co-governance: the one place these rules live (issue 14).

- **Meetings** of a village or grid are managed (scheduled, agenda, attendance, minutes, decisions) by
  the cadres of that village and the town command centre above it; a grid's leader and workers manage
  their grid's meetings too. Staff with the place in their region read them. Residents and anyone whose
  home is in the village read what is published there (agenda and decisions, never attendees' phones).
- **The grid forum**: people whose home place is the grid or its village (residents, mobile grid
  members, volunteers with a place) raise and support topics and reply; the grid's workers and leader
  and the village's cadres moderate. Staff of the region read everything, hidden topics included.
- **The task board**: a town's operators publish matters for their town, a village's cadres for their
  village; agency staff claim for their agency; the town's operators record a claim for an enterprise
  or organisation that has no account; the claimant reports progress and completion; the village (or,
  for a town-wide matter, the town) verifies. Everyone, the public included, reads published matters.
- **Pairings and people sent down**: the town's operators (and district or city administrators above)
  record them; a paired agency's staff record its own support; village cadres and grid staff read those
  of their place; a person sent down records their own activity.
- A superuser passes every rule. Pages, the API and commands ask here, through the services and
  selectors; nothing else decides.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from civicgrid.core.errors import PermissionDenied
from civicgrid.core.roles import ADMIN_ROLES, GRID_ROLES, STAFF_ROLES, Role
from civicgrid.core.scopes import is_root, is_signed_in, scopes

# Roles whose place lets them manage the meetings of the places inside it.
MEETING_ROLES = frozenset({Role.VILLAGE_CADRE, Role.TOWN_OPERATOR, *GRID_ROLES})
# Roles that moderate a grid's forum (within their place).
MODERATOR_ROLES = frozenset({Role.VILLAGE_CADRE, *GRID_ROLES})
# Roles whose place is a person's home for the grid forum: they raise and support topics there.
FORUM_HOME_ROLES = frozenset({Role.RESIDENT, Role.MOBILE_GRID_MEMBER, Role.VOLUNTEER})
# Roles that publish matters on the task board (within their place).
PUBLISHER_ROLES = frozenset({Role.VILLAGE_CADRE, Role.TOWN_OPERATOR})
# Roles that record pairings and people sent down (within their place).
PAIRING_ROLES = frozenset({Role.TOWN_OPERATOR, *ADMIN_ROLES})
# Roles that read everything of co-governance in their region.
REGION_READERS = STAFF_ROLES - {Role.AGENCY_STAFF}


def _covering(user, place, wanted: Iterable[Role]) -> bool:
    """True when one of `user`'s scopes with a role in `wanted` covers `place`."""
    wanted = frozenset(wanted)
    return any(s.role in wanted and s.covers(place) for s in scopes(user))


def _grid_level_only(user, place) -> bool:
    """Grid staff manage a grid's own meetings, never the village's."""
    return place.level == "grid"


def is_region_reader(user, place) -> bool:
    """Staff whose region holds `place` read everything of co-governance there."""
    return is_root(user) or _covering(user, place, REGION_READERS)


def lives_in(user, place) -> bool:
    """True when one of `user`'s home places is `place` or inside it, or holds it (a resident of the
    village reads the village's meetings; a resident of the grid its forum)."""
    if not is_signed_in(user):
        return False
    for s in scopes(user):
        if s.place is None:
            continue
        if s.place.is_within(place) or place.is_within(s.place):
            return True
    return False


# --- Meetings ------------------------------------------------------------------------------------


def can_manage_meetings(user, place) -> bool:
    """Schedule, record and decide for the meetings of `place` (a village or a grid)."""
    if is_root(user):
        return True
    for s in scopes(user):
        if not s.covers(place):
            continue
        if s.role in (Role.VILLAGE_CADRE, Role.TOWN_OPERATOR):
            return True
        if s.role in GRID_ROLES and _grid_level_only(user, place):
            return True
    return False


def can_view_meeting(user, meeting) -> bool:
    """Read a meeting: its managers and the region's staff all of it; the people of its village only
    a published one (`presenters` leave out what is private)."""
    if can_manage_meetings(user, meeting.place) or is_region_reader(user, meeting.place):
        return True
    return bool(meeting.is_published and lives_in(user, meeting.village))


def check_manage_meetings(user, place) -> None:
    if not can_manage_meetings(user, place):
        raise PermissionDenied(_("You may not manage the meetings of this place."))


def sees_all_meetings(user, place) -> bool:
    """Read every meeting of `place` (planned, unpublished, minutes, internal notes): its managers
    and the staff of the region."""
    return can_manage_meetings(user, place) or is_region_reader(user, place)


def _village_of(place):
    return place.parent if place.level == "grid" else place


def can_view_calendar(user, place) -> bool:
    """Open the meeting calendar of `place` (a village or grid): those who see all its meetings, and
    the people of its village (who see the published ones only, as `can_view_meeting` says)."""
    return sees_all_meetings(user, place) or lives_in(user, _village_of(place))


def can_view_decisions(user, place) -> bool:
    """Read the list of decisions of `place` (a town, village or grid): those who see all its
    meetings, and the people living in a village or grid (the published meetings' decisions)."""
    if sees_all_meetings(user, place):
        return True
    return place.level in ("village", "grid") and lives_in(user, _village_of(place))


def can_update_decision(user, decision) -> bool:
    """Mark a decision done or dropped: the managers of its meeting's place, and its owner."""
    if can_manage_meetings(user, decision.meeting.place):
        return True
    return is_signed_in(user) and decision.owner_user_id is not None and decision.owner_user_id == user.pk


# --- The grid forum ------------------------------------------------------------------------------


def is_forum_home(user, grid) -> bool:
    """True when one of `user`'s home roles (resident, mobile grid member, volunteer) has a place that
    is `grid`, its village, or a region holding it. Staff roles are no home: a town operator or an
    agency serving the whole district reads the forum as staff, it does not raise topics in it."""
    return any(
        s.role in FORUM_HOME_ROLES
        and s.place is not None
        and (s.place.is_within(grid) or grid.is_within(s.place))
        for s in scopes(user)
    )


def can_post_in_forum(user, grid) -> bool:
    """Raise a topic, support one or reply in `grid`'s forum: people who live there, and its moderators."""
    if not is_signed_in(user):
        return False
    return is_root(user) or is_forum_home(user, grid) or can_moderate_forum(user, grid)


def can_moderate_forum(user, grid) -> bool:
    """Hide or close topics and replies, and put topics on an agenda, in `grid`'s forum."""
    return is_root(user) or _covering(user, grid, MODERATOR_ROLES)


def can_view_forum(user, grid) -> bool:
    """Read `grid`'s forum (hidden topics stay with its moderators and the region's staff)."""
    return can_post_in_forum(user, grid) or is_region_reader(user, grid)


def can_see_hidden_forum(user, grid) -> bool:
    """See hidden topics and the words of hidden replies in `grid`'s forum: its moderators and the
    region's staff."""
    return can_moderate_forum(user, grid) or is_region_reader(user, grid)


def can_see_forum_names(user, grid) -> bool:
    """See the whole names of the people who write in `grid`'s forum (everyone else reads 王**):
    those who see its hidden topics. Nobody reads a phone number there."""
    return can_see_hidden_forum(user, grid)


def can_browse_forums(user, place) -> bool:
    """Open the list of the forums in `place` (a village or wider): people who live there and the
    region's staff; each grid in it is then offered only when `can_view_forum` allows it."""
    if place.level == "grid":
        return can_view_forum(user, place)
    return is_forum_home(user, place) or is_region_reader(user, place) or _covering_below(user, place)


def _covering_below(user, place) -> bool:
    """A moderator's grid or village lies in `place` (a grid worker finds their grid from its village)."""
    return any(
        s.role in MODERATOR_ROLES and s.place is not None and s.place.is_within(place) for s in scopes(user)
    )


def check_post_in_forum(user, grid) -> None:
    if not can_post_in_forum(user, grid):
        raise PermissionDenied(_("Only the people of this grid may write in its forum."))


def check_moderate_forum(user, grid) -> None:
    if not can_moderate_forum(user, grid):
        raise PermissionDenied(_("Only the grid's workers and the village's cadres moderate this forum."))


# --- The task board ------------------------------------------------------------------------------


def can_publish_matter(user, place) -> bool:
    """Publish (and withdraw) a matter serving `place`: its town's operators or its village's cadres."""
    return is_root(user) or _covering(user, place, PUBLISHER_ROLES)


def claimable_agency_ids(user) -> set[int]:
    """The agencies `user` may claim a matter for (agency staff: their own)."""
    return {s.agency_id for s in scopes(user) if s.role == Role.AGENCY_STAFF and s.agency_id is not None}


def can_claim_for_agency(user, agency_id: int) -> bool:
    return is_root(user) or agency_id in claimable_agency_ids(user)


def can_record_claim_for_others(user, matter) -> bool:
    """Record a claim for an enterprise or organisation without an account: the town's operators."""
    return is_root(user) or _covering(user, matter.town, {Role.TOWN_OPERATOR})


def can_claim_matter(user, matter) -> bool:
    """Claim an open matter: agency staff (for their agency), or the town's operators recording a
    claim for an enterprise or organisation without an account."""
    return is_root(user) or bool(claimable_agency_ids(user)) or can_record_claim_for_others(user, matter)


def is_claimant(user, matter) -> bool:
    """The person who claimed, or staff of the agency that claimed."""
    if not is_signed_in(user):
        return False
    if matter.claimed_by_id == user.pk:
        return True
    return matter.claimant_agency_id is not None and matter.claimant_agency_id in claimable_agency_ids(user)


def can_report_progress(user, matter) -> bool:
    """Report progress and completion: the claimant (or the town recording for a claimant without an account)."""
    return is_root(user) or is_claimant(user, matter) or can_record_claim_for_others(user, matter)


def can_verify_matter(user, matter) -> bool:
    """Verify completion (or return it for more work): the village's cadres for a matter in a village,
    the town's operators for any matter of the town; never the claimant."""
    if is_claimant(user, matter) and not is_root(user):
        return False
    if is_root(user) or _covering(user, matter.town, {Role.TOWN_OPERATOR}):
        return True
    return matter.village is not None and _covering(user, matter.village, {Role.VILLAGE_CADRE})


def can_view_matter(user, matter) -> bool:
    """Read a matter: everyone once it is published (its state stays public, withdrawn included); a
    draft only those who may publish it and the staff of its region."""
    if matter.state != "draft":
        return True
    return can_publish_matter(user, matter.region) or is_region_reader(user, matter.region)


def can_edit_matter(user, matter) -> bool:
    """Change a draft, publish it, withdraw a published matter: who may publish for its region."""
    return can_publish_matter(user, matter.region)


def publishing_level(user, region) -> str | None:
    """In whose name `user` publishes a matter serving `region`: "town" for the town's operators (and
    a superuser), "village" for the village's cadres; None when they may not publish there."""
    if is_root(user) or _covering(user, region, {Role.TOWN_OPERATOR}):
        return "town"
    if _covering(user, region, {Role.VILLAGE_CADRE}):
        return "village"
    return None


def draft_prefixes(user) -> tuple[bool, tuple[str, ...]]:
    """The drafts `user` reads in lists, as (everything, code prefixes of their regions): the same
    people `can_view_matter` lets read a draft (publishers are region readers of their place)."""
    if is_root(user):
        return True, ()
    prefixes = {
        s.place.scope_prefix for s in scopes(user) if s.role in REGION_READERS and s.place is not None
    }
    return False, tuple(sorted(prefixes))


def is_matter_insider(user, matter) -> bool:
    """Those who publish, claim, report on or verify a matter, and the staff of its region: they open
    its progress photos at full size and read who took each step. Everyone else gets the thumbnails
    of a published matter and the names of the sides (the claimant, the town or village)."""
    if not is_signed_in(user):
        return False
    return (
        can_edit_matter(user, matter)
        or is_region_reader(user, matter.region)
        or can_report_progress(user, matter)
        or can_verify_matter(user, matter)
    )


def publisher_places(user) -> list:
    """The towns and villages `user` publishes matters for (their "published by us" list)."""
    return [s.place for s in scopes(user) if s.role in PUBLISHER_ROLES and s.place is not None]


def can_publish_anywhere(user) -> bool:
    """Whether `user` publishes matters somewhere (the board offers them "new matter")."""
    return is_root(user) or bool(publisher_places(user))


def can_export_board(user, town) -> bool:
    """Export a town's board to Excel: the town's operators and the administrators above it."""
    return is_root(user) or _covering(user, town, {Role.TOWN_OPERATOR, *ADMIN_ROLES})


def board_towns(user) -> list:
    """The towns whose board `user` may export (their own town; administrators choose one)."""
    return [s.place for s in scopes(user) if s.role == Role.TOWN_OPERATOR and s.place is not None]


def can_use_my_matters(user) -> bool:
    """The "my matters" page: agency staff (what their agency claimed) and publishers (what their
    town or village published, drafts included)."""
    if is_root(user):
        return True
    return any(s.role in PUBLISHER_ROLES or s.role == Role.AGENCY_STAFF for s in scopes(user))


# --- Pairings and people sent down ---------------------------------------------------------------


def can_manage_pairings(user, place) -> bool:
    """Record pairings and people sent down for `place` (a village, grid or town)."""
    return is_root(user) or _covering(user, place, PAIRING_ROLES)


def can_record_support(user, pairing) -> bool:
    """Record support under a pairing: its town's managers, and the paired agency's staff."""
    if can_manage_pairings(user, pairing.village):
        return True
    return pairing.agency_id is not None and pairing.agency_id in claimable_agency_ids(user)


def can_view_pairing(user, pairing) -> bool:
    return can_record_support(user, pairing) or is_region_reader(user, pairing.village)


def can_record_envoy_activity(user, envoy) -> bool:
    """Record what a person sent down did: themselves, the grid's staff, the town's managers."""
    if is_signed_in(user) and envoy.user_id == user.pk:
        return True
    return can_manage_pairings(user, envoy.grid) or _covering(user, envoy.grid, MODERATOR_ROLES)


def can_see_envoy_phone(user, envoy) -> bool:
    """An envoy's phone, whole: the grid's staff and the town's managers (masked for everyone else)."""
    return can_record_envoy_activity(user, envoy)


def can_view_pairings_in(user, place) -> bool:
    """Open the pairings and people sent down of `place` (a town, village or grid, or a district
    above): the region's staff and the managers above it. Agency staff read their own agency's
    pairings one by one (`can_view_pairing`), never a place's list."""
    return can_manage_pairings(user, place) or is_region_reader(user, place)


def can_view_envoys(user, grid) -> bool:
    """See who is sent down to `grid` (name, kind, role, term; the phone masked unless
    `can_see_envoy_phone`): the region's staff, the managers above, and the people who live there."""
    return can_view_pairings_in(user, grid) or lives_in(user, grid)


def can_view_envoy_work(user, envoy) -> bool:
    """Read what a person sent down did (their activity and the cases they handled): themselves,
    those who record it, and the region's staff."""
    return can_record_envoy_activity(user, envoy) or is_region_reader(user, envoy.grid)


def co_governance_desk(user) -> str:
    """Where co-governance sits in `user`'s navigation: "main" for those who work in it every day
    (village cadres, grid staff) and for the people of a place (their village's meetings, their grid's
    forum); "more" for town operators (whose bar is full), district and city administrators and agency
    staff; "" for nobody else (the public board is on the hub page)."""
    if not is_signed_in(user):
        return ""
    if is_root(user):
        return "more"
    wanted = {s.role for s in scopes(user)}
    # A town operator's bar is full (work, overview, command centre, map...): under More.
    if wanted & ({Role.VILLAGE_CADRE, Role.RESIDENT} | GRID_ROLES):
        return "main"
    if wanted & (ADMIN_ROLES | {Role.AGENCY_STAFF, Role.TOWN_OPERATOR}):
        return "more"
    return "main" if any(s.place is not None for s in scopes(user)) else ""


# --- Figures -------------------------------------------------------------------------------------


def can_view_figures(user, town) -> bool:
    """The town's co-governance figures: staff whose region holds the town (or is inside it)."""
    if is_root(user):
        return True
    return any(
        s.role in REGION_READERS
        and s.place is not None
        and (town.is_within(s.place) or s.place.is_within(town))
        for s in scopes(user)
    )
