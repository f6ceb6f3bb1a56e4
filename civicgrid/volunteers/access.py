"""Who may see and do what in the volunteers app: the one place these rules live.

- A volunteer sees and acts on their own sign-ups, attendance, hours and record.
- A team leader (an active `TeamMembership` with the leader role) manages the team's roster,
  activities and attendance, and confirms its hours.
- The community office (`places.access.Perm.COMMUNITY_MANAGE` on the team's community: its cadres
  and the town, district and city staff above) manages teams, appoints leaders, issues certificates
  and may do whatever a leader may.
- The public sees published activities, without personal data. Everyone else is refused.
Pages, the API, exports and commands ask here (through the services and selectors).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from civicgrid.core.errors import PermissionDenied
from civicgrid.core.scopes import is_root, is_signed_in
from civicgrid.places import access as place_access
from civicgrid.places.access import Perm
from civicgrid.places.models import Place
from civicgrid.volunteers.models import Activity, Team, TeamMembership, Volunteer


def volunteer_of(user) -> Volunteer | None:
    """Return the user's active volunteer registration, read once per request."""
    if not is_signed_in(user):
        return None
    if not hasattr(user, "_civicgrid_volunteer"):
        user._civicgrid_volunteer = (
            Volunteer.objects.filter(user=user, is_active=True).select_related("community").first()
        )
    return user._civicgrid_volunteer


def manages_community(user, community: Place) -> bool:
    return place_access.can(user, Perm.COMMUNITY_MANAGE, community)


def communities_managed(user) -> QuerySet[Place]:
    return place_access.communities_managed(user)


def led_team_ids(user) -> set[int]:
    """Return the ids of the teams `user` leads (cached on the user for the request)."""
    volunteer = volunteer_of(user)
    if volunteer is None:
        return set()
    if not hasattr(user, "_civicgrid_led_teams"):
        user._civicgrid_led_teams = set(
            TeamMembership.objects.filter(
                volunteer=volunteer, role=TeamMembership.Role.LEADER, is_active=True, team__is_active=True
            ).values_list("team_id", flat=True)
        )
    return user._civicgrid_led_teams


def leads(user, team: Team) -> bool:
    return team.pk in led_team_ids(user)


def can_manage_team(user, team: Team) -> bool:
    """Leaders of the team and the office of its community manage it (roster, activities, hours)."""
    return leads(user, team) or manages_community(user, team.community)


def can_administer_team(user, team: Team) -> bool:
    """Only the community office changes a team itself and appoints its leaders."""
    return manages_community(user, team.community)


def teams_managed(user) -> QuerySet[Team]:
    """Return the teams `user` leads or whose community they run."""
    if not is_signed_in(user):
        return Team.objects.none()
    if is_root(user):
        return Team.objects.all()
    condition = Q(pk__in=led_team_ids(user))
    managed = communities_managed(user)
    return Team.objects.filter(condition | Q(community__in=managed))


def can_view_activity(user, activity: Activity) -> bool:
    """Published, closed and cancelled activities are public; drafts only for those who manage the team."""
    if activity.status != Activity.Status.DRAFT:
        return True
    return can_manage_team(user, activity.team)


def can_view_volunteer(user, volunteer: Volunteer) -> bool:
    """The volunteer, the office of their community, and the leaders of a team they belong to."""
    if not is_signed_in(user):
        return False
    if volunteer.user_id == user.pk or manages_community(user, volunteer.community):
        return True
    led = led_team_ids(user)
    if not led:
        return False
    return volunteer.memberships.filter(team_id__in=led, is_active=True).exists()


def can_issue_certificate(user, volunteer: Volunteer) -> bool:
    return manages_community(user, volunteer.community)


def can_manage_any(user) -> bool:
    """Return whether `user` leads a team or runs a community (navigation, the community page)."""
    return bool(led_team_ids(user)) or place_access.can(user, Perm.COMMUNITY_MANAGE)


def can_correct(user, volunteer) -> bool:
    """Whether `user` may add corrections to `volunteer`'s hours: a leader or the office, never of
    their own record (the correction then waits for someone else's approval). The service checks
    the record's own team or community on top."""
    return can_manage_any(user) and volunteer.user_id != getattr(user, "pk", None)


def can_open_community_page(user) -> bool:
    return place_access.can(user, Perm.COMMUNITY_MANAGE)


def refuse(message: str | None = None) -> PermissionDenied:
    return PermissionDenied(message or _("You do not have permission to do this here."))


def check_manage_team(user, team: Team) -> None:
    if not can_manage_team(user, team):
        raise refuse(_("Only the team's leaders and its community office may do this."))


def check_administer_team(user, team: Team) -> None:
    if not can_administer_team(user, team):
        raise refuse(_("Only the community office may change a team or appoint its leaders."))


def check_manage_community(user, community: Place) -> None:
    if not manages_community(user, community):
        raise refuse(_("Only the community office may do this."))


def check_view_volunteer(user, volunteer: Volunteer) -> None:
    if not can_view_volunteer(user, volunteer):
        raise refuse(_("You may see only your own volunteer record."))


def can_see_contacts(user, volunteer: Volunteer) -> bool:
    """Phone numbers unmasked: the person, their community office and their team leaders."""
    return can_view_volunteer(user, volunteer)
