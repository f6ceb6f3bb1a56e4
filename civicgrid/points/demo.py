"""Demo data of the points app, called by the site's demo loader.

`seed_rules(communities)` runs before the demo approves volunteer hours, so those hours earn points;
`seed(communities, users_by_role)` then adds rewards (goods with stock, a service with slots), manual
awards, households, a few redemptions and a published leaderboard. Both go through the services
(rules, the ledger's keys, audit entries) and are quick: a few dozen rows per community.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from civicgrid.core.errors import ApplicationError
from civicgrid.places.models import Place
from civicgrid.points import access, periods, selectors, services
from civicgrid.points.models import Award, Household, Reward, RuleSet
from civicgrid.volunteers.choices import ServiceField

# The default rules apply from this day, so hours and reports of any demo day earn points.
DEMO_RULES_FROM = date(2020, 1, 1)
HOURLY = {
    ServiceField.ELDERLY: 12,
    ServiceField.SAFETY: 10,
    ServiceField.ENVIRONMENT: 8,
    ServiceField.EMERGENCY: 15,
}
GOODS = (("大米 5 公斤", 120, 20), ("食用油 1.8 升", 80, 30), ("洗衣液", 40, 50), ("毛巾两条", 20, 0))


def seed_rules(communities: Iterable[Place]) -> list[RuleSet]:
    """Add the default rules (every community) and a version of the first community's own; idempotent."""
    made = []
    if not RuleSet.objects.filter(community__isnull=True).exists():
        made.append(
            services.rules_create(
                actor=None,
                community=None,
                valid_from=DEMO_RULES_FROM,
                hourly={str(k): v for k, v in HOURLY.items()},
                hourly_default=6,
                per_activity=5,
                report_resident=3,
                report_mobile=5,
                expires_after_months=24,
                note="全市默认积分规则（积分两年有效）",
            )
        )
    first = next(iter(communities), None)
    if first is not None and not RuleSet.objects.filter(community=first).exists():
        made.append(
            services.rules_create(
                actor=None,
                community=first,
                valid_from=DEMO_RULES_FROM,
                hourly={str(k): v + 2 for k, v in HOURLY.items()},
                hourly_default=8,
                per_activity=10,
                report_resident=5,
                report_mobile=8,
                note="本社区积分细则（第一版）",
            )
        )
    return made


def _people(users_by_role: Mapping[str, object], *roles: str) -> list:
    """Return the users of these roles; a role may map to one user or to a list of them."""
    found = []
    for role in roles:
        value = users_by_role.get(role)
        if value is None:
            continue
        found.extend(value if isinstance(value, list | tuple) else [value])
    return found


