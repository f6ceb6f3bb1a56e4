"""Keeping the register: add, correct, merge, retire, aliases, an operator's placement."""

from __future__ import annotations

import pytest

from civicgrid.addresses import services
from civicgrid.addresses.models import Address, AddressAlias
from civicgrid.addresses.tests.conftest import add
from civicgrid.core.errors import ApplicationError
from civicgrid.core.models import AuditEntry

INSIDE_A1A = (120.705, 31.605)
INSIDE_A1B = (120.715, 31.605)


def test_a_grid_worker_adds_an_address_with_a_point_and_aliases(world):
    address = services.address_add(
        user=world.grid_worker,
        grid=world.grid_a1a,
        road="解放路",
        number="88",
        lon=INSIDE_A1A[0],
        lat=INSIDE_A1A[1],
        aliases=["老邮局", "老邮局", ""],
    )
    assert address.grid_code == world.grid_a1a.code
    assert "解放路" in address.text and address.key
    assert (address.lon, address.lat) == pytest.approx(INSIDE_A1A)
    assert address.source == Address.Source.WORKER and address.created_by == world.grid_worker
    assert [a.text for a in address.aliases.all()] == ["老邮局"]
    entry = AuditEntry.objects.get(action="addresses.add")
    assert entry.place_code == world.grid_a1a.code and entry.actor == world.grid_worker


def test_a_point_outside_the_grid_is_refused_and_nothing_is_written(world):
    with pytest.raises(ApplicationError) as refused:
        services.address_add(
            user=world.grid_worker,
            grid=world.grid_a1a,
            road="解放路",
            number="88",
            lon=INSIDE_A1B[0],
            lat=INSIDE_A1B[1],
        )
    assert refused.value.code == "outside_grid"
    assert "lon" in refused.value.extra["fields"]
    assert "甲一村第2网格" in refused.value.extra["fields"]["lon"]
    assert not Address.objects.exists() and not AuditEntry.objects.filter(action="addresses.add").exists()


def test_half_a_point_and_a_missing_road_are_refused_with_field_errors(world):
    with pytest.raises(ApplicationError) as refused:
        services.address_add(user=world.grid_worker, grid=world.grid_a1a, road="解放路", lon=INSIDE_A1A[0])
    assert "lon" in refused.value.extra["fields"]
    with pytest.raises(ApplicationError) as refused:
        services.address_add(user=world.grid_worker, grid=world.grid_a1a, number="8")
    assert "road" in refused.value.extra["fields"]
    with pytest.raises(ApplicationError):
        services.address_add(user=world.grid_worker, grid=world.village_a1, road="解放路", number="8")
    assert not Address.objects.exists()


def test_a_duplicate_in_the_grid_is_refused_with_a_link_to_it(world):
    first = add(world.grid_a1a)
    with pytest.raises(ApplicationError) as refused:
        services.address_add(user=world.grid_worker, grid=world.grid_a1a, road="解放路", number="88")
    assert refused.value.code == "duplicate" and refused.value.status == 409
    assert refused.value.extra["address_id"] == first.pk
    assert refused.value.extra["url"] == f"/addresses/{first.pk}/"
    # The same address in another grid is another building.
    add(world.grid_a1b)
    assert Address.objects.count() == 2


def test_an_address_written_as_an_alias_of_another_is_a_duplicate(world):
    first = add(world.grid_a1a, road="解放路", number="88", aliases=["人民路1号"])
    with pytest.raises(ApplicationError) as refused:
        services.address_add(user=None, grid=world.grid_a1a, road="人民路", number="1")
    assert refused.value.extra["address_id"] == first.pk


def test_a_correction_keeps_the_old_text_as_a_former_name(world):
    address = add(world.grid_a1a, road="解放路", number="88")
    old_text = address.text
    services.address_update(
        user=world.grid_worker,
        address=address,
        road="解放路",
        number="86",
        lon=INSIDE_A1A[0],
        lat=INSIDE_A1A[1],
    )
    address.refresh_from_db()
    assert address.number == "86" and address.text != old_text
    assert address.lon is not None
    former = address.aliases.get()
    assert (former.text, former.kind) == (old_text, AddressAlias.Kind.FORMER)
    entry = AuditEntry.objects.get(action="addresses.update")
    assert "number" in entry.changes


