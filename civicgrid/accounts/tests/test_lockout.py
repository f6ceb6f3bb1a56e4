"""Sign-in lockout at every door that takes a password, counted per account and per address.

Written as someone trying the doors would: HTTP requests to the sign-in page and the admin's.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from civicgrid.accounts.models import LoginThrottle
from conftest import PASSWORD

SITE = reverse("accounts:login")
ADMIN = reverse("admin:login")


def site_sign_in(client: Client, login: str, password: str, address: str = "10.1.0.1"):
    return client.post(SITE, {"login": login, "password": password}, REMOTE_ADDR=address)


def admin_sign_in(client: Client, login: str, password: str, address: str = "10.1.0.1"):
    return client.post(
        ADMIN, {"username": login, "password": password, "next": "/admin/"}, REMOTE_ADDR=address
    )


def signed_in_as(client: Client) -> int | None:
    value = client.session.get(SESSION_KEY)
    return int(value) if value is not None else None


def test_the_admin_sign_in_locks_after_eight_wrong_passwords(client, world):
    for attempt in range(8):
        response = admin_sign_in(client, "root", f"wrong-{attempt}")
        assert response.status_code in (200, 429)
    right = admin_sign_in(client, "root", PASSWORD)
    assert right.status_code == 429
    assert "Too many failed sign-ins" in right.text
    assert signed_in_as(client) is None


def test_the_admin_sign_in_shows_the_site_s_message_for_a_wrong_password(client, world):
    response = admin_sign_in(client, "root", "wrong")
    assert response.status_code == 200
    assert "The account name or password is wrong." in response.text
    assert signed_in_as(client) is None


def test_the_admin_signs_a_superuser_in_and_clears_the_counter(client, world):
    admin_sign_in(client, "root", "wrong")
    response = admin_sign_in(client, "root", PASSWORD)
    assert response.status_code == 302
    assert signed_in_as(client) == world.superuser.pk
    assert LoginThrottle.objects.get(key="ip:10.1.0.1").failures == 1
    assert not LoginThrottle.objects.filter(key=f"user:{world.superuser.pk}").exists()


def test_the_admin_refuses_a_non_staff_account_with_the_right_password(client, world):
    response = admin_sign_in(client, "resident", PASSWORD)
    assert response.status_code == 200
    assert "staff account" in response.text
    assert signed_in_as(client) is None


@pytest.mark.parametrize(("failed_as", "then_as"), [("operator", "13800000004"), ("13800000004", "OPERATOR")])
def test_a_lock_holds_whichever_identifier_is_typed(client, world, failed_as, then_as):
    for n in range(settings.LOGIN_MAX_FAILURES):
        # A new address each time: only the account's counter fills.
        site_sign_in(client, failed_as, "wrong", address=f"10.2.0.{n}")
    right = site_sign_in(client, then_as, PASSWORD, address="10.3.0.1")
    assert right.status_code == 429
    assert "Too many failed sign-ins" in right.text
    assert signed_in_as(client) is None


def test_failures_at_the_admin_and_at_the_site_fill_one_counter(client, world):
    half = settings.LOGIN_MAX_FAILURES // 2
    for n in range(half):
        admin_sign_in(client, "operator", "wrong", address=f"10.4.0.{n}")
    for n in range(settings.LOGIN_MAX_FAILURES - half):
        site_sign_in(client, "13800000004", "wrong", address=f"10.5.0.{n}")
    for sign_in in (site_sign_in, admin_sign_in):
        locked = sign_in(client, "operator", PASSWORD, address="10.6.0.1")
        assert locked.status_code == 429
        assert "Too many failed sign-ins" in locked.text
    assert signed_in_as(client) is None
    # Another account is untouched.
    assert site_sign_in(client, "cadre", PASSWORD, address="10.6.0.1").status_code == 302


def test_an_address_trying_many_accounts_is_locked_at_the_admin_too(client, world):
    for n in range(settings.LOGIN_MAX_FAILURES * 4):
        site_sign_in(client, f"guess{n}", "wrong", address="10.7.0.1")
    locked = admin_sign_in(client, "root", PASSWORD, address="10.7.0.1")
    assert locked.status_code == 429
    assert signed_in_as(client) is None
    # The same account signs in from another address.
    assert admin_sign_in(client, "root", PASSWORD, address="10.7.0.2").status_code == 302


def test_an_unknown_name_gets_a_counter_of_its_own(client, world):
    for n in range(settings.LOGIN_MAX_FAILURES):
        site_sign_in(client, "Ghost", "wrong", address=f"10.8.0.{n}")
    locked = site_sign_in(client, "ghost", "anything", address="10.8.1.1")
    assert locked.status_code == 429
    assert LoginThrottle.objects.filter(key="login:ghost").exists()
    assert site_sign_in(client, "operator", PASSWORD, address="10.8.1.1").status_code == 302


def test_a_very_long_login_is_refused_as_a_field_error_not_counted_whole(client, world):
    response = site_sign_in(client, "x" * 100_000, "wrong")
    assert response.status_code == 200
    assert "at most 150 characters" in response.text
    assert all(len(key) <= 200 for key in LoginThrottle.objects.values_list("key", flat=True))
