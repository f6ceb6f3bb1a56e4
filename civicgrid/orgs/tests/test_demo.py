"""The demo network: what it promises, the `federation` login's journey, and a clean delete."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from civicgrid.accounts.services import role_assign, user_create
from civicgrid.orgs import access, demo
from civicgrid.orgs.models import (
    CoverageLink,
    Evidence,
    Organisation,
    Person,
    Position,
    StructureTarget,
    Target,
    Task,
)
from civicgrid.places.models import Place
from conftest import PASSWORD


@pytest.fixture
def seeded(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    federation = user_create(
        username="federation", password=PASSWORD, display_name="郑秀英", phone="13700000001"
    )
    role_assign(user=federation, role="federation_cadre")
    started = time.monotonic()
    counts = demo.seed(
        city=world.city,
        pilot_district=world.district,
        people={"admin": world.superuser, "federation": federation},
    )
    return world, federation, counts, time.monotonic() - started


def test_the_demo_network_has_what_it_promises(seeded):
    world, _federation, counts, elapsed = seeded
    assert elapsed < 20
    districts = Place.objects.filter(parent=world.city, level="district")
    assert districts.count() == 6
    assert Organisation.objects.filter(kind="district_fed").count() == 6
    assert set(Organisation.objects.filter(kind="district_fed").values_list("region__level", flat=True)) == {
        "district"
    }
    assert Organisation.objects.filter(kind="city_fed").count() == 1
    assert Organisation.objects.filter(kind="village_fed").count() == 2  # the small world's two villages
    assert Organisation.objects.filter(kind="social_fed").count() == 7
    assert (
        Organisation.objects.filter(kind="enterprise_fed", leading=True, district=world.district).count() == 2
    )
    assert (
        Organisation.objects.filter(kind="enterprise_fed", leading=True)
        .exclude(district=world.district)
        .count()
        == 1
    )
    assert Organisation.objects.filter(name="中山路商圈妇联", kind="business_fed").exists()
    assert Organisation.objects.filter(kind="micro_home").exists()
    assert Organisation.objects.filter(kind="womens_home").count() == 2

    # About 300 social organisations as targets, all covered; the industry federation's 40+ members;
    # gaps elsewhere.
    social = Target.objects.filter(category="social_org", is_active=True)
    assert social.count() >= 300
    assert not social.filter(covered_org=False).exists()
    internet = Organisation.objects.get(kind="industry_fed")
    members = Target.objects.filter(links__organisation=internet, links__kind="org").distinct()
    assert members.count() >= 39
    enterprises = Target.objects.filter(category="enterprise", is_active=True)
    assert enterprises.filter(covered_org=False).exists() and enterprises.filter(covered_org=True).exists()
    # A closed target, an ended link and a target covered twice are on display.
    assert Target.objects.filter(is_active=False).exists()
    assert CoverageLink.objects.filter(valid_to__isnull=False).exists()
    twice = Target.objects.get(name__endswith="巾帼家政服务社")
    assert twice.links.filter(kind="org").count() == 2 and twice.covered_org

    # A cross-appointment: the industry federation's chair also sits on a community federation.
    goose = Person.objects.get(name="林晓燕")
    assert set(goose.positions.values_list("organisation__kind", "role")) == {
        ("industry_fed", "chair"),
        ("village_fed", "executive"),
    }
    # Checklists in every state, some overdue; structure targets.
    statuses = set(Task.objects.values_list("status", flat=True))
    assert statuses == {"open", "done", "verified"}
    assert Task.objects.filter(status="open", due_on__lt=time.strftime("%Y-%m-%d")).exists()
    assert Evidence.objects.filter(task__status="verified").exists()
    assert set(StructureTarget.objects.values_list("name", flat=True)) >= {
        "两个龙头企业妇联",
        "三支组建指导员队伍",
    }
    assert counts["districts_added"] == 5 and counts["targets"] == Target.objects.count()


def test_the_federation_login_manages_the_pilot_districts_subtree(seeded):
    world, federation, _counts, _elapsed = seeded
    access.forget(federation)
    pilot = Organisation.objects.get(kind="district_fed", region=world.district)
    other = Organisation.objects.filter(kind="district_fed").exclude(pk=pilot.pk).first()
    assert Position.objects.filter(person__user=federation, organisation=pilot, role="vice_chair").exists()
    assert [o.pk for o in access.offices(federation)] == [pilot.pk]
    below = Organisation.objects.get_descendants(pilot)
    assert below.count() > 20  # towns, villages, the "three new" federations, homes, teams
    assert all(access.can_manage(federation, org) for org in below)
    assert not access.can_manage(federation, other)
    assert not access.can_manage(federation, Organisation.objects.get(kind="city_fed"))
    # Its coverage region is the pilot district's; its checklist work is waiting there.
    assert [p.code for p in access.coverage_places(federation)] == [world.district.code]
    assert Task.objects.filter(organisation__path__startswith=pilot.path, done_by=federation).exists()


def test_delete_leaves_nothing(seeded):
    world, _federation, _counts, _elapsed = seeded
    assert demo.delete() > 0
    for model in (Organisation, Target, CoverageLink, Task, Evidence, Position, Person, StructureTarget):
        assert not model.objects.exists(), model
    assert Place.objects.filter(parent=world.city, level="district").count() == 1
    assert demo.delete() == 0


def test_the_federation_logins_journey_through_the_pages(seeded, login):
    world, federation, _counts, _elapsed = seeded
    client = login(federation)
    pilot = Organisation.objects.get(kind="district_fed", region=world.district)
    internet = Organisation.objects.get(kind="industry_fed")
    other = Organisation.objects.filter(kind="district_fed").exclude(pk=pilot.pk).first()
    tree = client.get(reverse("orgs:tree"))
    assert tree.status_code == 200 and pilot.name in tree.content.decode()
    page = client.get(reverse("orgs:detail", args=[internet.pk])).content.decode()
    assert "林晓燕" in page
    checklist = client.get(reverse("orgs:checklist", args=[internet.pk]))
    assert checklist.status_code == 200
    dashboard = client.get(reverse("orgs:coverage"))
    assert dashboard.status_code == 200
    assert client.get(reverse("orgs:checklists")).status_code == 200
    assert client.get(reverse("orgs:structure")).status_code == 200
    # Another district's federation is not hers to change.
    assert client.get(reverse("orgs:edit", args=[other.pk])).status_code in (403, 404)
