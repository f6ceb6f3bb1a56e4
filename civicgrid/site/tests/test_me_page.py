"""The "me" page, and the words each reader meets: residents' words for residents, the staff's for staff."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from civicgrid.accounts.presenters import RESIDENT_WORDS, STAFF_WORDS, me_view, words_for
from civicgrid.accounts.services import role_assign, user_create
from civicgrid.cases.models import Category
from civicgrid.cases.tests.conftest import report
from civicgrid.site.navigation import nav_items
from conftest import PASSWORD

ME = "/accounts/me/"


def test_it_denies_anonymous_visitors_and_sends_them_to_sign_in(db, client):
    response = client.get(ME)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={ME}"


def test_it_tells_a_resident_who_they_are_in_plain_words(world, login):
    html = login(world.resident).get(ME).content.decode()
    assert "王居民" in html and "resident" in html
    # The phone is masked: the page may be read over a shoulder.
    assert "138****0001" in html and "13800000001" not in html
    assert "You live in Village A1" in html
    for url in ("/cases/mine/", "/cases/notifications/", world.village_a1.get_absolute_url()):
        assert f'href="{url}"' in html, url
    assert 'action="/i18n/setlang/"' in html
    assert 'action="/accounts/logout/"' in html


def test_it_shows_staff_tools_to_staff_only(world, login):
    resident = login(world.resident).get(ME).content.decode()
    assert "data-me-tools" not in resident
    assert "/accounts/tokens/" not in resident
    assert "Staff tools" not in resident
    worker = login(world.grid_worker).get(ME).content.decode()
    assert "data-me-tools" in worker
    assert 'data-me-link="tokens" ' in worker or 'data-me-link="tokens"' in worker
    assert "You look after 甲一村第1网格" in worker


def test_it_names_the_agency_of_agency_staff_and_a_riders_area(world, login):
    assert "You work for 市水务局" in login(world.agency_staff).get(ME).content.decode()
    rider = user_create(username="rider", password=PASSWORD, display_name="骑手", phone="13800000010")
    role_assign(user=rider, role="mobile_grid_member", place=world.district)
    html = login(rider).get(ME).content.decode()
    assert "You report what you see anywhere in Haitang" in html
    assert 'href="/cases/rider/"' in html


def test_the_me_view_lists_every_role(world):
    role_assign(user=world.resident, role="volunteer")
    view = me_view(user=type(world.resident).objects.get(pk=world.resident.pk))
    assert [line.role for line in view.roles] == ["resident", "volunteer"]
    assert view.roles[1].text == "Not tied to one place"
    assert view.staff is False


def test_every_link_of_the_me_page_answers(world, client):
    from civicgrid.site.navigation import me_links

    for user in (world.resident, world.grid_worker, world.city_admin, world.agency_staff):
        client.force_login(user)
        items = nav_items(user)
        for item in [*me_links(items, "own"), *me_links(items, "tools")]:
            assert client.get(item.url).status_code == 200, (user.username, item.url)


# --- Whose words -------------------------------------------------------------------------------------


def test_staff_read_the_staff_words_and_everyone_else_plain_words(world):
    assert words_for(world.grid_worker) is STAFF_WORDS
    assert words_for(world.agency_staff) is STAFF_WORDS
    assert words_for(world.superuser) is STAFF_WORDS
    assert words_for(world.resident) is RESIDENT_WORDS
    assert words_for(AnonymousUser()) is RESIDENT_WORDS
    rider = user_create(username="rider", password=PASSWORD, display_name="骑手", phone="13800000010")
    role_assign(user=rider, role="mobile_grid_member", place=world.district)
    assert words_for(rider) is RESIDENT_WORDS


def test_a_reporter_reads_when_to_expect_handling_not_the_step_deadline(world, login):
    report(world, Category.objects.get(code="C0201"))
    html = login(world.resident).get("/cases/mine/").content.decode()
    assert "Expected to be handled by" in html
    assert "Step deadline" not in html and "Step due" not in html


def test_the_home_page_speaks_to_residents_and_staff_in_their_words(world, login):
    assert "Your roles and the places they cover." not in login(world.resident).get("/").content.decode()
    assert "Your roles and the places they cover." in login(world.grid_worker).get("/").content.decode()


def test_the_places_page_speaks_of_a_residents_places_not_their_area(world, login):
    resident = login(world.resident).get("/places/").content.decode()
    assert "Where you are" in resident and "Find your community or grid" in resident
    assert "Your area" not in resident and "administrative tree of your area" not in resident
    staff = login(world.town_operator).get("/places/").content.decode()
    assert "Your area" in staff
    empty = login(world.resident).get("/places/", {"q": "不存在的地方"}).content.decode()
    assert "Only the places around you are searched." in empty


def test_a_mobile_grid_member_meets_no_area_in_the_navigation(world):
    rider = user_create(username="rider", password=PASSWORD, display_name="骑手", phone="13800000010")
    role_assign(user=rider, role="mobile_grid_member", place=world.district)
    labels = {item.key: str(item.label) for item in nav_items(rider)}
    assert labels["my_place"] == "My region"
    assert {item.key: str(item.label) for item in nav_items(world.town_operator)}["my_place"] == "My area"