def test_a_correction_that_changes_nothing_records_nothing(world):
    address = add(world.grid_a1a)
    services.address_update(user=world.grid_worker, address=address, road="解放路", number="88")
    assert not address.aliases.exists()
    assert not AuditEntry.objects.filter(action="addresses.update").exists()


def test_a_correction_into_another_address_of_the_grid_is_refused(world):
    add(world.grid_a1a, number="1")
    second = add(world.grid_a1a, number="2")
    with pytest.raises(ApplicationError) as refused:
        services.address_update(user=world.grid_worker, address=second, road="解放路", number="1")
    assert refused.value.code == "duplicate"
    second.refresh_from_db()
    assert second.number == "2" and not second.aliases.exists()


def test_a_merge_moves_the_aliases_and_keeps_the_duplicate_on_record(world):
    survivor = add(world.grid_a1a, road="解放路", number="88", aliases=["老邮局"])
    duplicate = add(world.grid_a1a, road="", number="", compound="邮电小区", aliases=["老邮局", "邮电大楼"])
    older = add(world.grid_a1a, road="", number="", compound="邮电宿舍")
    services.address_merge(user=world.village_cadre, duplicate=older, survivor=duplicate)

    services.address_merge(user=world.grid_worker, duplicate=duplicate, survivor=survivor)

    duplicate.refresh_from_db()
    older.refresh_from_db()
    assert duplicate.status == Address.Status.MERGED and duplicate.merged_into == survivor
    # What was merged into the duplicate now points to the survivor, one step.
    assert older.merged_into == survivor
    texts = sorted(survivor.aliases.values_list("text", flat=True))
    assert texts == sorted(["老邮局", "邮电大楼", duplicate.text, older.text])
    # The alias the survivor already had stays with the duplicate; nothing is deleted.
    assert list(duplicate.aliases.values_list("text", flat=True)) == ["老邮局"]
    assert Address.objects.count() == 3
    assert AuditEntry.objects.filter(action="addresses.merge").count() == 2


def test_a_merge_is_refused_into_itself_out_of_scope_or_when_merged(world):
    survivor = add(world.grid_a1a, number="1")
    other = add(world.grid_a1b, number="2")
    with pytest.raises(ApplicationError):
        services.address_merge(user=world.grid_worker, duplicate=survivor, survivor=survivor)
    with pytest.raises(ApplicationError) as refused:
        services.address_merge(user=world.grid_worker, duplicate=other, survivor=survivor)
    assert refused.value.status == 403
    services.address_merge(user=world.village_cadre, duplicate=other, survivor=survivor)
    with pytest.raises(ApplicationError) as refused:
        services.address_merge(user=world.village_cadre, duplicate=other, survivor=survivor)
    assert refused.value.code == "not_active"


def test_a_retired_address_stays_and_can_no_longer_be_changed(world):
    address = add(world.grid_a1a)
    services.address_retire(user=world.grid_worker, address=address)
    address.refresh_from_db()
    assert address.status == Address.Status.RETIRED
    with pytest.raises(ApplicationError):
        services.address_update(user=world.grid_worker, address=address, road="解放路", number="90")
    # Its number is free again for a new building.
    add(world.grid_a1a)


def test_aliases_are_added_and_removed_and_never_twice(world):
    address = add(world.grid_a1a)
    other = add(world.grid_a1a, number="90")
    alias = services.alias_add(user=world.grid_worker, address=address, text="老邮局")
    with pytest.raises(ApplicationError) as refused:
        services.alias_add(user=world.grid_worker, address=address, text="老邮局")
    assert refused.value.code == "alias_exists"
    with pytest.raises(ApplicationError) as refused:
        services.alias_add(user=world.grid_worker, address=other, text="老邮局")
    assert refused.value.code == "duplicate" and refused.value.extra["address_id"] == address.pk
    with pytest.raises(ApplicationError):
        services.alias_add(user=world.grid_worker, address=address, text="   ")
    services.alias_remove(user=world.grid_worker, alias=alias)
    assert not address.aliases.exists()
    assert AuditEntry.objects.filter(action__startswith="addresses.alias_").count() == 2


