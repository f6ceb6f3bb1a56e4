"""The phone's bottom tab bar: what each role gets, its badges, the current tab, and what it costs."""

from __future__ import annotations

import re

from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext

from civicgrid.accounts.models import User
from civicgrid.accounts.services import role_assign, user_create
from civicgrid.cases.models import Category, Notification
from civicgrid.cases.tests.conftest import report
from civicgrid.site.navigation import tab_items
from conftest import PASSWORD


def fresh(user: User) -> User:
    """The user as a new request sees them (the scopes and queue totals are kept per user object)."""
    return User.objects.get(pk=user.pk)


def keys(user) -> list[str]:
    return [tab.key for tab in tab_items(user)]


def tabbar(html: str) -> str:
    found = re.search(r'<nav class="tabbar".*?</nav>', html, re.S)
    assert found, "no tab bar on the page"
    return found.group(0)


def home_todo_figure(html: str) -> int:
    """Add up the numbers of the home page's to-do tiles."""
    return sum(int(n) for n in re.findall(r'<span class="home-todo__n">(\d+)</span>', html))


def pothole() -> Category:
    return Category.objects.get(code="C0201")


def test_it_gives_anonymous_visitors_report_status_and_sign_in(db):
    tabs = tab_items(AnonymousUser())
    assert [t.key for t in tabs] == ["report", "status", "signin"]
    assert [t.url for t in tabs] == ["/cases/report/", "/cases/status/", "/accounts/login/"]


def test_it_gives_a_resident_report_their_reports_their_community_map_messages_and_me(world):
    tabs = tab_items(world.resident)
    assert [t.key for t in tabs] == ["report", "mine", "my_place", "notifications", "me"]
    by_key = {t.key: t for t in tabs}
    # No public map of cases: the map a resident gets is their own community's, with who serves it.
    assert by_key["my_place"].url == world.village_a1.get_absolute_url()
    assert by_key["mine"].url == "/cases/mine/"
    assert by_key["me"].url == "/accounts/me/"
    assert all(t.badge == 0 for t in tabs)


def test_it_gives_a_mobile_grid_member_their_record(world):
    rider = user_create(username="rider", password=PASSWORD, display_name="骑手", phone="13800000010")
    role_assign(user=rider, role="mobile_grid_member", place=world.district)
    tabs = tab_items(rider)
    assert [t.key for t in tabs] == ["report", "rider", "my_place", "notifications", "me"]
    assert tabs[1].url == "/cases/rider/"


def test_someone_without_a_place_gets_the_status_lookup_for_a_map(world):
    volunteer = user_create(username="vol", password=PASSWORD, display_name="志愿者", phone="13800000011")
    assert keys(volunteer) == ["report", "mine", "status", "notifications", "me"]


def test_it_gives_a_grid_worker_their_work_first(world):
    tabs = tab_items(world.grid_worker)
    assert [t.key for t in tabs] == ["todo", "report", "map", "notifications", "me"]
    by_key = {t.key: t for t in tabs}
    assert (by_key["todo"].url, by_key["map"].url) == ("/cases/work/", "/cases/work/map/")
    # The staff's tools sit under "me": the tab stays current on them.
    assert "/accounts/tokens/" in by_key["me"].also


def test_it_gives_the_village_and_the_town_their_work_and_agency_staff_their_inbox(world):
    assert keys(world.village_cadre) == ["todo", "report", "map", "notifications", "me"]
    assert keys(world.town_operator) == ["todo", "report", "map", "notifications", "me"]
    agency = tab_items(world.agency_staff)
    assert [t.key for t in agency] == ["todo", "report", "notifications", "me"]
    assert agency[0].url == "/cases/work/agency/"


def test_the_to_do_badge_is_the_home_pages_to_do_figure(world, client):
    for _ in range(3):
        report(world, pothole())
    client.force_login(world.grid_worker)
    html = client.get("/").content.decode()
    figure = home_todo_figure(html)
    assert figure == 3
    todo = next(t for t in tab_items(fresh(world.grid_worker)) if t.key == "todo")
    assert todo.badge == figure
    assert f'data-badge="todo">{figure}<' in tabbar(html)
    # Once verified, the cases wait in another queue: the same figure, on both.
    from civicgrid.cases.models import Case
    from civicgrid.cases.services import case_act

    case_act(case=Case.objects.first(), action="accept", actor=world.grid_worker)
    html = client.get("/").content.decode()
    assert home_todo_figure(html) == 3
    assert 'data-badge="todo">3<' in tabbar(html)


