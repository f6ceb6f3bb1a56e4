"""The overview (civicgrid.cases.overview): every count links to a list that holds as many cases, and
each user sees their own scope's figures only, on the page and through the API."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from civicgrid.cases import overview as ov
from civicgrid.cases import services
from civicgrid.cases.models import Case
from civicgrid.cases.tests.conftest import PATHS, jpeg, report, walk
from civicgrid.cases.views_common import overview_context

TOWN_B = {"lon": 120.805, "lat": 31.605}


@pytest.fixture
def busy(cw, category):
    """Town A: a fresh report, a case overdue now, one due within the hour, one in progress, one
    closed; town B: two reports and a closed case (never in town A's figures)."""
    w = cw
    now = timezone.now()
    report(w, category)
    overdue = walk(w, report(w, category), PATHS["dispatched"])
    Case.objects.filter(pk=overdue.pk).update(step_due_at=now - timedelta(hours=1))
    soon = walk(w, report(w, category), PATHS["dispatched"])
    Case.objects.filter(pk=soon.pk).update(step_due_at=now + timedelta(hours=1))
    walk(w, report(w, category), PATHS["in_progress"])
    walk(w, report(w, category), PATHS["closed"])
    report(w, category, **TOWN_B)
    report(w, category, **TOWN_B)
    b_closed = report(w, category, **TOWN_B)
    for action, who, kw in (
        ("accept", w.outsider, {}),
        ("handle_in_grid", w.outsider, {}),
        ("resolve", w.outsider, {"note": "已修复", "photos": [jpeg()]}),
        ("rate", w.resident, {"solved": True, "satisfaction": "satisfied"}),
    ):
        b_closed = services.case_act(case=b_closed, action=action, actor=who, **kw)
    assert b_closed.state == "closed"
    return w


def test_every_count_links_to_a_list_holding_as_many_cases(busy, client, login):
    login(busy.town_operator)
    o = ov.overview(user=busy.town_operator)
    values = {t.key: int(t.value) for t in o.tiles}
    assert values == {"new_today": 5, "new": 5, "open": 4, "overdue": 1, "due_soon": 1, "closed": 1}
    context = overview_context(o)
    for item in context["tiles"]:
        response = client.get(item["url"])
        assert response.status_code == 200, item
        assert int(response.context["total"]) == int(item["tile"].value), item["tile"].key
    for item in context["children"]:
        for key in ("open_url", "new_url", "overdue_url", "closed_url"):
            response = client.get(item[key])
            expected = {"open_url": item["row"].open, "new_url": item["row"].new,
                        "overdue_url": item["row"].overdue, "closed_url": item["row"].closed}[key]  # fmt: skip
            assert int(response.context["total"]) == expected, (item["row"].place, key)


def test_the_town_sees_its_villages_and_drills_down_to_one(busy, client, login):
    o = ov.overview(user=busy.town_operator)
    assert [row.place for row in o.children] == [busy.village_a1]
    assert (o.children[0].open, o.children[0].closed, o.children[0].overdue) == (4, 1, 1)
    village = ov.overview(user=busy.town_operator, region=busy.village_a1.code)
    assert village.title == busy.village_a1.display_name
    assert [row.place for row in village.children] == [busy.grid_a1a, busy.grid_a1b]
    login(busy.town_operator)
    page = client.get(reverse("cases:overview"), {"region": busy.village_a1.code})
    assert page.status_code == 200
    assert busy.grid_a1a.display_name in page.content.decode()


def test_a_town_never_counts_another_towns_cases(busy):
    mine = ov.overview(user=busy.town_operator)
    assert {t.key: int(t.value) for t in mine.tiles}["new"] == 5
    district = ov.overview(user=busy.city_admin)
    tiles = {t.key: int(t.value) for t in district.tiles}
    assert tiles["new"] == 8
    assert {row.place for row in district.children} == {busy.town_a, busy.town_b}
    with pytest.raises(ov.PermissionDenied):
        ov.overview(user=busy.town_operator, region=busy.town_b.code)
    with pytest.raises(ov.PermissionDenied):
        ov.overview(user=busy.town_operator, region=busy.village_b1.code)


@pytest.mark.parametrize("who", ["resident", "outsider", "grid_worker"])
def test_people_without_a_command_centre_or_agency_are_refused(busy, client, login, who):
    with pytest.raises(ov.PermissionDenied):
        ov.overview(user=getattr(busy, who))
    login(getattr(busy, who))
    assert client.get(reverse("cases:overview")).status_code == 403
    answer = client.get("/api/v1/cases/overview")
    assert answer.status_code == 403
    assert answer.json()["code"] == "forbidden"


def test_anonymous_gets_401_from_the_api_and_the_login_page_from_the_page(db, client):
    assert client.get("/api/v1/cases/overview").status_code == 401
    assert client.get(reverse("cases:overview")).status_code == 302


def test_the_agency_sees_its_own_work(busy):
    o = ov.overview(user=busy.agency_staff)
    tiles = {t.key: int(t.value) for t in o.tiles}
    # Dispatched to the water bureau: the overdue, the due-soon, the in-progress and the closed case.
    assert tiles == {"open": 3, "overdue": 1, "due_soon": 1, "dispatched": 4, "closed": 1}
    assert o.agency == busy.agency and o.children == []
    with pytest.raises(ov.PermissionDenied):
        ov.overview(user=busy.agency_staff, region=busy.town_a.code)


def test_the_api_answers_the_same_figures_as_the_page(busy, client, login):
    login(busy.town_operator)
    answer = client.get("/api/v1/cases/overview", {"period": "30d"})
    assert answer.status_code == 200, answer.content
    data = answer.json()
    assert data["counts"] == {"new_today": 5, "new": 5, "open": 4, "overdue": 1, "due_soon": 1, "closed": 1}
    assert data["rates"]["satisfaction"] == {"value": 1.0, "part": 1, "whole": 1}
    assert data["rates"]["rework"]["value"] == 0.0
    assert data["period"]["key"] == "30d"
    assert [c["code"] for c in data["children"]] == [busy.village_a1.code]
    assert len(data["trend"]) == ov.TREND_DAYS
    assert data["categories"][0]["new"] == 5
    assert client.get("/api/v1/cases/overview", {"period": "decade"}).status_code == 400
    assert client.get("/api/v1/cases/overview", {"region": busy.town_b.code}).status_code == 403


def test_the_page_shows_a_dash_for_a_rate_with_nothing_to_divide(cw, client, login):
    login(cw.town_operator)
    page = client.get(reverse("cases:overview")).content.decode()
    assert 'data-rate="satisfaction"' in page
    assert "—" in page


@pytest.mark.parametrize(
    ("key", "today", "start", "end"),
    [
        ("month", date(2026, 3, 15), date(2026, 3, 1), date(2026, 3, 15)),
        ("last_month", date(2026, 3, 15), date(2026, 2, 1), date(2026, 2, 28)),
        ("last_month", date(2026, 1, 5), date(2025, 12, 1), date(2025, 12, 31)),
        ("30d", date(2026, 3, 15), date(2026, 2, 14), date(2026, 3, 15)),
        ("year", date(2026, 3, 15), date(2026, 1, 1), date(2026, 3, 15)),
        ("nonsense", date(2026, 3, 15), date(2026, 3, 1), date(2026, 3, 15)),
    ],
)
def test_periods(key, today, start, end):
    period = ov.period_of(key, today)
    assert (period.start, period.end) == (start, end)
