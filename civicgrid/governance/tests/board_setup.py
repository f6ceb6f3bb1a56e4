"""What the task board's tests share: more personas on top of `world`, a JPEG, and a matter driven
through the services to any state (never by writing its columns)."""

from __future__ import annotations

import io
from datetime import timedelta

from django.utils import timezone
from PIL import Image

from civicgrid.accounts.services import agency_create, role_assign, user_create
from civicgrid.governance import services_board
from civicgrid.governance.models import Matter
from conftest import PASSWORD

# The order a matter goes through on its way to each state.
PATH = {
    "draft": [],
    "open": ["publish"],
    "claimed": ["publish", "claim"],
    "completed": ["publish", "claim", "progress", "complete"],
    "verified": ["publish", "claim", "progress", "complete", "verify"],
    "withdrawn": ["publish", "withdraw"],
}


def jpeg(color=(200, 80, 40), size=(64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "JPEG")
    return buffer.getvalue()


def board_world(world):
    """The world with a second agency and its staff, a town B operator, a grid leader, a resident of
    village B1 (`gw` adds the last two)."""
    world.agency_b = agency_create(code="power", name="供电公司", name_en="Power", region=world.district)
    world.agency_b_staff = user_create(
        username="agencyb", password=PASSWORD, display_name="郑供电", phone="13800000021"
    )
    role_assign(user=world.agency_b_staff, role="agency_staff", agency=world.agency_b)
    world.town_b_operator = user_create(
        username="operatorb", password=PASSWORD, display_name="褚乙镇", phone="13800000022"
    )
    role_assign(user=world.town_b_operator, role="town_operator", place=world.town_b)
    return world


def draft(world, *, actor=None, region=None, title="修缮甲一村东门公厕无障碍设施", **values) -> Matter:
    return services_board.matter_create(
        actor=actor or world.town_operator,
        title=title,
        need=values.pop("need", "公厕缺少无障碍扶手和坡道，需改造。"),
        budget=values.pop("budget", "30000"),
        region=region or world.grid_a1a,
        deadline=values.pop("deadline", timezone.localdate() + timedelta(days=30)),
        **values,
    )


def step(world, matter: Matter, action: str) -> Matter:
    """Take one step as the persona who normally does: its drafter publishes and withdraws, the water
    agency claims and reports, the village verifies."""
    if action in ("publish", "withdraw"):
        return services_board.matter_step(matter=matter, action=action, actor=matter.created_by, text="撤回")
    if action == "claim":
        return services_board.matter_claim(matter=matter, actor=world.agency_staff, plan="两周内完成改造。")
    if action in ("progress", "complete"):
        return services_board.matter_step(
            matter=matter, action=action, actor=world.agency_staff, text="扶手已安装。", photos=[jpeg()]
        )
    return services_board.matter_step(
        matter=matter, action=action, actor=world.village_cadre, text="已核查。"
    )


def matter_in(world, state: str, **values) -> Matter:
    matter = draft(world, **values)
    for action in PATH[state]:
        matter = step(world, matter, action)
    assert matter.state == state
    return matter
