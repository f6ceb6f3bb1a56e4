"""The sign-in, sign-out and API-token pages."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from civicgrid.accounts.models import ApiToken
from civicgrid.accounts.services import api_token_authenticate, api_token_create
from conftest import PASSWORD

LOGIN = reverse("accounts:login")
LOGOUT = reverse("accounts:logout")
TOKENS = reverse("accounts:tokens")


def signed_in_as(client) -> int | None:
    value = client.session.get(SESSION_KEY)
    return int(value) if value is not None else None


# --- Sign in ---------------------------------------------------------------------------------------


def test_it_shows_the_sign_in_form(client, db):
    response = client.get(LOGIN)
    assert response.status_code == 200
    assert 'name="login"' in response.text
    assert 'autocomplete="current-password"' in response.text


def test_it_signs_in_with_the_account_name(client, world):
    response = client.post(LOGIN, {"login": "operator", "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("site:home")
    assert signed_in_as(client) == world.town_operator.pk


def test_it_signs_in_with_the_mobile_number(client, world):
    response = client.post(LOGIN, {"login": "13800000001", "password": PASSWORD})
    assert response.status_code == 302
    assert signed_in_as(client) == world.resident.pk


def test_it_refuses_a_wrong_password_with_one_message(client, world):
    response = client.post(LOGIN, {"login": "operator", "password": "wrong"})
    assert response.status_code == 200
    assert "The account name or password is wrong." in response.text
    assert signed_in_as(client) is None
    # An unknown account gets the very same message.
    unknown = client.post(LOGIN, {"login": "nobody", "password": "wrong"})
    assert "The account name or password is wrong." in unknown.text


def test_it_shows_field_errors_for_an_empty_form(client, db):
    response = client.post(LOGIN, {"login": "", "password": ""})
    assert response.status_code == 200
    assert response.text.count('class="errorlist"') == 2


def test_it_locks_the_account_after_repeated_failures(client, world):
    for _ in range(settings.LOGIN_MAX_FAILURES):
        client.post(LOGIN, {"login": "operator", "password": "wrong"})
    locked = client.post(LOGIN, {"login": "operator", "password": "wrong"})
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.text
    # While locked, even the right password is refused.
    right = client.post(LOGIN, {"login": "operator", "password": PASSWORD})
    assert right.status_code == 429
    assert "Too many failed sign-ins" in right.text
    assert signed_in_as(client) is None


def test_it_follows_a_safe_next(client, world):
    target = world.grid_a1a.get_absolute_url()
    form = client.get(LOGIN, {"next": target})
    assert f'name="next" value="{target}"' in form.text
    response = client.post(LOGIN, {"login": "gridworker", "password": PASSWORD, "next": target})
    assert response.status_code == 302
    assert response.url == target


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
def test_it_ignores_a_next_that_leaves_the_site(client, world, target):
    response = client.post(LOGIN, {"login": "gridworker", "password": PASSWORD, "next": target})
    assert response.status_code == 302
    assert response.url == reverse("site:home")


def test_it_sends_a_signed_in_person_on_from_the_sign_in_page(login, world):
    response = login(world.resident).get(LOGIN)
    assert response.status_code == 302


def test_it_signs_out_only_by_post(login, world):
    client = login(world.resident)
    assert client.get(LOGOUT).status_code == 405
    assert signed_in_as(client) == world.resident.pk
    response = client.post(LOGOUT, follow=True)
    assert response.redirect_chain[-1][0] == reverse("site:home")
    assert "You have signed out." in response.text
    assert signed_in_as(client) is None


def test_it_shows_the_signed_in_name_and_a_sign_out_button(login, world):
    response = login(world.town_operator).get(reverse("site:home"))
    assert "钱指挥" in response.text
    assert f'action="{LOGOUT}"' in response.text
    assert "Town command-centre operator" in response.text
    assert world.town_a.get_absolute_url() in response.text


@pytest.mark.parametrize(
    ("persona", "role_label"),
    [
        ("resident", "Resident"),
        ("grid_worker", "Grid worker"),
        ("village_cadre", "Village / community cadre"),
        ("city_admin", "District administrator"),
        ("agency_staff", "Agency staff"),
        ("outsider", "Grid worker"),
    ],
)
def test_it_shows_each_persona_their_roles_on_the_home_page(login, world, persona, role_label):
    response = login(getattr(world, persona)).get(reverse("site:home"))
    assert response.status_code == 200
    assert role_label in response.text
    assert str(getattr(world, persona)) in response.text


def test_it_offers_anonymous_visitors_a_sign_in_link(client, db):
    response = client.get(reverse("site:home"))
    assert f'href="{LOGIN}"' in response.text
    assert f'action="{LOGOUT}"' not in response.text


# --- API tokens ------------------------------------------------------------------------------------


def test_it_sends_anonymous_visitors_to_sign_in_from_tokens(client, db):
    response = client.get(TOKENS)
    assert response.status_code == 302
    assert response.url.startswith(LOGIN)


def test_it_refuses_tokens_to_a_resident_with_a_friendly_page(login, world):
    client = login(world.resident)
    response = client.get(TOKENS)
    assert response.status_code == 403
    assert "API tokens are for staff and integrations." in response.text
    assert "<nav" in response.text
    assert client.post(TOKENS, {"action": "create", "name": "x"}).status_code == 403
    assert not ApiToken.objects.exists()


def test_it_creates_a_token_and_shows_it_once(login, world):
    client = login(world.town_operator)
    empty = client.get(TOKENS)
    assert "No tokens yet" in empty.text
    response = client.post(TOKENS, {"action": "create", "name": "district dashboard"})
    assert response.status_code == 200
    match = re.search(r'id="new-token">(cg_[0-9a-f]+_[A-Za-z0-9_-]+)</code>', response.text)
    assert match, "the new token is not shown"
    plain = match.group(1)
    assert api_token_authenticate(plain) == world.town_operator
    token = ApiToken.objects.get(user=world.town_operator)
    assert token.name == "district dashboard"
    assert plain not in token.token_hash
    again = client.get(TOKENS)
    assert plain not in again.text
    assert f"cg_{token.prefix}_…" in again.text


def test_it_asks_for_a_token_name(login, world):
    response = login(world.town_operator).post(TOKENS, {"action": "create", "name": "  "})
    assert response.status_code == 200
    assert 'class="errorlist"' in response.text
    assert not ApiToken.objects.exists()


def test_it_revokes_a_token(login, world):
    token, plain = api_token_create(user=world.grid_worker, name="phone app")
    client = login(world.grid_worker)
    response = client.post(TOKENS, {"action": "revoke", "token": token.pk}, follow=True)
    assert response.status_code == 200
    assert "is revoked" in response.text
    assert "Revoked" in response.text
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert api_token_authenticate(plain) is None


def test_it_does_not_let_the_outsider_revoke_someone_elses_token(login, world):
    token, _plain = api_token_create(user=world.town_operator, name="operator console")
    response = login(world.outsider).post(TOKENS, {"action": "revoke", "token": token.pk})
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert "operator console" not in login(world.outsider).get(TOKENS).text
