"""The audit log page: who may read it, what each reader sees, its filters and its paging."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from civicgrid.accounts.services import role_assign, user_create
from civicgrid.core import audit
from civicgrid.core.models import AuditEntry
from civicgrid.places.services import place_create, place_update
from conftest import PASSWORD

URL = "/audit/"


@pytest.fixture
def neighbour(world):
    """Another district of the city, with its own administrator and a renamed town."""
    district = place_create(code="329982", name="邻区", level="district", parent=world.city)
    town = place_create(code="329982001", name="邻镇", level="town", parent=district)
    admin = user_create(username="neighbour", password=PASSWORD, display_name="邻区管理员")
    role_assign(user=admin, role="district_admin", place=district)
    place_update(place=town, name="邻镇新名", actor=admin)
    return admin


def shown_codes(response) -> set[str]:
    return {r["entry"].place_code for r in response.context["rows"]}


def entry_ids(response) -> list[int]:
    return [r["entry"].pk for r in response.context["rows"]]


@pytest.mark.parametrize("persona", ["resident", "grid_worker", "town_operator", "agency_staff", "outsider"])
def test_it_refuses_people_who_are_not_administrators(world, login, persona):
    response = login(getattr(world, persona)).get(URL)
    assert response.status_code == 403
    assert "rows" not in (response.context or {})


def test_it_sends_anonymous_visitors_to_sign_in(world, client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_the_superuser_reads_every_entry(world, neighbour, login):
    response = login(world.superuser).get(URL)
    assert response.status_code == 200
    assert entry_ids(response) == list(
        AuditEntry.objects.order_by("-at", "-id").values_list("id", flat=True)[:50]
    )
    assert {"329900", "329981", "329982001"} <= shown_codes(response)


def test_an_administrator_reads_their_region_and_their_own_entries_only(world, neighbour, login):
    with transaction.atomic():
        # Something the district administrator did outside their region: shown, being theirs.
        audit.record(actor=world.city_admin, action="place.update", target=world.city, place_code="329900")
    response = login(world.city_admin).get(URL)
    codes = shown_codes(response)
    assert codes and all(c.startswith("329981") or c == "329900" for c in codes)
    assert "329982001" not in codes
    mine = [r["entry"] for r in response.context["rows"] if r["entry"].place_code == "329900"]
    assert [e.actor for e in mine] == [world.city_admin]
    assert "邻镇新名" not in response.content.decode()


def test_the_outsider_administrator_sees_none_of_the_other_regions_entries(world, neighbour, login):
    response = login(neighbour).get(URL)
    assert response.status_code == 200
    codes = shown_codes(response)
    assert codes == {"329982", "329982001"}
    assert "甲镇" not in response.content.decode()
    # Not by asking for an entry of the other region by its target, either.
    other = login(neighbour).get(URL, {"target_type": "places.place", "target_id": world.town_a.pk})
    assert other.context["rows"] == []


def test_it_filters_by_action_actor_target_and_dates(world, neighbour, login):
    client = login(world.superuser)
    renames = client.get(URL, {"action": "place.update"})
    assert {r["entry"].action for r in renames.context["rows"]} == {"place.update"}
    by_actor = client.get(URL, {"actor": "邻区管理"})
    assert {r["entry"].actor for r in by_actor.context["rows"]} == {neighbour}
    by_account = client.get(URL, {"actor": "NEIGHBOUR"})
    assert entry_ids(by_account) == entry_ids(by_actor)
    by_id = client.get(URL, {"actor_id": neighbour.pk})
    assert entry_ids(by_id) == entry_ids(by_actor)
    about = client.get(URL, {"target": "甲一村第1"})
    assert all("甲一村第1网格" in r["entry"].target_text for r in about.context["rows"])
    assert {r["entry"].action for r in about.context["rows"]} == {
        "place.create",
        "boundary.set",
        "role.assign",
    }
    of_object = client.get(URL, {"target_type": "places.place", "target_id": world.town_a.pk})
    assert [r["entry"].action for r in of_object.context["rows"]] == ["place.create"]
    today = timezone.localdate()
    assert entry_ids(client.get(URL, {"date_from": today, "date_to": today})) == entry_ids(client.get(URL))
    assert client.get(URL, {"date_to": today - timedelta(days=1)}).context["rows"] == []
    assert client.get(URL, {"date_from": today + timedelta(days=1)}).context["rows"] == []


def test_it_reports_filters_that_are_not_valid(world, login):
    response = login(world.superuser).get(URL, {"date_from": "2026-02-30", "action": "nonsense"})
    assert response.status_code == 200
    assert response.context["rows"] == []
    assert "Some filters are not valid" in response.content.decode()


def test_it_pages_older_entries_by_time_and_id_without_offset(world, login, settings):
    moment = timezone.now() - timedelta(days=3)
    with transaction.atomic():
        # 60 entries at the same instant: only the id orders them, so a time-only cursor would lose some.
        for n in range(60):
            AuditEntry.objects.create(
                at=moment, action="place.update", target_type="places.place", target_text=f"paged-{n}"
            )
    client = login(world.superuser)
    seen: list[int] = []
    params = {"target": "paged-"}
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(URL, params)
    assert not any("OFFSET" in q["sql"].upper() for q in ctx.captured_queries)
    while True:
        seen += entry_ids(page)
        if not page.context["older"]:
            break
        assert "Older" in page.content.decode()
        page = client.get(URL, {**params, "before": page.context["older"]})
    expected = list(
        AuditEntry.objects.filter(target_text__startswith="paged-")
        .order_by("-at", "-id")
        .values_list("id", flat=True)
    )
    assert seen == expected and len(seen) == 60
    # A broken cursor shows the newest page rather than an error.
    assert entry_ids(client.get(URL, {**params, "before": "not-a-cursor"}))[:5] == expected[:5]


def test_each_change_reads_field_before_and_after(world, login):
    place_update(place=world.town_a, name="甲镇新名", actor=world.superuser)
    response = login(world.superuser).get(URL, {"action": "place.update"})
    row = response.context["rows"][0]
    assert [(line.label, line.before, line.after) for line in row["changes"]] == [
        ("name", "甲镇", "甲镇新名")
    ]
    page = response.content.decode()
    assert "<del>甲镇</del>" in page and "<ins>甲镇新名</ins>" in page
    assert "Place renamed" in page


def count_queries(client, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL, params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_page_reads_the_same_number_of_queries_for_few_and_many_entries(world, login):
    client = login(world.city_admin)
    few = count_queries(client)
    with transaction.atomic():
        for _n in range(80):
            audit.record(
                actor=world.superuser, action="place.update", target=world.town_a, place_code="329981001"
            )
    many = count_queries(client)
    # The session, the user, their roles, one page of entries, the unread count in the header, and
    # whether the person volunteers (the navigation).
    assert few == many == 6
    assert count_queries(client, {"action": "place.update", "before": ""}) == many


def test_the_admin_lists_entries_but_cannot_add_change_or_delete_them(world, login):
    client = login(world.superuser)
    entry = AuditEntry.objects.first()
    assert client.get("/admin/core/auditentry/").status_code == 200
    page = client.get(f"/admin/core/auditentry/{entry.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert client.get("/admin/core/auditentry/add/").status_code == 403
    assert client.post(f"/admin/core/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
