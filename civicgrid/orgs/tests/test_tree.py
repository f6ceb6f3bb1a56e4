"""The tree: adding, moving subtrees (paths right, also under racing moves), and who may do it."""

from __future__ import annotations

import pytest

from civicgrid.core.errors import ApplicationError, PermissionDenied
from civicgrid.orgs import access, services
from civicgrid.orgs.models import Organisation


def paths_consistent() -> None:
    """Every node's path extends its parent's by one step, depth and numchild agree, no path repeats."""
    nodes = list(Organisation.objects.order_by("path"))
    by_path = {n.path: n for n in nodes}
    assert len(by_path) == len(nodes)
    for node in nodes:
        assert node.depth == len(node.path) // Organisation.steplen
        if node.depth > 1:
            assert node.path[: -Organisation.steplen] in by_path
        children = [n for n in nodes if n.path.startswith(node.path) and n.depth == node.depth + 1]
        assert node.numchild == len(children), node.name


def test_the_network_is_a_tree_with_regions(net):
    paths_consistent()
    assert Organisation.objects.get_parent(net.village_a1_fed).pk == net.town_a_fed.pk
    assert {o.name for o in Organisation.objects.get_descendants(net.district_fed)} == {
        "甲镇妇联",
        "甲一村妇联",
        "乙街道妇联",
        "海棠科技妇联",
    }
    assert net.enterprise_fed.town == net.world.town_a and net.enterprise_fed.district == net.world.district


def test_moving_a_subtree_moves_every_path(net):
    services.org_move(actor=net.city_cadre, org=net.town_a_fed, new_parent=net.city_fed)
    net.refresh()
    paths_consistent()
    assert net.village_a1_fed.path.startswith(net.town_a_fed.path)
    assert net.village_a1_fed.depth == 3
    assert Organisation.objects.get_parent(net.town_a_fed).pk == net.city_fed.pk
    services.org_move(actor=net.city_cadre, org=net.town_a_fed, new_parent=net.district_fed)
    net.refresh()
    paths_consistent()
    assert net.village_a1_fed.depth == 4


def test_a_move_into_its_own_branch_is_refused(net):
    with pytest.raises(ApplicationError) as err:
        services.org_move(actor=net.cadre, org=net.town_a_fed, new_parent=net.village_a1_fed)
    assert err.value.code == "move_into_self"
    paths_consistent()


def test_a_cadre_of_another_district_is_refused(net):
    assert not access.can_manage(net.other_cadre, net.town_a_fed)
    with pytest.raises(PermissionDenied):
        services.org_create(
            actor=net.other_cadre,
            parent=net.town_a_fed,
            name="x",
            kind="womens_home",
            region=net.world.village_a1,
        )
    with pytest.raises(PermissionDenied):
        services.org_move(actor=net.other_cadre, org=net.other_town_fed, new_parent=net.district_fed)
    assert not access.can_view(net.other_cadre, net.town_a_fed)
    assert net.town_a_fed not in access.visible_orgs(net.other_cadre)
    assert access.can_manage(net.city_cadre, net.town_a_fed)
    assert access.can_manage(net.cadre, net.village_a1_fed)
    assert not access.can_manage(net.cadre, net.city_fed)


def test_region_must_lie_within_the_parent(net):
    with pytest.raises(ApplicationError) as err:
        services.org_create(
            actor=net.cadre,
            parent=net.town_a_fed,
            name="乙一社区妇联",
            kind="village_fed",
            region=net.world.village_b1,
        )
    assert "region" in err.value.extra["fields"]


def test_a_new_organisation_gets_the_six_ones(net):
    org = services.org_create(
        actor=net.cadre,
        parent=net.town_a_fed,
        name="甲一村妇女之家",
        kind="womens_home",
        region=net.world.village_a1,
    )
    assert [t.item.title for t in org.tasks.order_by("item__position")][:2] == ["一次启动会", "一次调研"]
