"""Each role sees in the navigation what it may use, and nothing else."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from civicgrid.site.navigation import nav_items


def keys(user) -> list[str]:
    return [item.key for item in nav_items(user)]


def test_it_shows_anonymous_visitors_reporting_and_status(db):
    assert keys(AnonymousUser()) == [
        "home",
        "report",
        "status",
        "volunteers",
        "points_rewards",
        "points_leaderboards",
        "gov_board",
    ]


def test_it_shows_a_resident_their_reports_and_community_but_no_tools(world):
    assert keys(world.resident) == [
        "home",
        "report",
        "mine",
        "volunteers",
        "points",
        "points_rewards",
        "points_leaderboards",
        "points_redemptions",
        "governance",
        "my_place",
        "places",
        "notifications",
    ]
    by_key = {i.key: i for i in nav_items(world.resident)}
    assert by_key["my_place"].url == world.village_a1.get_absolute_url()
    # A resident earns points: "My points" is in the bar; the volunteer activities under More.
    assert (by_key["points"].group, by_key["volunteers"].group) == ("main", "more")


def test_it_shows_a_grid_worker_their_work_and_grid(world):
    items = nav_items(world.grid_worker)
    assert [i.key for i in items] == [
        "home",
        "report",
        "work",
        "map",
        "volunteers",
        "points",
        "points_rewards",
        "points_leaderboards",
        "points_redemptions",
        "governance",
        "my_place",
        "addresses",
        "places",
        "tokens",
        "notifications",
    ]
    by_key = {i.key: i for i in items}
    assert by_key["my_place"].url == world.grid_a1a.get_absolute_url()
    # Staff without points of their own find them under More.
    assert by_key["points"].group == "more"


def test_it_shows_the_town_operator_the_command_centre(world):
    assert keys(world.town_operator) == [
        "home",
        "report",
        "work",
        "overview",
        "centre",
        "map",
        "volunteers",
        "volunteers_teams",
        "points",
        "points_rewards",
        "points_leaderboards",
        "points_redemptions",
        "points_office",
        "orgs",
        "governance",
        "my_place",
        "addresses",
        "places",
        "tokens",
        "notifications",
    ]


def test_it_shows_agency_staff_their_inbox(world):
    assert "agency" in keys(world.agency_staff)
    assert "work" not in keys(world.agency_staff)


def test_it_shows_administrators_the_import(world):
    assert "import" in keys(world.city_admin)
    assert "centre" in keys(world.city_admin)


def test_it_shows_the_superuser_the_admin_site(world):
    assert "admin" in keys(world.superuser)
    assert "admin" not in keys(world.city_admin)


def test_it_counts_unread_notifications(world):
    from civicgrid.cases.models import Category, Notification
    from civicgrid.cases.tests.conftest import report

    case = report(world, Category.objects.get(code="C0201"))  # notifies the grid worker once
    assert nav_items(world.grid_worker)[-1].badge == 1
    Notification.objects.create(user=world.grid_worker, case=case, kind="new_work", text="x")
    assert nav_items(world.grid_worker)[-1].badge == 2


def test_it_links_every_entry_to_a_page_that_answers(world, client):
    users = (world.resident, world.grid_worker, world.town_operator, world.city_admin, world.agency_staff)
    for user in users:
        client.force_login(user)
        for item in nav_items(user):
            response = client.get(item.url)
            assert response.status_code == 200, (user.username, item.url, response.status_code)


def test_the_navigation_offers_the_log_to_those_who_may_read_it(world):
    for user in (world.superuser, world.city_admin):
        assert "audit" in [i.key for i in nav_items(user)]
    for user in (world.resident, world.grid_worker, world.town_operator, world.agency_staff, world.outsider):
        assert "audit" not in [i.key for i in nav_items(user)]
    assert next(i for i in nav_items(world.city_admin) if i.key == "audit").group == "more"


def test_the_overview_entry_is_current_on_its_rankings_report_and_wall(world, client):
    from civicgrid.site.templatetags.civicgrid import current_nav_key

    items = nav_items(world.town_operator)
    assert current_nav_key(items, "/cases/work/overview/") == "overview"
    for path in ("/cases/work/rankings/", "/cases/work/report/monthly/", "/cases/work/wall/"):
        assert current_nav_key(items, path) == "overview", path
    assert current_nav_key(items, "/cases/work/") == "work"
    assert current_nav_key(items, "/cases/work/centre/") == "centre"
    client.force_login(world.town_operator)
    html = client.get("/cases/work/rankings/").content.decode()
    assert 'data-nav="overview" aria-current="page"' in html
    assert 'data-nav="work" aria-current="page"' not in html
