"""Reads of the points app: rules in force, balances, entries, leaderboards, rewards, redemptions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model
from django.db.models import F, Q, QuerySet, Sum
from django.utils import timezone

from civicgrid.lib import keyset
from civicgrid.places.models import Place
from civicgrid.points import periods
from civicgrid.points.models import (
    ALL_TEAMS,
    Account,
    Award,
    Entry,
    Household,
    HouseholdMember,
    Objection,
    Publication,
    Redemption,
    Reward,
    RuleSet,
    Slot,
    Tally,
)

# Newest first.
ENTRY_ORDER = keyset.Order("e", (keyset.Column("id", "int", descending=True),))
LEADERBOARD_SIZE = 100


def rule_in_force(*, community_id: int | None, day: date) -> RuleSet | None:
    """Return the community's rules version in force on `day`, else the default's, else None."""
    if community_id is not None:
        own = RuleSet.objects.filter(community_id=community_id, valid_from__lte=day).order_by(
            "-valid_from", "-version"
        )
        found = own.first()
        if found is not None:
            return found
    return (
        RuleSet.objects.filter(community__isnull=True, valid_from__lte=day)
        .order_by("-valid_from", "-version")
        .first()
    )


def rule_versions(*, community: Place | None) -> QuerySet[RuleSet]:
    qs = (
        RuleSet.objects.filter(community=community)
        if community
        else RuleSet.objects.filter(community__isnull=True)
    )
    return qs.select_related("created_by").order_by("-version")


def balance(user) -> int:
    """Return the person's kept balance (one primary-key read)."""
    return Account.objects.filter(pk=user.pk).values_list("balance", flat=True).first() or 0


def balance_by_sum(user) -> int:
    """Return the person's balance summed over the ledger (what `points_check` compares with)."""
    return Entry.objects.filter(user=user).aggregate(total=Sum("amount"))["total"] or 0


@dataclass(frozen=True)
class HouseholdView:
    household: Household
    members: list[tuple[object, int]]  # (user, balance)

    @property
    def balance(self) -> int:
        return sum(points for _user, points in self.members)


def household_of(user) -> HouseholdView | None:
    """Return the person's household with each member's balance (the household's balance is their sum)."""
    membership = HouseholdMember.objects.filter(user=user).select_related("household").first()
    if membership is None:
        return None
    return household_view(membership.household)


def household_view(household: Household) -> HouseholdView:
    members = list(household.members.select_related("user").order_by("id"))
    balances = dict(Account.objects.filter(pk__in=[m.user_id for m in members]).values_list("pk", "balance"))
    return HouseholdView(household, [(m.user, balances.get(m.user_id, 0)) for m in members])


def entries_page(user, *, cursor: str = "", size: int = 30) -> keyset.Page:
    qs = Entry.objects.filter(user=user).select_related("community", "rule").order_by(*ENTRY_ORDER.order_by())
    try:
        ENTRY_ORDER.parse(cursor) if cursor else None
    except keyset.InvalidCursor:
        cursor = ""
    return keyset.page_after(qs, ENTRY_ORDER, cursor, size)


@dataclass(frozen=True)
class Standing:
    rank: int
    user_id: int
    name: str
    earned: int


def leaderboard(
    *, community_id: int, period: periods.Period, team_id: int = ALL_TEAMS, limit: int = LEADERBOARD_SIZE
) -> list[Standing]:
    """Return the people ranked by points earned in `period` in the community (or a team of it).

    An indexed read of the tally rows (one per person and month), never a sum over the ledger;
    equal points share a rank (1, 2, 2, 4).
    """
    months = period.months
    base = Tally.objects.filter(community_id=community_id, team_id=team_id)
    if len(months) == 1:
        rows = list(
            base.filter(month=months[0], earned__gt=0)
            .order_by("-earned", "user_id")
            .values_list("user_id", "earned", "user__display_name", "user__username")[:limit]
        )
    else:
        rows = list(
            base.filter(month__gte=months[0], month__lte=months[-1])
            .values("user_id")
            .annotate(total=Sum("earned"))
            .filter(total__gt=0)
            .order_by("-total", "user_id")
            .values_list("user_id", "total", "user__display_name", "user__username")[:limit]
        )
    standings = []
    rank = 0
    previous = None
    for index, (user_id, earned, display_name, username) in enumerate(rows, start=1):
        if earned != previous:
            rank, previous = index, earned
        standings.append(Standing(rank, user_id, display_name or username, int(earned)))
    return standings


