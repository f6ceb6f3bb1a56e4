"""Address → grid (civicgrid/addresses/matching.py) on a small register in the shared test region.

Town A (甲镇) has grids A1a and A1b; town B (乙街道) grid B1a. 人民路 runs through A1a (1–20) and A1b
(21–40); 幸福家园 lies in A1a; 阳光花园 exists in A1b and, under the same name, in B1a.
"""

from __future__ import annotations

import pytest
from django.conf import settings

from civicgrid.addresses import matching
from civicgrid.addresses.models import Address, AddressAlias
from civicgrid.addresses.normalize import address_fields, text_key


def add(grid, **parts) -> Address:
    return Address.objects.create(
        grid=grid, grid_code=grid.code, lon=120.705, lat=31.605, **parts, **address_fields(**parts)
    )


@pytest.fixture
def register(world):
    for n in range(1, 41, 2):
        add(world.grid_a1a if n <= 20 else world.grid_a1b, road="人民路", number=str(n))
    for b in range(1, 7):
        for u in (1, 2):
            add(world.grid_a1a, compound="幸福家园", building=str(b), unit=str(u))
            add(world.grid_a1b, compound="阳光花园", building=str(b), unit=str(u))
            add(world.grid_b1a, compound="阳光花园", building=str(b), unit=str(u))
    add(world.grid_a1b, road="建设路", number="5")
    add(world.grid_b1a, road="建设路", number="7")
    add(world.grid_a1a, compound="甲一村", building="3组", number="15")
    matching.register_changed()
    return world


def routed(result, grid) -> bool:
    return result is not None and result.confident and result.grid_id == grid.pk


def test_it_matches_the_exact_key(register):
    result = matching.match("人民路5号", within=register.town_a)
    assert routed(result, register.grid_a1a)
    assert result.method == "exact" and result.confidence == 1.0
    assert Address.objects.get(pk=result.address_id).number == "5"
    assert (result.lon, result.lat) == (120.705, 31.605)


def test_it_matches_variants_of_the_register_text(register):
    for text in (
        "浙江省琴湖市甲镇人民路五号附近",
        "人民路２５号",
        "甲一村三组十五号",
        "幸福家园2栋1单元301室",
    ):
        result = matching.match(text, within=register.district)
        assert result is not None and result.confident, text
    assert matching.match("人民路２５号", within=register.district).grid_id == register.grid_a1b.pk


def test_it_matches_an_alias(register):
    address = Address.objects.get(compound_key="幸福家园", building_key="4", unit="1")
    AddressAlias.objects.create(
        address=address,
        grid_code=address.grid_code,
        text="纺织厂宿舍4幢1单元",
        key=text_key("纺织厂宿舍4幢1单元"),
    )
    matching.register_changed()
    result = matching.match("纺织厂宿舍四栋一单元", within=register.town_a)
    assert routed(result, register.grid_a1a)
    assert result.method == "alias" and result.address_id == address.pk
    # Written without the unit, the former name still names one grid.
    assert routed(matching.match("纺织厂宿舍4幢", within=register.town_a), register.grid_a1a)


def test_it_matches_by_parts_when_the_whole_key_differs(register):
    result = matching.match("幸福家园5号楼", within=register.town_a)  # no unit: not a key on record
    assert routed(result, register.grid_a1a) and result.method == "parts"
    # A compound alone: all its addresses lie in one grid, so the grid is certain.
    alone = matching.match("幸福家园门口", within=register.town_a)
    assert routed(alone, register.grid_a1a) and alone.address_id is None


def test_a_number_not_on_record_routes_between_its_neighbours(register):
    assert routed(matching.match("人民路8号", within=register.town_a), register.grid_a1a)  # 7 and 9 in A1a
    # 20 lies between 19 (A1a) and 21 (A1b): the grid is not settled.
    edge = matching.match("人民路20号", within=register.town_a)
    assert edge is not None and not edge.confident


