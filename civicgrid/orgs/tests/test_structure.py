"""Structure targets: each region held against each target, met or short; who may set them."""

from __future__ import annotations

import pytest
from django.utils import timezone

from civicgrid.core.audit import AuditEntry
from civicgrid.core.errors import ApplicationError, PermissionDenied
from civicgrid.orgs import services, structure
from civicgrid.orgs.models import Organisation, StructureTarget
from civicgrid.places.services import place_create


def rows(report, name):
    target = next(t for t in report if t.name == name)
    return {r.place_code: (r.count, r.met, r.short) for r in target.regions}


def test_each_region_is_met_or_short(net):
    root = net.world.superuser
    structure.structure_set(
        actor=net.city_cadre,
        name="每区两个龙头企业妇联",
        kind="enterprise_fed",
        leading_only=True,
        level="district",
        required=2,
    )
    structure.structure_set(
        actor=net.city_cadre, name="每镇一个妇女之家", kind="womens_home", level="town", required=1
    )
    # Haitang has one leading enterprise federation (in the fixture); add a second one and a plain one.
    services.org_create(
        actor=root,
        parent=net.district_fed,
        name="乙街道龙头企业妇联",
        kind="enterprise_fed",
        region=net.world.town_b,
        leading=True,
    )
    services.org_create(
        actor=root,
        parent=net.district_fed,
        name="普通企业妇联",
        kind="enterprise_fed",
        region=net.world.town_b,
    )
    services.org_create(
        actor=root,
        parent=net.village_a1_fed,
        name="甲一村妇女之家",
        kind="womens_home",
        region=net.world.village_a1,
    )
    # A dissolved home does not count.
    gone = services.org_create(
        actor=root, parent=net.town_b_fed, name="已撤销之家", kind="womens_home", region=net.world.village_b1
    )
    services.org_update(
        actor=root,
        org=gone,
        status=Organisation.Status.DISSOLVED,
        dissolved_on=timezone.localdate(),
    )

    report = structure.structure_report(net.city_cadre)
    assert rows(report, "每区两个龙头企业妇联") == {"329981": (2, True, 0), "329982": (0, False, 2)}
    assert rows(report, "每镇一个妇女之家") == {
        "329981001": (1, True, 0),
        "329981002": (0, False, 1),
        "329982001": (0, False, 1),
    }
    target = next(t for t in report if t.name == "每镇一个妇女之家")
    assert (target.met, target.short) == (1, 2)

    # The district's cadre sees its own towns only; the other district's cadre its own.
    mine = structure.structure_report(net.cadre)
    assert rows(mine, "每镇一个妇女之家").keys() == {"329981001", "329981002"}
    assert rows(mine, "每区两个龙头企业妇联").keys() == {"329981"}
    assert rows(structure.structure_report(net.other_cadre), "每镇一个妇女之家").keys() == {"329982001"}
    # Town staff see their town, and no district.
    staff = structure.structure_report(net.world.town_operator)
    assert rows(staff, "每镇一个妇女之家").keys() == {"329981001"}
    assert rows(staff, "每区两个龙头企业妇联") == {}


def test_one_group_by_per_target(net, django_assert_max_num_queries):
    for n in range(3):
        structure.structure_set(
            actor=net.city_cadre, name=f"目标{n}", kind="town_fed", level="town", required=1
        )
    place_create(code="329981003", name="丙镇", name_en="Town C", level="town", parent=net.world.district)
    structure.structure_report(net.city_cadre)
    with django_assert_max_num_queries(2 + 3 + 1):
        structure.structure_report(net.city_cadre)


def test_setting_a_target_again_changes_it_and_is_audited(net):
    first = structure.structure_set(
        actor=net.world.superuser, name="每镇三支指导员队伍", kind="instructor_team", level="town", required=3
    )
    again = structure.structure_set(
        actor=net.city_cadre,
        name="每镇三支指导员队伍",
        kind="instructor_team",
        level="town",
        required=2,
        is_active=False,
    )
    assert first.pk == again.pk and StructureTarget.objects.count() == 1
    assert again.required == 2 and not again.is_active
    assert structure.structure_report(net.city_cadre) == []
    assert AuditEntry.objects.filter(action="orgs.structure_target_set").count() == 2


def test_only_the_city_federation_sets_targets(net):
    for actor in (net.cadre, net.other_cadre, net.world.city_admin):
        with pytest.raises(PermissionDenied):
            structure.structure_set(actor=actor, name="x", kind="town_fed", level="town", required=1)
    with pytest.raises(PermissionDenied):
        structure.structure_report(net.world.resident)
    assert not StructureTarget.objects.exists()


def test_bad_input_is_refused_field_by_field(net):
    with pytest.raises(ApplicationError) as err:
        structure.structure_set(
            actor=net.city_cadre, name="", kind="nope", level="village", required=0, leading_only=True
        )
    assert set(err.value.extra["fields"]) == {"name", "kind", "level", "required", "leading_only"}
    with pytest.raises(ApplicationError) as err:
        structure.structure_set(
            actor=net.city_cadre, name="x", kind="town_fed", level="town", required=1, leading_only=True
        )
    assert set(err.value.extra["fields"]) == {"leading_only"}
    assert not StructureTarget.objects.exists()
