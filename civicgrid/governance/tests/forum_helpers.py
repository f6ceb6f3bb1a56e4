"""What the grid forum's tests share: residents of a village, a planned meeting, a topic."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from civicgrid.accounts.services import role_assign, user_create
from civicgrid.governance import services_forum as services
from civicgrid.governance.models import ForumTopic, Meeting
from conftest import PASSWORD

# Phones never repeat within a test run (the test database starts empty for each test anyway).
_phones = itertools.count()


def residents(village, n: int, prefix: str = "neighbour") -> list:
    """`n` residents of `village` named 张0号, 张1号, … (phones 139…)."""
    people = []
    for i in range(n):
        user = user_create(
            username=f"{prefix}{i}",
            password=PASSWORD,
            display_name=f"张{i}号",
            phone=f"139{next(_phones):08d}",
        )
        role_assign(user=user, role="resident", place=village)
        people.append(user)
    return people


def meeting(place, *, days: float = 3, state: str = Meeting.State.PLANNED, title: str = "") -> Meeting:
    """A meeting of `place` (a village or a grid) starting in `days` days."""
    village = place if place.level == "village" else place.parent
    return Meeting.objects.create(
        place=place,
        village=village,
        town=village.parent,
        title=title or f"{place.name}说事会",
        starts_at=timezone.now() + timedelta(days=days),
        state=state,
    )


def topic(
    world, *, author=None, grid=None, title: str = "学校后面小路装路灯", body: str = "晚上太黑。"
) -> ForumTopic:
    return services.topic_create(
        actor=author or world.resident, grid=grid or world.grid_a1a, title=title, body=body
    )


@pytest.fixture
def low_threshold(settings):
    """Three supporters put a topic on the agenda."""
    settings.GOVERNANCE_FORUM_AGENDA_SUPPORT = 3
    return 3