def leaderboard_by_sum(
    *, community_id: int, period: periods.Period, team_id: int = ALL_TEAMS, limit: int = 100
):
    """Return (user_id, earned) ranked by a sum over the ledger: the naive way, for checks and the bench."""
    qs = Entry.objects.filter(
        community_id=community_id, counts_earned=True, month__gte=period.start, month__lt=period.end
    )
    if team_id != ALL_TEAMS:
        qs = qs.filter(team_id=team_id)
    return list(
        qs.values("user_id")
        .annotate(total=Sum("amount"))
        .filter(total__gt=0)
        .order_by("-total", "user_id")
        .values_list("user_id", "total")[:limit]
    )


def catalogue(*, community: Place | None = None) -> QuerySet[Reward]:
    """Return the rewards on offer (of one community, or all), with their community."""
    qs = (
        Reward.objects.filter(is_active=True)
        .select_related("community")
        .order_by("community__code", "cost", "id")
    )
    if community is not None:
        qs = qs.filter(community=community)
    return qs


def open_slots(reward: Reward) -> list[Slot]:
    """Return the reward's future slots with places left, soonest first (bounded)."""
    return list(reward.slots.filter(starts_at__gt=timezone.now(), taken__lt=F("capacity"))[:50])


def redemptions_of(user, *, limit: int = 100) -> list[Redemption]:
    return list(
        Redemption.objects.filter(user=user)
        .select_related("reward", "slot", "reward__community")
        .prefetch_related("reward__providers")
        .order_by("-id")[:limit]
    )


def redemptions_to_fulfil(*, reward_ids, limit: int = 200) -> list[Redemption]:
    return list(
        Redemption.objects.filter(reward_id__in=reward_ids, state=Redemption.State.BOOKED)
        .select_related("reward", "reward__community", "slot", "user")
        .prefetch_related("reward__providers")
        .order_by("slot__starts_at", "id")[:limit]
    )


def awards_of(*, communities: QuerySet[Place], state: str | None = None, limit: int = 100) -> list[Award]:
    qs = Award.objects.filter(community__in=communities).select_related(
        "user", "requested_by", "decided_by", "community"
    )
    if state:
        qs = qs.filter(state=state)
    return list(qs.order_by("-id")[:limit])


def publications(*, community: Place | None = None, limit: int = 50) -> list[Publication]:
    qs = Publication.objects.select_related("community").order_by("-published_at", "-id")
    if community is not None:
        qs = qs.filter(community=community)
    return list(qs[:limit])


def objections_of(
    *, communities: QuerySet[Place], unanswered: bool = False, limit: int = 100
) -> list[Objection]:
    qs = Objection.objects.filter(publication__community__in=communities).select_related(
        "publication", "publication__community", "user", "answered_by"
    )
    if unanswered:
        qs = qs.filter(answered_at__isnull=True)
    return list(qs.order_by("-id")[:limit])


def households_of(*, community: Place, limit: int = 200) -> list[HouseholdView]:
    return [household_view(h) for h in Household.objects.filter(community=community).order_by("name")[:limit]]


def community_people(community: Place):
    """Return the people who have points in the community: anyone with a tally row there (bounded)."""
    ids = Tally.objects.filter(community=community, team_id=ALL_TEAMS).values("user_id")
    return get_user_model().objects.filter(pk__in=ids).order_by("display_name", "id")


# ---------------------------------------------------------------------------------------------
# The kept balances and tallies against the ledger (points_check)


@dataclass(frozen=True)
class Difference:
    what: str  # "balance" or "tally"
    key: tuple
    kept: int
    counted: int


