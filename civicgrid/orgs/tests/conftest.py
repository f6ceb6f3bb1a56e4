"""A small federation network on top of the `world`, with a second district and its federation.

city federation (test city)                              ← city_cadre: chair
├── district federation (Haitang, 329981)                ← cadre: vice-chair
│   ├── town federation (Town A)
│   │   └── village federation (Village A1)
│   ├── town federation (Street B)
│   └── enterprise federation (leading, Town A)
└── district federation (Other District, 329982)        ← other_cadre: executive member
    └── town federation (Other Town)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from civicgrid.accounts.models import User
from civicgrid.accounts.services import role_assign, user_create
from civicgrid.orgs import services
from civicgrid.orgs.models import Organisation, Person
from civicgrid.places.models import Place
from civicgrid.places.services import place_create
from conftest import PASSWORD, World, ensure_seed_data

FOUNDED = date(2025, 3, 8)


@dataclass
class Net:
    world: World
    other_district: Place
    other_town: Place
    city_fed: Organisation
    district_fed: Organisation
    town_a_fed: Organisation
    village_a1_fed: Organisation
    town_b_fed: Organisation
    enterprise_fed: Organisation
    other_fed: Organisation
    other_town_fed: Organisation
    city_cadre: User
    cadre: User
    other_cadre: User
    cadre_person: Person

    def refresh(self) -> None:
        for name in (
            "city_fed",
            "district_fed",
            "town_a_fed",
            "village_a1_fed",
            "town_b_fed",
            "enterprise_fed",
            "other_fed",
            "other_town_fed",
        ):
            getattr(self, name).refresh_from_db()


def make_cadre(
    username: str, name: str, phone: str, org: Organisation, role: str, root: User
) -> tuple[User, Person]:
    user = user_create(username=username, password=PASSWORD, display_name=name, phone=phone)
    role_assign(user=user, role="federation_cadre")
    person = services.person_create(actor=root, organisation=org, name=name, phone=phone)
    services.person_link_user(actor=root, person=person, user=user)
    services.position_appoint(actor=root, person=person, organisation=org, role=role, term_start=FOUNDED)
    return user, person


@pytest.fixture
def net(world) -> Net:
    return build_net(world)


def build_net(world) -> Net:
    """The network of the module docstring, on top of `world` (the e2e tests build it too)."""
    ensure_seed_data()  # a transactional test before may have flushed the "6个1" template
    root = world.superuser
    other_district = place_create(
        code="329982", name="另区", name_en="Other District", level="district", parent=world.city
    )
    other_town = place_create(
        code="329982001", name="另镇", name_en="Other Town", level="town", parent=other_district
    )

    def org(parent, name, kind, region, **extra):
        return services.org_create(
            actor=root, parent=parent, name=name, kind=kind, region=region, founded_on=FOUNDED, **extra
        )

    city_fed = org(None, "测试市妇联", "city_fed", world.city)
    district_fed = org(city_fed, "海棠市妇联", "district_fed", world.district)
    town_a_fed = org(district_fed, "甲镇妇联", "town_fed", world.town_a)
    village_a1_fed = org(town_a_fed, "甲一村妇联", "village_fed", world.village_a1)
    town_b_fed = org(district_fed, "乙街道妇联", "town_fed", world.town_b)
    enterprise_fed = org(district_fed, "海棠科技妇联", "enterprise_fed", world.town_a, leading=True)
    other_fed = org(city_fed, "另区妇联", "district_fed", other_district)
    other_town_fed = org(other_fed, "另镇妇联", "town_fed", other_town)
    city_cadre, _p = make_cadre("cityfed", "钱主席", "13900000001", city_fed, "chair", root)
    cadre, cadre_person = make_cadre("fed", "林副主席", "13900000002", district_fed, "vice_chair", root)
    other_cadre, _p = make_cadre("otherfed", "陈执委", "13900000003", other_fed, "executive", root)
    result = Net(
        world=world,
        other_district=other_district,
        other_town=other_town,
        city_fed=city_fed,
        district_fed=district_fed,
        town_a_fed=town_a_fed,
        village_a1_fed=village_a1_fed,
        town_b_fed=town_b_fed,
        enterprise_fed=enterprise_fed,
        other_fed=other_fed,
        other_town_fed=other_town_fed,
        city_cadre=city_cadre,
        cadre=cadre,
        other_cadre=other_cadre,
        cadre_person=cadre_person,
    )
    result.refresh()
    return result
