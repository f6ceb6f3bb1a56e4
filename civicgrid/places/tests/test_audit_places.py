"""Every write to places and boundaries leaves one audit entry in its transaction; a refused one none."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from civicgrid.core.errors import ApplicationError
from civicgrid.core.models import AuditEntry
from civicgrid.core.tests.audit_helpers import only, recorded
from civicgrid.places import services
from civicgrid.places.importer import apply_plan, check_places
from civicgrid.places.models import Place
from civicgrid.places.services import boundary_set, place_create, place_update
from civicgrid.places.tests.test_import import collection, feature, new_town_file, write
from civicgrid.places.tests.test_import_page import post
from conftest import square


def test_creating_a_place_records_who_made_it_and_what_it_is(world):
    with recorded() as entries:
        village = place_create(
            code="329981002002",
            name="乙二社区",
            level="village",
            kind="community",
            parent=world.town_b,
            actor=world.city_admin,
        )
    entry = only(entries)
    assert (entry.actor, entry.action, entry.target_type, entry.target_id) == (
        world.city_admin,
        "place.create",
        "places.place",
        str(village.pk),
    )
    assert entry.place_code == "329981002002"
    assert entry.changes == {
        "code": {"to": "329981002002"},
        "name": {"to": "乙二社区"},
        "name_en": {"to": ""},
        "level": {"to": "village"},
        "kind": {"to": "community"},
        "parent": {"to": "乙街道 (329981002)"},
    }


def test_a_refused_place_leaves_no_entry(world):
    with recorded() as entries, pytest.raises(ApplicationError):
        place_create(
            code="329981002001", name="重复", level="village", parent=world.town_b, actor=world.city_admin
        )
    assert entries == []


def test_renaming_records_the_names_before_and_after(world):
    with recorded() as entries:
        place_update(place=world.town_a, name="甲镇新名", name_en="Town A", actor=world.city_admin)
    entry = only(entries)
    assert (entry.action, entry.place_code) == ("place.update", "329981001")
    assert entry.changes == {"name": {"from": "甲镇", "to": "甲镇新名"}}


def test_a_rename_to_the_same_name_changes_nothing_and_records_nothing(world):
    with recorded() as entries:
        place_update(place=world.town_a, name="甲镇", name_en="Town A", actor=world.city_admin)
    assert entries == []


def test_a_refused_rename_leaves_no_entry(world):
    with recorded() as entries, pytest.raises(ApplicationError):
        place_update(place=world.town_a, name="  ", actor=world.city_admin)
    assert entries == []


def test_redrawing_a_boundary_records_the_area_before_and_after(world):
    old = world.grid_a1a.boundaries.get(valid_to__isnull=True)
    with recorded() as entries:
        new = boundary_set(
            place=world.grid_a1a, geometry=square(120.70, 31.60, 0.02), source="survey", actor=world.superuser
        )
    entry = only(entries)
    assert (entry.actor, entry.action, entry.target_id, entry.place_code) == (
        world.superuser,
        "boundary.set",
        str(world.grid_a1a.pk),
        "329981001001001",
    )
    assert entry.changes["boundary"] == {"from": old.pk, "to": new.pk}
    assert entry.changes["area_m2"] == {"from": round(old.area_m2), "to": round(new.area_m2)}
    assert entry.changes["source"] == {"from": None, "to": "survey"}
    assert "geometry" not in entry.changes


def test_a_refused_boundary_leaves_no_entry(world):
    with recorded() as entries, pytest.raises(ApplicationError):
        boundary_set(
            place=world.grid_a1a, geometry={"type": "Point", "coordinates": [1, 2]}, actor=world.superuser
        )
    assert entries == []


def test_an_import_records_one_entry_for_the_run_with_its_counts(world):
    plan = check_places(new_town_file(), user=world.city_admin)
    with recorded() as entries:
        apply_plan(plan, source="upload town.geojson")
    entry = only(entries)
    assert (entry.actor, entry.action, entry.source) == (world.city_admin, "places.import", "command")
    # The new town holds all four places: the entry is filed under it and points at it.
    town_c = Place.objects.get(code="329981003")
    assert (entry.place_code, entry.target_id, entry.target_text) == (
        "329981003",
        str(town_c.pk),
        str(town_c),
    )
    assert entry.changes == {
        "created": 4,
        "updated": 0,
        "redrawn": 0,
        "unchanged": 0,
        "file": "upload town.geojson",
    }


def test_an_import_within_one_village_is_filed_under_the_village(world):
    data = collection(
        feature("329981001001001", "甲一村第1网格（新）", "grid", "329981001001", square(120.70, 31.60)),
        feature("329981001001003", "甲一村第3网格", "grid", "329981001001", square(120.72, 31.60)),
    )
    with recorded() as entries:
        apply_plan(check_places(data), source="grids.geojson")
    entry = only(entries)
    assert (entry.actor, entry.place_code, entry.target_text) == (None, "329981001001", str(world.village_a1))
    assert (entry.changes["created"], entry.changes["updated"]) == (1, 1)


def test_an_import_that_fails_while_writing_leaves_no_entry_and_no_place(world, monkeypatch):
    def broken():
        raise RuntimeError("disk full")

    plan = check_places(new_town_file(), user=world.city_admin)
    monkeypatch.setattr(services, "bump_routing_revision", broken)
    with recorded() as entries, pytest.raises(RuntimeError):
        apply_plan(plan, source="upload town.geojson")
    assert entries == []
    assert not Place.objects.filter(code="329981003").exists()


def test_an_import_that_changes_nothing_records_nothing(world):
    data = collection(feature("329981001", "甲镇", "town", "329981", name_en="Town A"))
    with recorded() as entries:
        result = apply_plan(check_places(data), source="same.geojson")
    assert result.unchanged == 1
    assert entries == []


def test_the_import_page_records_the_administrator_from_the_web(world, login):
    with recorded() as entries:
        response = post(login(world.city_admin), new_town_file(), mode="commit")
    assert response.status_code == 200
    entry = only(entries)
    assert (entry.actor, entry.action, entry.source, entry.client) == (
        world.city_admin,
        "places.import",
        "web",
        "127.0.0.1",
    )


def test_the_import_command_records_the_user_it_imports_as(world, tmp_path):
    path = write(tmp_path, new_town_file())
    with recorded() as entries:
        call_command(
            "import_places", str(path), "--commit", "--user", "cityadmin", "--no-progress", stdout=StringIO()
        )
    entry = only(entries)
    assert (entry.actor, entry.source, entry.changes["created"]) == (world.city_admin, "command", 4)


def test_a_refused_import_command_records_nothing(world, tmp_path):
    path = write(tmp_path, new_town_file())
    with recorded() as entries, pytest.raises(CommandError):
        call_command(
            "import_places", str(path), "--commit", "--user", "operator", "--no-progress", stdout=StringIO()
        )
    assert entries == []


def test_renaming_in_the_admin_goes_through_the_service_and_records_once(world, login):
    client = login(world.superuser)
    with recorded() as entries:
        response = client.post(
            f"/admin/places/place/{world.town_a.pk}/change/", {"name": "甲镇（新）", "name_en": "Town A"}
        )
    assert response.status_code == 302
    entry = only(entries)
    assert (entry.actor, entry.action, entry.source) == (world.superuser, "place.update", "admin")
    assert entry.changes == {"name": {"from": "甲镇", "to": "甲镇（新）"}}
    assert AuditEntry.objects.filter(action="place.update").count() == 1