def seed(
    communities: Iterable[Place], users_by_role: Mapping[str, object], *, seed_value: int = 11
) -> dict[str, int]:
    """Add rewards, slots, manual awards, households, redemptions and a published leaderboard.

    For each community some staff member runs (`access.can_manage`): the first such person requests
    and another approves; residents and volunteers get the awards and redeem. Returns counts.
    """
    rng = random.Random(seed_value)
    staff = _people(users_by_role, "village_cadre", "town_operator", "district_admin", "city_admin")
    persona_people = _people(users_by_role, "resident", "volunteer", "mobile_grid_member")
    counts = {"rewards": 0, "awards": 0, "redemptions": 0, "publications": 0, "households": 0}
    today = timezone.localdate()
    for number, community in enumerate(communities):
        # Points are earned and spent where one lives: the named people in the first community (theirs),
        # elsewhere the community's own registered volunteers.
        people = _residents_of(community, persona_people if number == 0 else [])
        office = [u for u in staff if access.can_manage(u, community)]
        if not office:
            continue
        cadre, approver = office[0], next((u for u in office[1:] if u.pk != office[0].pk), None)
        if Reward.objects.filter(community=community).exists():
            continue  # seeded already
        for name, cost, stock in GOODS:
            services.reward_create(
                actor=cadre, community=community, kind="goods", name=name, cost=cost, stock=stock
            )
            counts["rewards"] += 1
        provider = people[0] if people else cadre
        housekeeping = services.reward_create(
            actor=cadre,
            community=community,
            kind="service",
            name="家政服务 2 小时（预约）",
            description="巾帼家政服务队上门服务两小时：保洁、整理、照护。",
            cost=200,
            providers=[provider],
        )
        counts["rewards"] += 1
        for day in range(1, 6):
            start = timezone.make_aware(
                datetime.combine(today + timedelta(days=day), time(9 if day % 2 else 14))
            )
            services.slot_add(actor=cadre, reward=housekeeping, starts_at=start, capacity=2)
        household = Household.objects.filter(community=community).first() or services.household_create(
            actor=cadre,
            community=community,
            name=f"{community.name} {rng.randint(1, 12)} 号楼 {rng.randint(1, 6)}0{rng.randint(1, 4)} 室",
        )
        counts["households"] += 1
        for person in people[:2]:
            with contextlib.suppress(ApplicationError):  # already in a household
                services.household_add(actor=cadre, household=household, user=person)
        if approver is not None:
            for person in people:
                award = services.award_request(
                    actor=cadre,
                    community=community,
                    user=person,
                    kind=Award.Kind.AWARD,
                    points=rng.choice([150, 220, 300]),
                    reason=rng.choice(["清理楼道杂物", "协助疫苗接种引导", "义务巡逻"]),
                )
                services.award_decide(actor=approver, award=award, approve=True)
                counts["awards"] += 1
            if people:
                services.award_request(
                    actor=cadre,
                    community=community,
                    user=people[0],
                    kind=Award.Kind.DEDUCT,
                    points=10,
                    reason="公共区域堆放杂物，经劝导未整改",
                )
        slots = selectors.open_slots(housekeeping)
        for index, person in enumerate(people[:3]):
            cheapest = (
                Reward.objects.filter(community=community, kind="goods", stock__gt=0).order_by("cost").first()
            )
            try:
                if index == 0 and slots:
                    services.reward_redeem(
                        user=person,
                        reward=housekeeping,
                        slot=slots[0],
                        key=f"demo-{community.pk}-{person.pk}-s",
                    )
                elif cheapest is not None:
                    services.reward_redeem(
                        user=person, reward=cheapest, key=f"demo-{community.pk}-{person.pk}-g"
                    )
                counts["redemptions"] += 1
            except ApplicationError:
                pass  # not enough points
        services.leaderboard_publish(
            actor=cadre,
            community=community,
            period=periods.of("month", today),
            names="surname",
            notice_days=7,
        )
        counts["publications"] += 1
    return counts


def _residents_of(community: Place, named: list) -> list:
    """Return the people who earn and spend points in `community` for the demo: `named` first, then a
    few of its registered volunteers."""
    from civicgrid.volunteers.models import Volunteer

    people = list(named)
    for volunteer in Volunteer.objects.filter(community=community).select_related("user").order_by("seq")[:4]:
        if all(p.pk != volunteer.user_id for p in people):
            people.append(volunteer.user)
    return people


def delete(places, users) -> int:
    """Remove the points data of the demo: everything in `places` (a queryset of the demo's places) or
    of `users` (the demo's accounts); for `load_demo --reset` only. Ledger entries are never deleted
    otherwise; return how many entries went. The default rules (no community) stay."""
    from django.db import router
    from django.db.models import Q

    from civicgrid.points.models import (
        Account,
        Entry,
        HouseholdMember,
        Objection,
        Publication,
        Redemption,
        Slot,
        Tally,
    )

    using = router.db_for_write(Entry)
    publications = Publication.objects.filter(community__in=places)
    Objection.objects.filter(Q(publication__in=publications) | Q(user__in=users)).delete()
    publications.delete()
    rewards = Reward.objects.filter(community__in=places)
    Redemption.objects.filter(Q(reward__in=rewards) | Q(user__in=users)).delete()
    Award.objects.filter(Q(community__in=places) | Q(user__in=users)).delete()
    Slot.objects.filter(reward__in=rewards).delete()
    rewards.delete()
    HouseholdMember.objects.filter(Q(household__community__in=places) | Q(user__in=users)).delete()
    Household.objects.filter(community__in=places).delete()
    Tally.objects.filter(Q(community__in=places) | Q(user__in=users)).delete()
    entries = list(
        Entry.objects.filter(Q(community__in=places) | Q(user__in=users)).values_list("pk", flat=True)
    )
    Entry.objects.filter(pk__in=entries)._raw_delete(using)
    Account.objects.filter(user__in=users).delete()
    RuleSet.objects.filter(community__in=places)._raw_delete(using)
    return len(entries)
