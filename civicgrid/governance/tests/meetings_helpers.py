"""What the meetings tests share: a world with a meeting of village A1, cases waiting at the village,
and a forum topic (made directly: the forum's services are another part's)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from civicgrid.accounts.services import role_assign, user_create
from civicgrid.cases.models import Case, Category
from civicgrid.cases.tests.conftest import PATHS, report, walk
from civicgrid.governance import services_meetings as services
from civicgrid.governance.models import ForumTopic, Meeting
from conftest import PASSWORD


def village_case(
    world, *, lon: float = 120.705, lat: float = 31.605, description: str = "路灯坏了一个月"
) -> Case:
    """A case of grid A1a (or wherever the point is) escalated to its village."""
    case = report(world, Category.objects.get(code="C0201"), lon=lon, lat=lat, description=description)
    return walk(world, case, PATHS["village"])


def topic(
    world, *, title: str = "村口停车难", grid=None, support: int = 12, state=ForumTopic.State.OPEN
) -> ForumTopic:
    grid = grid or world.grid_a1a
    return ForumTopic.objects.create(
        grid=grid,
        village=grid.parent,
        town=grid.parent.parent,
        author=world.resident,
        title=title,
        state=state,
        support_count=support,
    )


def meeting(world, *, place=None, days: int = 0, title: str = "逢五说事") -> Meeting:
    """A one-off meeting `days` from now (negative: in the past), by the village cadre."""
    place = place or world.village_a1
    return services.meeting_create(
        actor=world.village_cadre,
        place=place,
        title=title,
        starts_at=timezone.now() + timedelta(days=days),
        venue="村委会二楼会议室",
    )


def meetings_world(gw):
    """The governance world with a meeting of village A1 (held an hour ago, not recorded yet), a
    representative of the village with an account, and a cadre of village B1."""
    world = gw
    world.meeting = meeting(world, days=0)
    world.representative = user_create(
        username="rep", password=PASSWORD, display_name="孙代表", phone="13800000020"
    )
    role_assign(user=world.representative, role="resident", place=world.village_a1)
    world.cadre_b = user_create(
        username="cadreb", password=PASSWORD, display_name="周乙村干", phone="13800000021"
    )
    role_assign(user=world.cadre_b, role="village_cadre", place=world.village_b1)
    return world
