"""Every write to people, roles, agencies and tokens leaves one audit entry; a refused one none."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from civicgrid.accounts.models import Agency, ApiToken, RoleAssignment, User
from civicgrid.accounts.services import (
    agency_create,
    agency_update,
    api_token_create,
    api_token_revoke,
    role_assign,
    role_change,
    role_end,
    user_create,
)
from civicgrid.core.errors import ApplicationError, PermissionDenied
from civicgrid.core.tests.audit_helpers import only, recorded
from conftest import PASSWORD


def test_creating_an_account_records_it_without_the_password_and_with_the_phone_masked(world):
    with recorded() as entries:
        user = user_create(
            username="newcadre",
            password=PASSWORD,
            display_name="新村干",
            phone="13912345678",
            actor=world.superuser,
        )
    entry = only(entries)
    assert (entry.actor, entry.action, entry.target_id, entry.target_text) == (
        world.superuser,
        "user.create",
        str(user.pk),
        "新村干",
    )
    assert entry.changes["username"] == {"to": "newcadre"}
    assert entry.changes["phone"] == {"to": "139****5678"}
    assert user.password not in str(entry.changes) and "password" not in entry.changes


def test_a_refused_account_leaves_no_entry(world):
    with recorded() as entries, pytest.raises(ApplicationError):
        user_create(username="operator", password=PASSWORD, actor=world.superuser)
    assert entries == []


def test_assigning_a_role_records_it_under_its_place(world):
    with recorded() as entries:
        ra = role_assign(
            user=world.resident, role="grid_leader", place=world.grid_a1b, actor=world.city_admin
        )
    entry = only(entries)
    assert (entry.actor, entry.action, entry.target_type, entry.target_id) == (
        world.city_admin,
        "role.assign",
        "accounts.roleassignment",
        str(ra.pk),
    )
    assert entry.place_code == "329981001001002"
    assert entry.changes["role"] == {"to": "grid_leader"}
    assert entry.changes["place"] == {"to": str(world.grid_a1b)}


def test_an_agency_role_is_filed_under_the_region_the_agency_serves(world):
    with recorded() as entries:
        role_assign(user=world.resident, role="agency_staff", agency=world.agency, actor=world.superuser)
    assert only(entries).place_code == "329981"


def test_assigning_a_role_already_held_records_nothing(world):
    with recorded() as entries:
        role_assign(user=world.grid_worker, role="grid_worker", place=world.grid_a1a, actor=world.city_admin)
    assert entries == []


def test_a_refused_role_leaves_no_entry(world):
    with recorded() as entries, pytest.raises(ApplicationError):
        role_assign(user=world.resident, role="grid_worker", place=world.village_a1, actor=world.city_admin)
    assert entries == []
    assert not RoleAssignment.objects.filter(user=world.resident, role="grid_worker").exists()


def test_ending_and_renewing_a_role_record_one_entry_each(world):
    ra = RoleAssignment.objects.get(user=world.grid_worker)
    with recorded() as ended:
        role_end(assignment=ra, actor=world.city_admin)
        role_end(assignment=ra, actor=world.city_admin)  # already ended: nothing more
    entry = only(ended)
    assert (entry.action, entry.place_code, entry.changes) == (
        "role.end",
        "329981001001001",
        {"is_active": {"from": True, "to": False}},
    )
    with recorded() as renewed:
        role_assign(user=world.grid_worker, role="grid_worker", place=world.grid_a1a, actor=world.city_admin)
    assert (only(renewed).action, only(renewed).changes) == (
        "role.assign",
        {"is_active": {"from": False, "to": True}},
    )


def test_changing_a_role_records_the_scope_before_and_after(world):
    ra = RoleAssignment.objects.get(user=world.grid_worker)
    with recorded() as entries:
        role_change(assignment=ra, role="grid_leader", place=world.grid_a1b, actor=world.city_admin)
    entry = only(entries)
    assert entry.action == "role.change"
    assert entry.place_code == "329981001001002"
    assert entry.changes == {
        "role": {"from": "grid_worker", "to": "grid_leader"},
        "place": {"from": str(world.grid_a1a), "to": str(world.grid_a1b)},
    }
    ra.refresh_from_db()
    assert (ra.role, ra.place) == ("grid_leader", world.grid_a1b)


def test_a_refused_role_change_leaves_no_entry_and_no_change(world):
    ra = RoleAssignment.objects.get(user=world.grid_worker)
    with recorded() as entries, pytest.raises(ApplicationError):
        role_change(assignment=ra, role="town_operator", place=world.grid_a1b, actor=world.city_admin)
    assert entries == []
    ra.refresh_from_db()
    assert (ra.role, ra.place) == ("grid_worker", world.grid_a1a)


def test_agencies_record_their_creation_and_changes(world):
    with recorded() as created:
        agency = agency_create(code="power", name="供电公司", region=world.district, actor=world.superuser)
    assert (only(created).action, only(created).place_code) == ("agency.create", "329981")
    with recorded() as changed:
        agency_update(
            agency=agency,
            name="供电公司",
            region=world.district,
            kind="state_enterprise",
            phone="96598",
            actor=world.superuser,
        )
    entry = only(changed)
    assert entry.action == "agency.update"
    assert entry.changes == {
        "kind": {"from": "government", "to": "state_enterprise"},
        "phone": {"from": "", "to": "96598"},
    }
    with recorded() as unchanged:
        agency_update(
            agency=agency,
            name="供电公司",
            region=world.district,
            kind="state_enterprise",
            phone="96598",
            actor=world.superuser,
        )
    assert unchanged == []


def test_a_refused_agency_change_leaves_no_entry(world):
    with recorded() as entries, pytest.raises(ApplicationError):
        agency_update(
            agency=world.agency, name=" ", region=world.district, kind="government", actor=world.superuser
        )
    assert entries == []


def test_a_token_is_recorded_by_name_and_prefix_never_by_secret_or_hash(world):
    with recorded() as entries:
        token, plain = api_token_create(
            user=world.town_operator, name="12345 bridge", actor=world.town_operator
        )
    entry = only(entries)
    assert (entry.actor, entry.action, entry.target_id, entry.place_code) == (
        world.town_operator,
        "token.create",
        str(token.pk),
        "329981001",
    )
    assert entry.changes == {"name": {"to": "12345 bridge"}, "user": {"to": str(world.town_operator)}}
    assert entry.target_text == f"12345 bridge (cg_{token.prefix}_…)"
    text = str(entry.changes) + entry.target_text
    assert plain.split("_", 2)[2] not in text and token.token_hash not in text


def test_a_refused_token_leaves_no_entry(world):
    with recorded() as entries, pytest.raises(PermissionDenied):
        api_token_create(user=world.resident, name="mine", actor=world.resident)
    assert entries == []


def test_revoking_a_token_records_once_and_a_refusal_records_nothing(world):
    token, _plain = api_token_create(user=world.town_operator, name="bridge", actor=world.town_operator)
    with recorded() as refused, pytest.raises(PermissionDenied):
        api_token_revoke(user=world.grid_worker, token=token)
    assert refused == []
    with recorded() as entries:
        api_token_revoke(user=world.town_operator, token=token)
        api_token_revoke(user=world.town_operator, token=token)  # already revoked: nothing more
    entry = only(entries)
    assert (entry.actor, entry.action, entry.place_code) == (world.town_operator, "token.revoke", "329981001")
    assert entry.changes["revoked_at"]["from"] is None and entry.changes["revoked_at"]["to"]


def test_the_tokens_page_records_its_creations_and_revocations_from_the_web(world, login):
    client = login(world.grid_worker)
    with recorded() as created:
        client.post("/accounts/tokens/", {"action": "create", "name": "phone app"})
    entry = only(created)
    assert (entry.actor, entry.action, entry.source) == (world.grid_worker, "token.create", "web")
    token = ApiToken.objects.get(user=world.grid_worker)
    with recorded() as revoked:
        client.post("/accounts/tokens/", {"action": "revoke", "token": token.pk})
    assert (only(revoked).actor, only(revoked).action) == (world.grid_worker, "token.revoke")


def test_the_token_command_is_recorded_as_the_system(world):
    with recorded() as entries:
        call_command("create_api_token", "operator", "12345 bridge", stdout=StringIO())
    entry = only(entries)
    assert (entry.actor, entry.action, entry.source) == (None, "token.create", "command")


# --- The admin site -------------------------------------------------------------------------------


def test_adding_a_role_in_the_admin_goes_through_the_service_and_records_once(world, login):
    client = login(world.superuser)
    with recorded() as entries:
        response = client.post(
            "/admin/accounts/roleassignment/add/",
            {"user": world.resident.pk, "role": "grid_leader", "place": world.grid_a1b.pk, "is_active": "on"},
        )
    assert response.status_code == 302
    entry = only(entries)
    assert (entry.actor, entry.action, entry.source, entry.place_code) == (
        world.superuser,
        "role.assign",
        "admin",
        "329981001001002",
    )


def test_the_admin_refuses_a_role_with_the_wrong_scope_and_records_nothing(world, login):
    client = login(world.superuser)
    with recorded() as entries:
        response = client.post(
            "/admin/accounts/roleassignment/add/",
            {"user": world.resident.pk, "role": "grid_leader", "place": world.town_a.pk, "is_active": "on"},
        )
    assert response.status_code == 200
    assert "needs a place of level" in response.content.decode()
    assert entries == []


def test_changing_and_ending_a_role_in_the_admin_record_one_entry_each(world, login):
    client = login(world.superuser)
    ra = RoleAssignment.objects.get(user=world.grid_worker)
    url = f"/admin/accounts/roleassignment/{ra.pk}/change/"
    with recorded() as changed:
        client.post(url, {"role": "grid_worker", "place": world.grid_a1b.pk, "is_active": "on"})
    assert (only(changed).action, only(changed).changes) == (
        "role.change",
        {"place": {"from": str(world.grid_a1a), "to": str(world.grid_a1b)}},
    )
    with recorded() as ended:
        client.post(url, {"role": "grid_worker", "place": world.grid_a1b.pk})
    assert (only(ended).action, only(ended).actor) == ("role.end", world.superuser)
    with recorded() as unchanged:
        client.post(url, {"role": "grid_worker", "place": world.grid_a1b.pk})
    assert unchanged == []


def test_deleting_roles_in_the_admin_records_each_one(world, login):
    client = login(world.superuser)
    roles = list(RoleAssignment.objects.filter(user__in=[world.grid_worker, world.village_cadre]))
    with recorded() as entries:
        client.post(
            "/admin/accounts/roleassignment/",
            {"action": "delete_selected", "_selected_action": [r.pk for r in roles], "post": "yes"},
        )
    assert sorted((e.action, e.target_id) for e in entries) == sorted(
        ("role.delete", str(r.pk)) for r in roles
    )
    assert not RoleAssignment.objects.filter(pk__in=[r.pk for r in roles]).exists()


def test_agencies_added_and_changed_in_the_admin_go_through_the_services(world, login):
    client = login(world.superuser)
    data = {
        "code": "power",
        "name": "供电公司",
        "name_en": "",
        "kind": "state_enterprise",
        "region": world.district.pk,
        "phone": "",
        "is_active": "on",
    }
    with recorded() as created:
        assert client.post("/admin/accounts/agency/add/", data).status_code == 302
    agency = Agency.objects.get(code="power")
    assert (only(created).action, only(created).target_id, only(created).source) == (
        "agency.create",
        str(agency.pk),
        "admin",
    )
    with recorded() as changed:
        client.post(
            f"/admin/accounts/agency/{agency.pk}/change/", {**data, "code": "renamed", "is_active": ""}
        )
    assert (only(changed).action, only(changed).changes) == (
        "agency.update",
        {"is_active": {"from": True, "to": False}},
    )
    agency.refresh_from_db()
    assert (agency.code, agency.is_active) == ("power", False)


def user_form(user: User, **changes) -> dict:
    data = {
        "username": user.username,
        "first_name": "",
        "last_name": "",
        "email": "",
        "is_active": "on",
        "display_name": user.display_name,
        "phone": user.phone or "",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "roles-TOTAL_FORMS": "0",
        "roles-INITIAL_FORMS": str(user.roles.count()),
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_accounts_added_changed_and_given_a_password_in_the_admin_are_recorded(world, login):
    client = login(world.superuser)
    with recorded() as created:
        response = client.post(
            "/admin/accounts/user/add/",
            {
                "username": "clerk",
                "usable_password": "true",
                "password1": "Clerk-Pass-2026",
                "password2": "Clerk-Pass-2026",
                "roles-TOTAL_FORMS": "0",
                "roles-INITIAL_FORMS": "0",
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    clerk = User.objects.get(username="clerk")
    entry = only(created)
    assert (entry.action, entry.target_id, entry.changes["username"]) == (
        "user.create",
        str(clerk.pk),
        {"to": "clerk"},
    )
    assert "password" not in entry.changes and clerk.password not in str(entry.changes)

    with recorded() as changed:
        response = client.post(
            f"/admin/accounts/user/{world.resident.pk}/change/",
            user_form(world.resident, display_name="王居民二", phone="13900000001"),
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = only(changed)
    assert entry.action == "user.update"
    assert entry.changes == {
        "display_name": {"from": "王居民", "to": "王居民二"},
        "phone": {"from": "138****0001", "to": "139****0001"},
    }
    assert entry.place_code == "329981001001"

    with recorded() as password:
        response = client.post(
            f"/admin/accounts/user/{world.resident.pk}/password/",
            {"usable_password": "true", "password1": "New-Pass-2026!", "password2": "New-Pass-2026!"},
        )
    assert response.status_code == 302
    entry = only(password)
    assert (entry.action, entry.actor, entry.changes) == ("user.password", world.superuser, {})
    world.resident.refresh_from_db()
    assert world.resident.password not in str(entry.__dict__)


def test_the_admin_revokes_tokens_through_the_service(world, login):
    token, _plain = api_token_create(user=world.town_operator, name="bridge", actor=world.town_operator)
    client = login(world.superuser)
    page = client.get(f"/admin/accounts/apitoken/{token.pk}/change/")
    assert token.token_hash not in page.content.decode()
    with recorded() as entries:
        client.post("/admin/accounts/apitoken/", {"action": "revoke", "_selected_action": [token.pk]})
    assert (only(entries).action, only(entries).actor) == ("token.revoke", world.superuser)
    token.refresh_from_db()
    assert token.revoked_at is not None