def test_an_empty_queue_shows_no_badge(world, client):
    client.force_login(world.grid_worker)
    bar = tabbar(client.get("/").content.decode())
    assert 'data-tab="todo"' in bar
    assert 'data-badge="todo"' not in bar


def test_the_messages_badge_counts_unread_notifications_up_to_99_plus(world, client):
    case = report(world, pothole())  # tells the grid worker once
    client.force_login(world.grid_worker)
    assert 'data-badge="notifications">1<' in tabbar(client.get("/cases/mine/").content.decode())
    Notification.objects.bulk_create(
        Notification(user=world.grid_worker, case=case, kind="new_work", text="x") for _ in range(120)
    )
    assert 'data-badge="notifications">99+<' in tabbar(client.get("/cases/mine/").content.decode())


def test_the_current_tab_is_marked(world, client):
    client.force_login(world.grid_worker)
    for path, current in (
        ("/cases/work/", "todo"),
        ("/cases/work/?queue=check", "todo"),
        ("/cases/work/map/", "map"),
        ("/cases/report/", "report"),
        ("/cases/notifications/", "notifications"),
        ("/accounts/me/", "me"),
        ("/accounts/tokens/", "me"),
    ):
        bar = tabbar(client.get(path).content.decode())
        marked = re.findall(r'data-tab="(\w+)" aria-current="page"', bar)
        assert marked == [current], (path, marked)
    assert re.findall(r'data-tab="(\w+)" aria-current="page"', tabbar(client.get("/").content.decode())) == []


def test_anonymous_visitors_sign_in_back_to_where_they_were(db, client):
    bar = tabbar(client.get("/cases/status/").content.decode())
    assert 'href="/accounts/login/?next=/cases/status/"' in bar


def test_the_bar_keeps_room_for_itself_at_the_end_of_the_page(world, client):
    client.force_login(world.resident)
    html = client.get("/").content.decode()
    assert (
        html.index('class="site-footer"') < html.index('class="tabbar-spacer"') < html.index('class="tabbar"')
    )


def test_the_home_page_reads_the_to_do_figure_once_for_tiles_and_badge(world, client, monkeypatch):
    from civicgrid.cases import selectors

    report(world, pothole())
    calls = []
    real = selectors.queues_for
    monkeypatch.setattr(selectors, "queues_for", lambda user: calls.append(user.pk) or real(user))
    client.force_login(world.grid_worker)
    client.get("/")
    assert calls == [world.grid_worker.pk]
    calls.clear()
    client.get("/cases/work/")
    assert calls == [world.grid_worker.pk]


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_it_pins_the_query_count_of_pages_with_the_tab_bar(world, client):
    for _ in range(3):
        report(world, pothole())
    client.force_login(world.grid_worker)
    client.get("/")  # warm up what is kept per process (content types, categories, translations)
    # Session, user, roles; whether the person volunteers (the navigation), the unread count (the
    # bell and the Messages tab); the to-do figure, once, for the tiles and the badge.
    assert count_queries(client, "/") <= 6
    # The me page's roles come from the scopes already read: nothing of its own.
    assert count_queries(client, "/accounts/me/") <= 6
    client.force_login(world.resident)
    client.get("/")
    # A resident's bar has no to-do figure; the home page lists their reports to rate instead.
    assert count_queries(client, "/") <= 6


def test_an_htmx_fragment_builds_no_tab_bar(world, client, monkeypatch):
    from civicgrid.site import context_processors

    built = []
    real = context_processors.tab_items
    monkeypatch.setattr(context_processors, "tab_items", lambda *a: built.append(1) or real(*a))
    client.force_login(world.town_operator)
    response = client.get("/cases/work/centre/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert 'class="tabbar"' not in response.content.decode()
    assert built == []
