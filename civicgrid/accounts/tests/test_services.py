from __future__ import annotations

import pytest
from django.test import RequestFactory, override_settings

from civicgrid.accounts.models import ApiToken, RoleAssignment, User
from civicgrid.accounts.services import (
    api_token_authenticate,
    api_token_create,
    api_token_revoke,
    login_failures,
    role_assign,
    user_create,
    user_sign_in,
)
from civicgrid.core.errors import ApplicationError, PermissionDenied
from conftest import PASSWORD


@pytest.fixture
def rf_request():
    return RequestFactory().post("/accounts/login/")


def test_it_signs_in_with_username_or_mobile_number(world, rf_request):
    assert user_sign_in(request=rf_request, login="operator", password=PASSWORD) == world.town_operator
    assert user_sign_in(request=rf_request, login="13800000004", password=PASSWORD) == world.town_operator
    assert user_sign_in(request=rf_request, login=" Operator ", password=PASSWORD) == world.town_operator


def test_it_gives_one_message_for_unknown_account_and_wrong_password(world, rf_request):
    with pytest.raises(ApplicationError) as wrong:
        user_sign_in(request=rf_request, login="operator", password="nope")
    with pytest.raises(ApplicationError) as unknown:
        user_sign_in(request=rf_request, login="nobody", password="nope")
    assert wrong.value.message == unknown.value.message
    assert wrong.value.code == "bad_credentials"


@override_settings(LOGIN_MAX_FAILURES=3)
def test_it_locks_an_account_after_repeated_failures_even_with_the_right_password(world, rf_request):
    for _ in range(3):
        with pytest.raises(ApplicationError):
            user_sign_in(request=rf_request, login="operator", password="wrong", client_ip="10.0.0.1")
    assert login_failures("operator") == 3
    with pytest.raises(ApplicationError) as locked:
        user_sign_in(request=rf_request, login="operator", password=PASSWORD, client_ip="10.0.0.2")
    assert locked.value.code == "locked"
    assert locked.value.status == 429
    # Another account is not locked by these failures.
    assert user_sign_in(request=rf_request, login="cadre", password=PASSWORD, client_ip="10.0.0.2")


@override_settings(LOGIN_MAX_FAILURES=2)
def test_it_locks_a_client_address_that_tries_many_accounts(world, rf_request):
    for name in ["a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8"]:
        with pytest.raises(ApplicationError):
            user_sign_in(request=rf_request, login=name, password="x", client_ip="10.9.9.9")
    with pytest.raises(ApplicationError) as locked:
        user_sign_in(request=rf_request, login="cadre", password=PASSWORD, client_ip="10.9.9.9")
    assert locked.value.code == "locked"


def test_it_clears_the_counter_after_a_good_sign_in(world, rf_request):
    with pytest.raises(ApplicationError):
        user_sign_in(request=rf_request, login="operator", password="wrong")
    user_sign_in(request=rf_request, login="operator", password=PASSWORD)
    assert login_failures("operator") == 0


def test_it_refuses_a_bad_or_taken_mobile_number_and_writes_nothing(world):
    before = User.objects.count()
    for phone, code in [("12345", "invalid_phone"), ("13800000001", "duplicate_phone")]:
        with pytest.raises(ApplicationError) as exc:
            user_create(username=f"new{phone}", password=PASSWORD, phone=phone)
        assert exc.value.code == code
    with pytest.raises(ApplicationError):
        user_create(username="OPERATOR", password=PASSWORD)
    assert User.objects.count() == before


def test_it_checks_the_scope_a_role_needs(world):
    with pytest.raises(ApplicationError) as exc:
        role_assign(user=world.resident, role="grid_worker", place=world.village_a1)
    assert exc.value.code == "invalid_scope"
    with pytest.raises(ApplicationError):
        role_assign(user=world.resident, role="agency_staff")
    with pytest.raises(ApplicationError):
        role_assign(user=world.resident, role="pope", place=world.city)
    again = role_assign(user=world.resident, role="resident", place=world.village_a1)
    assert RoleAssignment.objects.filter(user=world.resident).count() == 1
    assert again.place == world.village_a1


def test_it_stores_only_the_hash_of_an_api_token(world):
    token, plain = api_token_create(user=world.town_operator, name="12345 bridge")
    assert plain.startswith(f"cg_{token.prefix}_")
    assert plain.split("_", 2)[2] not in token.token_hash
    assert api_token_authenticate(plain) == world.town_operator
    assert api_token_authenticate(plain + "x") is None
    assert api_token_authenticate("cg_nope_nope") is None
    assert api_token_authenticate("garbage") is None


def test_it_stops_accepting_a_revoked_token_and_only_its_owner_may_revoke(world):
    token, plain = api_token_create(user=world.town_operator, name="bridge")
    with pytest.raises(PermissionDenied):
        api_token_revoke(user=world.grid_worker, token=token)
    api_token_revoke(user=world.town_operator, token=token)
    assert api_token_authenticate(plain) is None


def test_it_refuses_tokens_to_residents_and_nameless_tokens(world):
    with pytest.raises(PermissionDenied):
        api_token_create(user=world.resident, name="mine")
    with pytest.raises(ApplicationError):
        api_token_create(user=world.town_operator, name="  ")
    assert ApiToken.objects.count() == 0


def test_it_refuses_tokens_of_deactivated_users(world):
    _token, plain = api_token_create(user=world.town_operator, name="bridge")
    User.objects.filter(pk=world.town_operator.pk).update(is_active=False)
    assert api_token_authenticate(plain) is None
