"""The pairings tests' world: `gw` plus a second village of town A (A2, with grid A2a), the power
company with its staff, and a few rows of the other parts (a meeting, a matter) made directly, since
their services belong to other parts. Import the fixture as `from ...helpers_pairings import pw_fixture`
and ask for `pw`."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from django.utils import timezone

from civicgrid.accounts.services import agency_create, role_assign, user_create
from civicgrid.governance.models import Decision, Matter, Meeting, Pairing
from civicgrid.governance.services_pairings import pairing_create
from civicgrid.places.services import boundary_set, place_create
from conftest import PASSWORD, square


def at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


@pytest.fixture(name="pw")
def pw_fixture(gw):
    world = gw
    world.village_a2 = place_create(
        code="329981001002", name="甲二村", name_en="Village A2", level="village", parent=world.town_a
    )
    world.grid_a2a = place_create(
        code="329981001002001", name="甲二村第1网格", level="grid", parent=world.village_a2
    )
    boundary_set(place=world.grid_a2a, geometry=square(120.72, 31.60))
    world.power = agency_create(
        code="power", name="供电公司", name_en="Power", region=world.district, kind="state_enterprise"
    )
    world.power_staff = user_create(
        username="power", password=PASSWORD, display_name="郑供电", phone="13800000028"
    )
    role_assign(user=world.power_staff, role="agency_staff", agency=world.power)
    world.party_member = user_create(
        username="partymember", password=PASSWORD, display_name="党员老韩", phone="13800000029"
    )
    role_assign(user=world.party_member, role="resident", place=world.grid_a1a)
    return world


def pair(world, *, village=None, agency=None, kind=Pairing.Kind.AGENCY, starts_on=date(2026, 1, 1), **kw):
    """A pairing recorded by town A's operator (the water bureau with village A1 by default)."""
    return pairing_create(
        actor=world.town_operator,
        kind=kind,
        village=village or world.village_a1,
        agency=agency if agency is not None or kind == Pairing.Kind.FINANCE else world.agency,
        starts_on=starts_on,
        **kw,
    )


def meeting(world, village, day: date, *, state=Meeting.State.HELD, town=None) -> Meeting:
    return Meeting.objects.create(
        place=village,
        village=village,
        town=town or world.town_a,
        title=f"{village.name} {day:%m-%d} 说事",
        starts_at=at(day, 19),
        state=state,
    )


def decision(world, held: Meeting, due_on: date, *, done_on: date | None = None, state=None) -> Decision:
    return Decision.objects.create(
        meeting=held,
        text="修路灯",
        due_on=due_on,
        state=state or (Decision.State.DONE if done_on else Decision.State.OPEN),
        done_at=at(done_on, 23) if done_on else None,
        village=held.village,
        town=held.town,
    )


def matter(world, *, village=None, state=Matter.State.OPEN, claimant=None, **times) -> Matter:
    """A matter of town A (of `village`, or town-wide), in `state`, with the times given (claimed_at...)."""
    return Matter.objects.create(
        title="村口路灯",
        need="修好路灯",
        region=village or world.town_a,
        publisher=world.town_a,
        village=village,
        town=world.town_a,
        deadline=date(2026, 12, 31),
        state=state,
        created_by=world.town_operator,
        claimant_agency=claimant,
        **times,
    )
