"""A community with a team, its leader, members and an upcoming activity, on top of the `world`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from civicgrid.accounts.models import User
from civicgrid.accounts.services import user_create
from civicgrid.volunteers import services
from civicgrid.volunteers.models import Activity, Team, Volunteer
from conftest import PASSWORD, World

NOW = datetime(2026, 5, 10, 8, 0, tzinfo=timezone.get_fixed_timezone(480))


@dataclass
class Vw:
    world: World
    team: Team
    leader: User
    leader_volunteer: Volunteer
    members: list[Volunteer]
    activity: Activity


def make_user(username: str, name: str, phone: str) -> User:
    return user_create(username=username, password=PASSWORD, display_name=name, phone=phone)


def make_volunteer(world: World, username: str, name: str, phone: str, community=None) -> Volunteer:
    user = make_user(username, name, phone)
    return services.volunteer_register(user=user, community=community or world.village_a1, real_name=name)


def make_activity(vw_or_team, actor, *, starts_at=None, hours=2, capacity=5, **extra) -> Activity:
    team = vw_or_team
    starts_at = starts_at or NOW + timedelta(days=2)
    values = dict(
        title="清扫河道",
        service_field="environment",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=hours),
        place_name="甲一村村委会门口",
        lon=120.705,
        lat=31.605,
        capacity=capacity,
        cancel_cutoff_hours=24,
    )
    values.update(extra)
    return services.activity_create(actor=actor, team=team, **values)


@pytest.fixture
def vw(world) -> Vw:
    team = services.team_create(
        actor=world.village_cadre,
        community=world.village_a1,
        name="巾帼志愿服务队",
        service_field="community",
    )
    leader_volunteer = make_volunteer(world, "leader", "陈队长", "13900000001")
    services.team_member_add(actor=world.village_cadre, team=team, volunteer=leader_volunteer, role="leader")
    members = []
    for i in range(1, 5):
        v = make_volunteer(world, f"vol{i}", f"志愿者{i}", f"1390000001{i}")
        services.team_member_add(actor=world.village_cadre, team=team, volunteer=v)
        members.append(v)
    activity = make_activity(team, leader_volunteer.user, capacity=2)
    return Vw(world, team, leader_volunteer.user, leader_volunteer, members, activity)