def test_a_road_alone_across_grids_is_not_confident(register):
    result = matching.match("人民路附近", within=register.town_a)
    assert result is not None and not result.confident
    assert result.confidence < settings.ADDRESS_ROUTE_CONFIDENCE


def test_it_corrects_a_misspelt_name(register):
    result = matching.match("人名路5号", within=register.town_a)
    assert routed(result, register.grid_a1a) and result.method == "similar"
    compound = matching.match("幸福家圆3幢2单元", within=register.town_a)
    assert routed(compound, register.grid_a1a) and compound.method == "similar"


def test_ambiguity_across_grids_is_not_confident(register):
    # 阳光花园 is in A1b and in B1a: in the district the grid is a coin toss.
    result = matching.match("阳光花园3幢1单元", within=register.district)
    assert result is not None and not result.confident
    assert result.confidence < settings.ADDRESS_ROUTE_CONFIDENCE
    assert not matching.match("建设路附近", within=register.district).confident


def test_the_region_scopes_the_match(register):
    assert routed(matching.match("阳光花园3幢1单元", within=register.town_a), register.grid_a1b)
    assert routed(matching.match("阳光花园3幢1单元", within=register.town_b), register.grid_b1a)
    assert matching.match("幸福家园3幢1单元", within=register.town_b) is None
    # The town written in front narrows a district-wide search.
    assert routed(matching.match("乙街道阳光花园3幢1单元", within=register.district), register.grid_b1a)


def test_merged_and_retired_addresses_never_match(register):
    old = add(register.grid_a1b, road="解放路", number="9")
    survivor = add(register.grid_a1a, road="解放路", number="11")
    AddressAlias.objects.create(
        address=old, grid_code=old.grid_code, text="解放路9号", key=text_key("解放路9号")
    )
    Address.objects.filter(pk=old.pk).update(status=Address.Status.MERGED, merged_into=survivor)
    gone = add(register.grid_a1b, road="解放路", number="99")
    Address.objects.filter(pk=gone.pk).update(status=Address.Status.RETIRED)
    matching.register_changed()
    result = matching.match("解放路9号", within=register.town_a)
    assert routed(result, register.grid_a1a) and result.address_id == survivor.pk
    retired = matching.match("解放路99号", within=register.town_a)
    assert retired is None or retired.address_id != gone.pk


def test_a_text_naming_nothing_gives_none(register):
    assert matching.match("鹤鸣路999号", within=register.district) is None
    assert matching.match("", within=register.district) is None
    assert matching.match("附近", within=register.district) is None


def test_match_exact_finds_only_the_whole_key(register):
    assert routed(matching.match_exact("人民路5号", within=register.town_a), register.grid_a1a)
    assert matching.match_exact("幸福家园5号楼", within=register.town_a) is None


def test_candidates_offer_the_best_addresses(register):
    assert matching.candidates("", within=register.district) == []
    found = matching.candidates("人名路6号", within=register.town_a, limit=4)
    assert 1 <= len(found) <= 4
    assert all(Address.objects.get(pk=m.address_id).road == "人民路" for m in found)
    near = sorted(int(Address.objects.get(pk=m.address_id).number) for m in found)
    assert near[0] in (3, 5, 7)
    compound = matching.candidates("阳光花园", within=register.district, limit=20)
    assert {m.grid_id for m in compound} == {register.grid_a1b.pk, register.grid_b1a.pk}
    assert not any(m.confident for m in compound)


def test_a_new_address_is_found_by_its_name_after_the_register_changes(register):
    assert matching.match("和平路3号", within=register.town_a) is None
    add(register.grid_a1b, road="和平路", number="1")
    matching.register_changed()
    assert routed(matching.match("和平路3号", within=register.town_a), register.grid_a1b)


def test_every_lookup_is_a_bounded_indexed_query(register, django_assert_max_num_queries):
    matching.vocabulary(register.district.scope_prefix)
    with django_assert_max_num_queries(8):
        matching.match("人名路8号幸福家园3幢", within=register.district)
