"""The wall screen (views_overview.wall): the overview of the user's scope on the command centre's
display, under the overview's access rule, with a board that refreshes alone and shows the same
figures as `overview.overview`."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from civicgrid.cases import overview as ov
from civicgrid.cases.models import Case
from civicgrid.cases.tests.conftest import PATHS, report, walk

WALL = reverse("cases:wall")
HTMX = {"HTTP_HX_REQUEST": "true"}
GRID_A1B = {"lon": 120.715, "lat": 31.605}
TOWN_B = {"lon": 120.805, "lat": 31.605}


@pytest.fixture
def town(cw, category):
    """Village A1: in grid A1a a case overdue now and one dispatched; in grid A1b three fresh reports;
    in town B one report (never on town A's wall)."""
    w = cw
    overdue = walk(w, report(w, category), PATHS["dispatched"])
    Case.objects.filter(pk=overdue.pk).update(step_due_at=timezone.now() - timedelta(hours=1))
    walk(w, report(w, category), PATHS["dispatched"])
    for _ in range(3):
        report(w, category, **GRID_A1B)
    report(w, category, **TOWN_B)
    return w


def tiles_of(html: str) -> dict[str, str]:
    """The counts the wall shows, by key, as drawn."""
    return dict(
        re.findall(r'data-tile="(\w+)"[^>]*>\s*<span class="wall-tile__label">[^<]*</span>\s*'
                   r'<span class="wall-tile__value[^"]*">([^<]+)</span>', html)
    )  # fmt: skip


def test_the_town_operator_opens_the_wall_without_the_site_navigation(town, client, login):
    login(town.town_operator)
    page = client.get(WALL)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'class="site-header"' not in html
    assert 'id="wall-board"' in html
    assert f'hx-get="{WALL}?period=month"' in html
    assert 'hx-trigger="every 60s, wall-retry"' in html
    assert f'href="{reverse("cases:overview")}?period=month"' in html  # the way out
    assert tiles_of(html) == {"new_today": "5", "open": "5", "overdue": "1", "due_soon": "0", "closed": "0"}


@pytest.mark.parametrize("who", ["resident", "outsider", "grid_worker"])
def test_people_without_the_overview_are_refused(town, client, login, who):
    login(getattr(town, who))
    assert client.get(WALL).status_code == 403
    assert client.get(WALL, **HTMX).status_code == 403


def test_anonymous_is_sent_to_the_login_page(db, client):
    answer = client.get(WALL, {"period": "30d"})
    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("accounts:login"))


def test_the_board_carries_the_same_figures_as_the_overview(town, client, login):
    login(town.town_operator)
    board = client.get(WALL, {"period": "30d"}, **HTMX)
    assert board.status_code == 200
    # The page's script swaps only what carries this header: never a login page a redirect answered.
    assert board["X-Wall-Board"] == "1"
    assert "HX-Request" in board["Vary"]
    html = board.content.decode()
    assert "<html" not in html and 'id="wall-board"' not in html
    o = ov.overview(user=town.town_operator, period_key="30d")
    expected = {t.key: t.shown for t in o.tiles if t.key != "new"}
    assert tiles_of(html) == expected
    for line in o.rates:
        if line.key in ("response", "resolution", "satisfaction", "on_time_closure"):
            assert f'data-rate="{line.key}"' in html
    response = next(line.rate for line in o.rates if line.key == "response")
    assert f"{response.part} ÷ {response.whole}" in html
    data = board.context["chart"]
    assert data["trend"]["new"] == [n for _d, n, _c in o.trend]
    assert sum(c["value"] for c in data["categories"]) == sum(n for _c, n in o.categories)
    page = client.get(WALL, {"period": "30d"})
    assert tiles_of(page.content.decode()) == expected


def test_the_ranking_puts_the_most_overdue_first_then_the_most_open(town, client, login):
    login(town.town_operator)
    board = client.get(WALL, {"region": town.village_a1.code}, **HTMX)
    rows = re.findall(r'<tr data-place="(\d+)">', board.content.decode())
    # Grid A1b has more open cases (3 against 2) but grid A1a has the overdue one.
    assert rows == [town.grid_a1a.code, town.grid_a1b.code]
    o = ov.overview(user=town.town_operator, region=town.village_a1.code)
    ranked = ov.ranked_children(o.children)
    assert [(r.place, r.overdue, r.open) for r in ranked] == [(town.grid_a1a, 1, 2), (town.grid_a1b, 0, 3)]
    # The grid's name without the village's it repeats ("甲一村第1网格" under 甲一村).
    board = client.get(WALL, {"region": town.village_a1.code}, HTTP_ACCEPT_LANGUAGE="zh-hans", **HTMX)
    assert 'title="甲一村第1网格">第1网格</th>' in board.content.decode()


def test_region_and_period_pass_through_and_stay_in_the_scope(town, client, login):
    login(town.town_operator)
    page = client.get(WALL, {"region": town.village_a1.code, "period": "year"})
    assert page.status_code == 200
    html = page.content.decode()
    query = f"period=year&amp;region={town.village_a1.code}"
    assert f'hx-get="{WALL}?{query}"' in html
    assert f'href="{reverse("cases:overview")}?{query}"' in html
    assert town.village_a1.display_name in html
    assert client.get(WALL, {"region": town.town_b.code}).status_code == 403


def test_the_overview_links_to_its_wall(town, client, login):
    login(town.town_operator)
    page = client.get(reverse("cases:overview"), {"region": town.village_a1.code, "period": "30d"})
    assert (
        f'href="{WALL}?period=30d&amp;region={town.village_a1.code}" data-wall-link' in page.content.decode()
    )


def test_the_agency_wall_shows_its_counts_and_rates_only(town, client, login):
    login(town.agency_staff)
    page = client.get(WALL)
    assert page.status_code == 200
    html = page.content.decode()
    assert "wall--counts-only" in html
    assert tiles_of(html) == {"open": "2", "overdue": "1", "due_soon": "0", "dispatched": "2", "closed": "0"}
