"""The audit log itself: append-only, written only inside a transaction, never holding a secret."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import resolve
from django.utils import timezone

from civicgrid.core import audit
from civicgrid.core.middleware import RequestContextMiddleware
from civicgrid.core.models import AuditEntry
from civicgrid.core.tests.audit_helpers import only, recorded
from civicgrid.places.services import place_update


@pytest.fixture
def entry(world) -> AuditEntry:
    return AuditEntry.objects.filter(action="place.create").first()


def test_it_refuses_to_update_or_delete_entries_through_a_queryset(entry):
    with pytest.raises(TypeError):
        AuditEntry.objects.filter(pk=entry.pk).update(action="place.update")
    with pytest.raises(TypeError):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(TypeError):
        AuditEntry.objects.all().delete()
    entry.refresh_from_db()
    assert entry.action == "place.create"


def test_it_refuses_to_save_an_existing_entry_again_or_delete_it(entry):
    entry.target_text = "rewritten"
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()
    with pytest.raises(TypeError), transaction.atomic():
        AuditEntry.objects.bulk_update([entry], ["target_text"])
    assert AuditEntry.objects.get(pk=entry.pk).target_text != "rewritten"


@pytest.mark.django_db(transaction=True)
def test_it_refuses_to_record_outside_a_transaction(world):
    with pytest.raises(RuntimeError):
        audit.record(actor=None, action="place.update", target=world.town_a)
    with transaction.atomic():
        audit.record(actor=None, action="place.update", target=world.town_a)
    assert AuditEntry.objects.filter(action="place.update").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_write_and_its_entry_roll_back_together(world):
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        place_update(place=world.town_a, name="改名镇", actor=world.superuser)
        assert AuditEntry.objects.filter(action="place.update").count() == 1
        raise ZeroDivisionError
    world.town_a.refresh_from_db()
    assert world.town_a.name == "甲镇"
    assert not AuditEntry.objects.filter(action="place.update").exists()


def test_it_refuses_an_action_no_app_declared(world):
    with pytest.raises(ValueError):
        audit.record(actor=None, action="place.explode", target=world.town_a)


def test_it_never_keeps_a_password_secret_or_hash(world):
    with recorded() as entries:
        audit.record(
            actor=world.superuser,
            action="user.update",
            target=world.resident,
            changes={
                "password": {"from": "pbkdf2$a", "to": "pbkdf2$b"},
                "token_hash": "abc",
                "secret": "s",
                "display_name": {"from": "a", "to": "b"},
            },
        )
    assert only(entries).changes == {"display_name": {"from": "a", "to": "b"}}


def test_it_names_the_actor_as_written_and_keeps_it_after_a_rename(world):
    with recorded() as entries:
        audit.record(actor=world.city_admin, action="place.update", target=world.town_a)
    world.city_admin.display_name = "新名字"
    world.city_admin.save()
    entry = only(entries)
    entry.refresh_from_db()
    assert entry.actor == world.city_admin
    assert entry.actor_text == "孙管理 (cityadmin)"
    assert (entry.target_type, entry.target_id, entry.target_text) == (
        "places.place",
        str(world.town_a.pk),
        "甲镇 (329981001)",
    )


def test_a_command_is_recorded_as_the_system_from_no_address(world):
    with recorded() as entries:
        place_update(place=world.town_a, name="改名镇")
    entry = only(entries)
    assert (entry.actor, entry.actor_text, entry.source, entry.client, entry.request_id) == (
        None,
        "",
        "command",
        "",
        "",
    )


def test_a_request_gives_its_door_address_and_id(world, login):
    client = login(world.superuser)
    with recorded() as entries:
        response = client.post(
            f"/admin/places/place/{world.town_a.pk}/change/",
            {"name": "改名镇", "name_en": "Town A"},
            headers={"X-Request-ID": "req-42"},
            REMOTE_ADDR="10.1.2.3",
        )
    assert response.status_code == 302
    assert response.headers["X-Request-ID"] == "req-42"
    entry = only(entries)
    assert (entry.source, entry.client, entry.request_id) == ("admin", "10.1.2.3", "req-42")


def test_a_web_request_gets_an_id_of_its_own_when_none_or_a_bad_one_is_offered(world, client):
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz", headers={"X-Request-ID": "bad id; drop table"}).headers["X-Request-ID"]
    assert len(first) == 32 and first != second and " " not in second


def test_the_enclosing_code_is_the_nearest_region_holding_every_place():
    district = ["329981", "329900"]
    town_a = ["329981001", "329981", "329900"]
    grid = ["329981002001001", "329981002001", "329981002", "329981", "329900"]
    assert audit.enclosing_code([town_a, grid]) == "329981"
    assert audit.enclosing_code([grid]) == "329981002001001"
    assert audit.enclosing_code([district, ["329982", "329900"]]) == "329900"
    assert audit.enclosing_code([district, ["110101", "110000"]]) == ""
    assert audit.enclosing_code([]) == ""


def test_a_cursor_finds_its_entry_again_to_the_microsecond(world):
    entry = AuditEntry.objects.first()
    assert audit.parse_cursor(audit.ORDER.cursor_of(entry)) == (entry.at, entry.pk)
    for bad in [
        "",
        "x",
        "a.12",
        "a.12.",
        "a.-3",
        "a.1.2.3",
        "a." + "9" * 30 + ".1",
        "a.999999999999999999.1",
        "12-3",
    ]:
        assert audit.parse_cursor(bad) is None, bad


def test_the_place_code_range_matches_exactly_the_codes_that_start_with_the_prefix(world):
    codes = ["329981", "329981001", "3299810", "329982", "32998", "329980999", "3299819", ""]
    start = timezone.now() - timedelta(days=1)
    with transaction.atomic():
        for code in codes:
            audit.record(actor=None, action="place.update", target=world.town_a, place_code=code)
    qs = AuditEntry.objects.filter(at__gte=start, action="place.update")
    for prefix in ["329981", "3299", "32998", "99", "329989"]:
        found = set(qs.filter(audit._code_range(prefix)).values_list("place_code", flat=True))
        assert found == {c for c in codes if c and c.startswith(prefix)}, prefix


@pytest.mark.parametrize(
    ("path", "door"),
    [("/api/v1/places/tree", "api"), ("/admin/", "admin"), ("/places/", "web"), ("/audit/", "web")],
)
def test_each_door_is_named_by_the_url_it_answers(rf, path, door):
    request = rf.get(path)
    request.resolver_match = resolve(path)
    middleware = RequestContextMiddleware(lambda r: None)
    with audit.request_context(audit.RequestInfo(request_id="r", client="")) as info:
        middleware.process_view(request, request.resolver_match.func, (), {})
    assert info.source == door