def test_a_picked_placement_becomes_an_alias_once(world):
    address = add(world.grid_a1a)
    alias = services.placement_remember(text="解放路邮局对面", user=world.town_operator, address=address)
    assert alias is not None and alias.kind == AddressAlias.Kind.PLACED and alias.address == address
    again = services.placement_remember(text="解放路邮局对面", user=world.town_operator, address=address)
    assert again == alias and address.aliases.count() == 1
    assert services.placement_remember(text="  ", user=world.town_operator, address=address) is None


def test_a_placement_on_a_merged_address_goes_to_the_survivor(world):
    survivor = add(world.grid_a1a, number="1")
    duplicate = add(world.grid_a1a, number="2")
    services.address_merge(user=world.grid_worker, duplicate=duplicate, survivor=survivor)
    alias = services.placement_remember(text="一号楼那边", user=world.town_operator, address=duplicate)
    assert alias.address == survivor


def test_a_placement_on_the_map_adds_an_address_at_the_point(world):
    alias = services.placement_remember(
        text="海棠路12号", user=world.town_operator, grid=world.grid_a1a, lon=INSIDE_A1A[0], lat=INSIDE_A1A[1]
    )
    address = alias.address
    assert address.grid == world.grid_a1a and address.source == Address.Source.PLACEMENT
    assert (address.lon, address.lat) == pytest.approx(INSIDE_A1A)
    again = services.placement_remember(
        text="海棠路12号", user=world.town_operator, grid=world.grid_a1a, lon=INSIDE_A1A[0], lat=INSIDE_A1A[1]
    )
    assert again == alias and Address.objects.count() == 1


def test_a_placement_outside_the_grid_or_the_operators_town_is_refused(world):
    with pytest.raises(ApplicationError):
        services.placement_remember(
            text="海棠路12号",
            user=world.town_operator,
            grid=world.grid_a1a,
            lon=INSIDE_A1B[0],
            lat=INSIDE_A1B[1],
        )
    with pytest.raises(ApplicationError) as refused:
        services.placement_remember(
            text="海棠路12号", user=world.town_operator, grid=world.grid_b1a, lon=120.805, lat=31.605
        )
    assert refused.value.status == 403
    assert not Address.objects.exists()


def test_a_later_placement_of_the_same_text_moves_the_alias(world):
    first = add(world.grid_a1a, number="1")
    second = add(world.grid_a1a, number="2")
    services.placement_remember(text="菜场旁边", user=world.town_operator, address=first)
    alias = services.placement_remember(text="菜场旁边", user=world.town_operator, address=second)
    assert alias.address == second
    assert AddressAlias.objects.filter(kind=AddressAlias.Kind.PLACED).count() == 1


def test_a_correction_into_another_grid_moves_the_alias_there_and_the_next_order_follows(world):
    from civicgrid.addresses import matching

    wrong = add(world.grid_a1a, number="1")
    right = add(world.grid_a1b, number="2")
    services.placement_remember(text="菜场旁边的修车铺", user=world.town_operator, address=wrong)
    alias = services.placement_remember(text="菜场旁边的修车铺", user=world.town_operator, address=right)
    assert alias.address == right and alias.grid_code == world.grid_a1b.code
    assert list(AddressAlias.objects.filter(kind=AddressAlias.Kind.PLACED)) == [alias]
    found = matching.match("菜场旁边的修车铺", within=world.town_a)
    assert found.grid_id == world.grid_a1b.pk and found.confident
    entry = AuditEntry.objects.filter(action="addresses.placement").latest("pk")
    assert entry.changes["moved_from"] == {"from": [wrong.pk]}


def test_a_placement_kept_in_a_grid_the_operator_does_not_keep_stays(world):
    theirs = add(world.grid_b1a, number="1")
    mine = add(world.grid_a1a, number="2")
    services.placement_remember(text="菜场旁边的修车铺", user=world.superuser, address=theirs)
    services.placement_remember(text="菜场旁边的修车铺", user=world.town_operator, address=mine)
    kept = AddressAlias.objects.filter(kind=AddressAlias.Kind.PLACED).order_by("pk")
    assert [a.address for a in kept] == [theirs, mine]
