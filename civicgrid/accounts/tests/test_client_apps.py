"""Open311 client applications: keys issued and revoked by administrators, checked and rate-limited."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from civicgrid.accounts import access
from civicgrid.accounts.models import ClientApp
from civicgrid.accounts.selectors import client_app_list
from civicgrid.accounts.services import (
    client_app_authenticate,
    client_app_check_rate,
    client_app_issue,
    client_app_revoke,
    role_assign,
    user_create,
)
from civicgrid.core.errors import ApplicationError, PermissionDenied
from civicgrid.core.models import AuditEntry
from civicgrid.places.services import place_create
from civicgrid.site.navigation import nav_items

CLIENTS = reverse("accounts:clients")
KEY_RE = re.compile(r"^o311_([0-9a-f]{8})_([A-Za-z0-9_-]{43})$")


@pytest.fixture
def more(world):
    """A second district with its administrator, and an administrator of the whole city."""
    other = place_create(
        code="329982", name="丙区", name_en="District C", level="district", parent=world.city
    )
    other_admin = user_create(username="otheradmin", password="x", display_name="郑区管")
    role_assign(user=other_admin, role="district_admin", place=other)
    city_admin = user_create(username="realcityadmin", password="x", display_name="冯市管")
    role_assign(user=city_admin, role="city_admin", place=world.city)
    return type("More", (), {"district": other, "district_admin": other_admin, "city_admin": city_admin})


def issue(world, **fields):
    values = {
        "actor": world.city_admin,  # the district administrator of the test world
        "name": "随手拍小程序",
        "contact": "张工 zhang@example.org",
        "region": world.district,
    }
    values.update(fields)
    return client_app_issue(**values)


# --- Issuing ---------------------------------------------------------------------------------------


def test_it_issues_a_key_shown_once_and_stores_only_its_hash(world):
    client, key = issue(world, posts_per_hour=30)
    match = KEY_RE.match(key)
    assert match, key
    prefix, secret = match.groups()
    row = ClientApp.objects.get()
    assert row.pk == client.pk
    assert row.prefix == prefix
    assert row.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert row.posts_per_hour == 30
    assert row.created_by == world.city_admin
    assert row.region == world.district
    assert row.revoked_at is None and row.last_used_at is None
    # The secret is nowhere in the row.
    stored = [str(getattr(row, f.attname)) for f in ClientApp._meta.concrete_fields]
    assert not any(secret in value for value in stored)
    assert str(row) == f"随手拍小程序 (o311_{prefix}_…)"


def test_it_gives_each_key_a_default_limit_from_the_settings(world, settings):
    settings.OPEN311_POSTS_PER_HOUR = 7
    client, _key = issue(world)
    assert ClientApp.objects.get(pk=client.pk).posts_per_hour == 7


def test_it_refuses_wrong_fields_by_name_and_writes_nothing(world):
    with pytest.raises(ApplicationError) as caught:
        issue(world, name="  ", contact="", region=world.village_a1, posts_per_hour=0)
    assert caught.value.code == "invalid"
    assert set(caught.value.extra["fields"]) == {"name", "contact", "region", "posts_per_hour"}
    assert "city, a district or a town" in caught.value.extra["fields"]["region"]
    with pytest.raises(ApplicationError) as caught:
        issue(world, region=None, name="x" * 101)
    assert set(caught.value.extra["fields"]) == {"region", "name"}
    assert not ClientApp.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="client_app.").exists()


# --- Authenticating --------------------------------------------------------------------------------


def test_it_authenticates_a_key_by_its_prefix(world):
    first, first_key = issue(world, name="随手拍小程序")
    second, second_key = issue(world, name="FixMyStreet 海棠", region=world.town_a)
    found = client_app_authenticate(first_key)
    assert found == first
    assert found.region == world.district
    assert client_app_authenticate(second_key) == second
    # One client's prefix with another's secret is no key.
    _o311, second_prefix, _rest = second_key.split("_", 2)
    first_secret = first_key.split("_", 2)[2]
    assert client_app_authenticate(f"o311_{second_prefix}_{first_secret}") is None


def test_it_loads_the_region_with_the_client(world, django_assert_num_queries):
    _client, key = issue(world)
    client_app_authenticate(key)  # writes last_used_at
    with django_assert_num_queries(1):
        found = client_app_authenticate(key)
        assert found.region.code == world.district.code


def test_it_refuses_a_wrong_secret(world):
    _client, key = issue(world)
    assert client_app_authenticate(key[:-1] + ("A" if key[-1] != "A" else "B")) is None
    assert client_app_authenticate(key + "x") is None


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "o311",
        "o311_",
        "o311__",
        "o311_deadbeef_",
        "o311_DEADBEEF_secret",
        "o311_zz_secret",
        "cg_deadbeef_secret",
        "Bearer o311_deadbeef_secret",
        "o311_deadbeef_" + "x" * 300,
    ],
)
def test_it_refuses_a_malformed_key(world, raw):
    issue(world)
    assert client_app_authenticate(raw) is None


def test_it_refuses_a_revoked_key(world):
    client, key = issue(world)
    client_app_revoke(actor=world.city_admin, client=client)
    assert client_app_authenticate(key) is None


def test_it_records_the_last_use_at_most_every_five_minutes(world):
    client, key = issue(world)
    client_app_authenticate(key)
    first = ClientApp.objects.get(pk=client.pk).last_used_at
    assert first is not None
    client_app_authenticate(key)
    assert ClientApp.objects.get(pk=client.pk).last_used_at == first
    earlier = timezone.now() - timedelta(minutes=6)
    ClientApp.objects.filter(pk=client.pk).update(last_used_at=earlier)
    found = client_app_authenticate(key)
    assert ClientApp.objects.get(pk=client.pk).last_used_at > earlier
    assert found.last_used_at > earlier


# --- Rate limit ------------------------------------------------------------------------------------


def test_it_limits_the_posts_of_each_key_per_hour(world):
    client, _key = issue(world, posts_per_hour=3)
    other, _other_key = issue(world, posts_per_hour=3)
    for _ in range(3):
        client_app_check_rate(client)
    with pytest.raises(ApplicationError) as caught:
        client_app_check_rate(client)
    assert caught.value.code == "rate_limited"
    assert caught.value.status == 429
    assert caught.value.extra["limit"] == 3
    assert 0 < caught.value.extra["retry_after"] <= 3600
    assert "at most 3 an hour" in caught.value.message
    # Another key has its own count.
    client_app_check_rate(other)


# --- Access ----------------------------------------------------------------------------------------


def test_it_lets_a_district_administrator_issue_for_their_district_and_its_towns(world):
    assert access.can_manage_clients(world.city_admin)
    issue(world, region=world.district)
    issue(world, region=world.town_b)
    with pytest.raises(PermissionDenied):
        issue(world, region=world.city)
    assert ClientApp.objects.count() == 2


def test_it_refuses_the_administrator_of_another_district(world, more):
    client, _key = issue(world, region=world.town_a)
    with pytest.raises(PermissionDenied):
        issue(world, actor=more.district_admin, region=world.town_a)
    with pytest.raises(PermissionDenied):
        client_app_revoke(actor=more.district_admin, client=client)
    assert ClientApp.objects.get(pk=client.pk).revoked_at is None
    assert list(client_app_list(more.district_admin)) == []


@pytest.mark.parametrize("persona", ["town_operator", "outsider", "grid_worker", "resident", "agency_staff"])
def test_it_refuses_everyone_but_administrators(world, persona):
    user = getattr(world, persona)
    client, _key = issue(world, region=world.town_a)
    assert not access.can_manage_clients(user)
    assert not access.can_manage_client(user, world.town_a)
    with pytest.raises(PermissionDenied):
        issue(world, actor=user, region=world.town_a)
    with pytest.raises(PermissionDenied):
        client_app_revoke(actor=user, client=client)
    assert list(client_app_list(user)) == []
    assert list(access.client_regions(user)) == []
    assert ClientApp.objects.count() == 1


def test_it_lets_the_superuser_and_the_city_administrator_issue_anywhere_in_the_city(world, more):
    for actor in (world.superuser, more.city_admin):
        client, _key = issue(world, actor=actor, region=world.city)
        client_app_revoke(actor=actor, client=client)
        assert ClientApp.objects.get(pk=client.pk).revoked_by == actor


def test_it_offers_the_regions_each_administrator_may_choose(world, more):
    district_regions = [p.code for p in access.client_regions(world.city_admin)]
    assert district_regions == [world.district.code, world.town_a.code, world.town_b.code]
    city_regions = [p.code for p in access.client_regions(more.city_admin)]
    assert city_regions == [
        world.city.code,
        world.district.code,
        world.town_a.code,
        world.town_b.code,
        "329982",
    ]
    assert list(access.client_regions(world.superuser)) == list(access.client_regions(more.city_admin))


def test_the_list_and_the_rule_agree_for_every_user_and_client(world, more):
    clients = [
        issue(world, actor=world.superuser, region=region)[0]
        for region in (world.city, world.district, world.town_a, world.town_b, more.district)
    ]
    users = [
        world.superuser,
        world.city_admin,
        world.town_operator,
        world.outsider,
        more.district_admin,
        more.city_admin,
    ]
    for user in users:
        listed = set(client_app_list(user))
        for client in clients:
            assert (client in listed) == access.can_manage_client(user, client.region), (user, client)


# --- Revoking and the audit log --------------------------------------------------------------------


def test_it_revokes_once_and_audits_issue_and_revoke_without_the_secret(world):
    client, key = issue(world, region=world.town_a)
    client_app_revoke(actor=world.city_admin, client=client)
    client_app_revoke(actor=world.city_admin, client=client)  # changes nothing
    row = ClientApp.objects.get(pk=client.pk)
    assert row.revoked_at is not None and row.revoked_by == world.city_admin
    entries = list(AuditEntry.objects.filter(action__startswith="client_app.").order_by("id"))
    assert [e.action for e in entries] == ["client_app.issue", "client_app.revoke"]
    issued, revoked = entries
    assert issued.actor == world.city_admin
    assert issued.place_code == world.town_a.code
    assert issued.target_id == str(client.pk)
    assert issued.changes["name"] == {"to": "随手拍小程序"}
    assert issued.changes["prefix"] == {"to": client.prefix}
    assert revoked.changes["revoked_at"]["from"] is None
    text = json.dumps([e.changes for e in entries]) + " ".join(e.target_text for e in entries)
    assert key.split("_", 2)[2] not in text
    assert row.key_hash not in text


def test_a_refused_issue_writes_no_audit_entry(world, more):
    with pytest.raises(PermissionDenied):
        issue(world, actor=more.district_admin, region=world.town_a)
    assert not AuditEntry.objects.filter(action__startswith="client_app.").exists()


# --- The page --------------------------------------------------------------------------------------


def test_the_page_shows_an_empty_state(world, login):
    response = login(world.city_admin).get(CLIENTS)
    assert response.status_code == 200
    assert "No client applications yet" in response.text
    assert 'name="region"' in response.text


def test_the_page_lists_the_clients_the_administrator_may_manage(world, more, login):
    mine, _key = issue(world, name="随手拍小程序", region=world.town_a)
    issue(world, actor=more.district_admin, name="丙区热线", region=more.district)
    response = login(world.city_admin).get(CLIENTS)
    assert response.status_code == 200
    assert "随手拍小程序" in response.text
    assert "张工 zhang@example.org" in response.text
    assert f"o311_{mine.prefix}_…" in response.text
    assert "丙区热线" not in response.text
    assert mine.key_hash not in response.text
    assert "Never" in response.text  # not used yet


def test_the_page_issues_a_key_and_shows_it_once(world, login):
    client = login(world.city_admin)
    response = client.post(
        CLIENTS,
        {
            "action": "issue",
            "name": "FixMyStreet 海棠",
            "contact": "ops@fixmystreet.example",
            "region": world.town_a.pk,
            "posts_per_hour": "60",
        },
    )
    assert response.status_code == 200
    row = ClientApp.objects.get()
    assert (row.name, row.region, row.posts_per_hour) == ("FixMyStreet 海棠", world.town_a, 60)
    key = re.search(r'id="new-client-key">([^<]+)<', response.text).group(1)
    assert client_app_authenticate(key) == row
    assert "This key is shown only once." in response.text
    assert response["Cache-Control"].startswith("max-age=0")
    again = client.get(CLIENTS)
    assert key not in again.text
    assert "FixMyStreet 海棠" in again.text


def test_the_page_shows_field_errors_and_issues_nothing(world, login):
    response = login(world.city_admin).post(
        CLIENTS,
        {"action": "issue", "name": "", "contact": "", "region": world.town_a.pk, "posts_per_hour": "0"},
    )
    assert response.status_code == 200
    assert response.text.count('class="errorlist"') == 3
    assert not ClientApp.objects.exists()


def test_the_page_offers_no_region_outside_the_administrator_scope(world, more, login):
    client = login(world.city_admin)
    page = client.get(CLIENTS)
    assert f'value="{world.town_a.pk}"' in page.text
    assert f'value="{world.city.pk}"' not in page.text
    assert f'value="{more.district.pk}"' not in page.text
    response = client.post(
        CLIENTS,
        {"action": "issue", "name": "x", "contact": "y", "region": more.district.pk, "posts_per_hour": "5"},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.text
    assert not ClientApp.objects.exists()


def test_the_page_revokes_a_key(world, login):
    issued, key = issue(world, region=world.town_a)
    response = login(world.city_admin).post(CLIENTS, {"action": "revoke", "client": issued.pk}, follow=True)
    assert response.status_code == 200
    assert "is revoked" in response.text
    assert ClientApp.objects.get(pk=issued.pk).revoked_at is not None
    assert client_app_authenticate(key) is None
    assert "Revoked" in response.text


def test_the_page_filters_by_status(world, login):
    issue(world, name="活跃应用")
    revoked, _key = issue(world, name="已停应用")
    client_app_revoke(actor=world.city_admin, client=revoked)
    client = login(world.city_admin)
    assert "已停应用" not in client.get(CLIENTS, {"status": "active"}).text
    assert "活跃应用" not in client.get(CLIENTS, {"status": "revoked"}).text
    both = client.get(CLIENTS, {"status": "nonsense"}).text
    assert "活跃应用" in both and "已停应用" in both


def test_the_page_does_not_revoke_a_client_of_another_district(world, more, login):
    theirs, _key = issue(world, actor=more.district_admin, region=more.district)
    response = login(world.city_admin).post(CLIENTS, {"action": "revoke", "client": theirs.pk})
    assert response.status_code == 404
    assert ClientApp.objects.get(pk=theirs.pk).revoked_at is None
    assert login(world.city_admin).post(CLIENTS, {"action": "revoke", "client": "x"}).status_code == 404


@pytest.mark.parametrize("persona", ["town_operator", "outsider", "resident"])
def test_the_page_denies_others(world, login, persona):
    client = login(getattr(world, persona))
    assert client.get(CLIENTS).status_code == 403
    response = client.post(
        CLIENTS,
        {"action": "issue", "name": "x", "contact": "y", "region": world.town_a.pk, "posts_per_hour": "5"},
    )
    assert response.status_code == 403
    assert not ClientApp.objects.exists()


def test_the_page_asks_anonymous_visitors_to_sign_in(client, db):
    response = client.get(CLIENTS)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_the_page_reads_a_fixed_number_of_queries(world, login):
    client = login(world.city_admin)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(CLIENTS).status_code == 200
        return len(queries)

    for _ in range(2):
        issue(world)
    few = count()
    for region in (world.town_a, world.town_b, world.district):
        revoked, _key = issue(world, region=region)
        client_app_revoke(actor=world.superuser, client=revoked)
    assert count() == few


def test_the_page_speaks_chinese_by_default(world):
    client = Client()
    client.force_login(world.city_admin)
    response = client.get(CLIENTS)
    assert "接入应用" in response.text
    assert "Client apps" not in response.text


def test_the_navigation_offers_the_page_to_administrators_only(world, more):
    for user in (world.superuser, world.city_admin, more.city_admin):
        entry = next(i for i in nav_items(user) if i.key == "clients")
        assert entry.url == CLIENTS
        assert entry.group == "more"
    for user in (world.resident, world.grid_worker, world.town_operator, world.agency_staff, world.outsider):
        assert "clients" not in [i.key for i in nav_items(user)]


def test_the_navigation_link_is_on_the_page_for_administrators(world, login):
    assert f'href="{CLIENTS}"' in login(world.city_admin).get(reverse("site:home")).text
    assert f'href="{CLIENTS}"' not in login(world.town_operator).get(reverse("site:home")).text


# --- The admin -------------------------------------------------------------------------------------


def test_the_admin_shows_clients_read_only(world, login):
    issued, _key = issue(world)
    client = login(world.superuser)
    listing = client.get(reverse("admin:accounts_clientapp_changelist"))
    assert listing.status_code == 200
    assert "随手拍小程序" in listing.text
    detail = client.get(reverse("admin:accounts_clientapp_change", args=[issued.pk]))
    assert detail.status_code == 200
    assert issued.key_hash not in detail.text
    assert 'name="name"' not in detail.text
    assert client.get(reverse("admin:accounts_clientapp_add")).status_code == 403


def test_the_admin_revokes_through_the_service(world, login):
    issued, _key = issue(world)
    response = login(world.superuser).post(
        reverse("admin:accounts_clientapp_changelist"),
        {"action": "revoke", "_selected_action": [issued.pk]},
    )
    assert response.status_code == 302
    assert ClientApp.objects.get(pk=issued.pk).revoked_by == world.superuser
    assert AuditEntry.objects.filter(action="client_app.revoke", target_id=str(issued.pk)).count() == 1