def counted_balances() -> dict[int, int]:
    return dict(Entry.objects.values("user_id").annotate(total=Sum("amount")).values_list("user_id", "total"))


def counted_tallies() -> dict[tuple, int]:
    """Return the earned points per (community, team, user, month) summed from the entries."""
    earned = Entry.objects.filter(counts_earned=True, community__isnull=False)
    counted: dict[tuple, int] = {}
    for community_id, team_id, user_id, month, total in (
        earned.values("community_id", "team_id", "user_id", "month")
        .annotate(total=Sum("amount"))
        .values_list("community_id", "team_id", "user_id", "month", "total")
    ):
        for team in {ALL_TEAMS, team_id or ALL_TEAMS}:
            key = (community_id, team, user_id, month)
            counted[key] = counted.get(key, 0) + total
    return counted


def ledger_differences() -> list[Difference]:
    """Return every kept balance and tally that differs from a recount of the entries."""
    found = []
    counted = counted_balances()
    kept = dict(Account.objects.values_list("pk", "balance"))
    for user_id in sorted(set(counted) | set(kept)):
        if counted.get(user_id, 0) != kept.get(user_id, 0):
            found.append(Difference("balance", (user_id,), kept.get(user_id, 0), counted.get(user_id, 0)))
    tallies = counted_tallies()
    kept_tallies = {
        (c, t, u, m): e
        for c, t, u, m, e in Tally.objects.values_list(
            "community_id", "team_id", "user_id", "month", "earned"
        )
    }
    for key in sorted(set(tallies) | set(kept_tallies)):
        if tallies.get(key, 0) != kept_tallies.get(key, 0):
            found.append(Difference("tally", key, kept_tallies.get(key, 0), tallies.get(key, 0)))
    return found


def person_by_login(login: str):
    """Return the active person with this account name or mobile number, or None."""
    login = (login or "").strip()
    if not login:
        return None
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(username__iexact=login) | Q(phone=login))
        .order_by("id")
        .first()
    )


def community_entries_page(community: Place, *, cursor: str = "", size: int = 50) -> keyset.Page:
    qs = (
        Entry.objects.filter(community=community)
        .select_related("user", "rule", "community")
        .order_by(*ENTRY_ORDER.order_by())
    )
    try:
        ENTRY_ORDER.parse(cursor) if cursor else None
    except keyset.InvalidCursor:
        cursor = ""
    return keyset.page_after(qs, ENTRY_ORDER, cursor, size)


def home_community(user) -> Place | None:
    """Return the village or community where `user` earns and spends points: where they are registered
    as a volunteer, else the village of their resident's role; None for anyone else."""
    from civicgrid.core.roles import Role
    from civicgrid.core.scopes import is_signed_in, scopes
    from civicgrid.volunteers.access import volunteer_of

    if not is_signed_in(user):
        return None
    volunteer = volunteer_of(user)
    if volunteer is not None:
        return volunteer.community
    for scope in scopes(user):
        if scope.role == Role.RESIDENT and scope.place is not None:
            place = scope.place
            if place.level == Place.Level.GRID:
                return Place.objects.filter(pk=place.parent_id).first()
            return place
    return None


def community_asked(request_value: str, user) -> tuple[Place | None, bool]:
    """Return the community a public list shows and whether it was chosen: `?community=<id>` (a
    village), `?community=all` (none: every community), else the viewer's own (`home_community`)."""
    if request_value == "all":
        return None, True
    if request_value.isdigit():
        return Place.objects.filter(pk=int(request_value), level=Place.Level.VILLAGE).first(), True
    return home_community(user), False


def teams_of(community: Place) -> list[tuple[int, str]]:
    """Return the (id, name) of the community's volunteer teams, for choosing a team's leaderboard."""
    from civicgrid.volunteers.models import Team

    return list(Team.objects.filter(community=community).order_by("name").values_list("pk", "name")[:500])


def team_names(ids) -> dict[int, str]:
    from civicgrid.volunteers.models import Team

    ids = {i for i in ids if i}
    return dict(Team.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}
