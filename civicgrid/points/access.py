"""Who may do what with points: the one place its pages, API, exports and commands ask.

- Everyone (signed in or not) reads the reward catalogue and published leaderboards (names masked).
- A signed-in person reads their own balance, entries, household and redemptions, redeems and
  cancels their own bookings, and objects to a published leaderboard during its notice period.
- The community office (`places.access.Perm.COMMUNITY_MANAGE`: the village/community cadres and the
  town, district and city staff above) keeps the community's rules, rewards, households, requests
  and approves manual awards and deductions (never their own request), reverses entries, publishes
  leaderboards, answers objections and exports the ledger.
- A reward's providers (named on it) confirm its redemptions' fulfilment.
- The default rules (of every community without its own) belong to the district and city administrators.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from civicgrid.core.errors import PermissionDenied
from civicgrid.core.roles import ADMIN_ROLES, STAFF_ROLES
from civicgrid.core.scopes import is_root, is_signed_in, roles, scopes
from civicgrid.places import access as place_access
from civicgrid.places.access import Perm
from civicgrid.places.models import Place
from civicgrid.points.models import Award, Redemption, Reward


def refuse(message: str | None = None) -> None:
    raise PermissionDenied(message or _("You do not have permission to do this here."))


def is_person(user) -> bool:
    return is_signed_in(user)


def has_points_home(user) -> bool:
    """Whether "My points" belongs in `user`'s main navigation: the people who earn points (residents,
    riders: no staff role) and volunteers (read once per request, with the volunteers' own entries)."""
    from civicgrid.volunteers.access import volunteer_of

    if not is_signed_in(user):
        return False
    return not (roles(user) & STAFF_ROLES) or volunteer_of(user) is not None


def communities(user) -> QuerySet[Place]:
    """Return the villages and communities whose points `user` runs."""
    if not is_signed_in(user):
        return Place.objects.none()
    return place_access.communities_managed(user)


def is_office(user) -> bool:
    """Return whether `user` runs the points of some community."""
    return is_signed_in(user) and place_access.can(user, Perm.COMMUNITY_MANAGE)


def can_manage(user, community: Place | None) -> bool:
    """Return whether `user` runs the points of `community` (None: the default rules)."""
    if not is_signed_in(user):
        return False
    if community is None:
        return is_root(user) or any(s.role in ADMIN_ROLES for s in scopes(user))
    return community.level == Place.Level.VILLAGE and place_access.can(user, Perm.COMMUNITY_MANAGE, community)


def check_manage(user, community: Place | None) -> None:
    if not can_manage(user, community):
        refuse()


def can_decide_award(user, award: Award) -> bool:
    """The office of the award's community, but never the person who asked for it."""
    return can_manage(user, award.community) and award.requested_by_id != user.pk


def can_provide(user, reward: Reward) -> bool:
    """Whether `user` is named on the reward (reads the prefetched providers when the list has them)."""
    return is_signed_in(user) and any(p.pk == user.pk for p in reward.providers.all())


def is_provider(user) -> bool:
    return is_signed_in(user) and Reward.providers.through.objects.filter(user_id=user.pk).exists()


def provided_rewards(user) -> QuerySet[Reward]:
    if not is_signed_in(user):
        return Reward.objects.none()
    return Reward.objects.filter(providers=user)


def can_fulfil(user, redemption: Redemption) -> bool:
    return can_provide(user, redemption.reward) or can_manage(user, redemption.reward.community)


def can_cancel(user, redemption: Redemption) -> bool:
    """The person who redeemed, or the community's office."""
    if not is_signed_in(user):
        return False
    return redemption.user_id == user.pk or can_manage(user, redemption.reward.community)


def can_view_redemption(user, redemption: Redemption) -> bool:
    return redemption.user_id == getattr(user, "pk", None) or can_fulfil(user, redemption)


def can_object(user) -> bool:
    return is_signed_in(user)
