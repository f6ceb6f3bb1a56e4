"""Helpers for the points tests: rules, announcements and a funded person."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from civicgrid.points import services
from civicgrid.points.models import Reward, RuleSet
from civicgrid.volunteers.signals import HoursAnnouncement

RULE_START = date(2026, 1, 1)


@pytest.fixture
def rules(world) -> RuleSet:
    """Village A1's first version: 10 points an hour of elderly care, 6 of anything else, 5 per activity."""
    return services.rules_create(
        actor=world.village_cadre,
        community=world.village_a1,
        valid_from=RULE_START,
        hourly={"elderly": 10},
        hourly_default=6,
        per_activity=5,
        report_resident=3,
        report_mobile=8,
    )


def hours(
    world,
    *,
    record_id: int,
    minutes: int,
    day: date | None = None,
    kind: str = "attendance",
    user=None,
    activity_id: int | None = 501,
    team_id: int | None = 7,
    field: str = "elderly",
    corrects_id: int | None = None,
) -> HoursAnnouncement:
    user = user or world.resident
    return HoursAnnouncement(
        record_id=record_id,
        kind=kind,
        user_id=user.pk,
        volunteer_id=user.pk,
        activity_id=activity_id,
        team_id=team_id,
        community_id=world.village_a1.pk,
        service_field=field,
        minutes=minutes,
        day=day or date(2026, 3, 10),
        approved_at=timezone.now(),
        approved_by_id=world.village_cadre.pk,
        corrects_id=corrects_id,
    )


def fund(world, user, points: int, *, key: str) -> None:
    """Give `user` points through an approved manual award (requested by the cadre, approved by the operator)."""
    award = services.award_request(
        actor=world.village_cadre,
        community=world.village_a1,
        user=user,
        kind="award",
        points=points,
        reason=key,
    )
    services.award_decide(actor=world.town_operator, award=award, approve=True)


def goods(world, *, stock: int = 3, cost: int = 10, name: str = "大米 5kg") -> Reward:
    return services.reward_create(
        actor=world.village_cadre, community=world.village_a1, kind="goods", name=name, cost=cost, stock=stock
    )


def service(world, *, cost: int = 20, capacity: int = 2, provider=None):
    reward = services.reward_create(
        actor=world.village_cadre,
        community=world.village_a1,
        kind="service",
        name="家政服务 2 小时",
        cost=cost,
        providers=[provider] if provider else [],
    )
    slot = services.slot_add(
        actor=world.village_cadre,
        reward=reward,
        starts_at=timezone.now() + timedelta(days=2),
        capacity=capacity,
    )
    return reward, slot
