"""The staff map: a page without cases, and the endpoint that answers each viewport.

The test world's grids are 0.01° squares (about 1 km): at zoom 15 a grid is ~250 px across (counts
per grid, outlines drawn), at zoom 11 ~15 px (a town counted whole; no outlines of grids).
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from civicgrid.cases import selectors_map
from civicgrid.cases.models import Case, Category
from civicgrid.cases.tests.conftest import PATHS, backdate, report, walk

MAP = reverse("cases:map")
MAP_DATA = reverse("cases:map_data")
WORLD_BOX = "120.69,31.59,120.82,31.62"
GRID_A1A_BOX = "120.70,31.60,120.71,31.61"
TOWN_B = {"lon": 120.805, "lat": 31.605}
BETWEEN = {"lon": 120.7205, "lat": 31.605}  # outside every grid, filed under village A1


@pytest.fixture
def quick(db) -> Category:
    """A category that needs no photo, so many cases are cheap to make."""
    return Category.objects.get(code="C0601")


def answer(client, **params) -> dict:
    response = client.get(MAP_DATA, {"bbox": WORLD_BOX, "zoom": 15, **params})
    assert response.status_code == 200, response.content
    return response.json()


def config(response) -> dict:
    match = re.search(r'<script id="map-config" type="application/json">(.*?)</script>', response.text, re.S)
    assert match, "the map page carries no configuration"
    return json.loads(match.group(1))


def test_the_page_carries_no_case_and_points_the_map_at_its_filters(login, cw, category):
    a = report(cw, category)
    outside = report(cw, category, **BETWEEN)
    response = login(cw.town_operator).get(MAP, {"state": "reported"})
    assert response.status_code == 200
    assert a.tracking_number not in response.text
    # The unrouted report is listed beside the map.
    assert outside.tracking_number in response.text
    assert response.context["unrouted_count"] == 1
    conf = config(response)
    assert conf["url"] == f"{MAP_DATA}?state=reported"
    # The map opens on town A's grids.
    assert conf["bounds"] == [120.70, 31.60, 120.72, 31.61]
    assert conf["steps"]["reported"] == "verify"


def test_it_answers_the_markers_of_the_scoped_open_cases_in_view(login, cw, category):
    a = report(cw, category)
    late = walk(cw, report(cw, category), PATHS["town"])
    Case.objects.filter(pk=late.pk).update(is_overdue=True)
    closed = walk(cw, report(cw, category), PATHS["closed"])
    b = report(cw, category, **TOWN_B)
    report(cw, category, **BETWEEN)
    data = answer(login(cw.town_operator))
    assert data["mode"] == "markers"
    by_number = {c["n"]: c for c in data["cases"]}
    assert set(by_number) == {a.tracking_number, late.tracking_number}
    assert by_number[late.tracking_number]["l"] == 1
    assert by_number[late.tracking_number]["s"] == "town"
    assert by_number[a.tracking_number] == {
        "n": a.tracking_number,
        "s": "reported",
        "c": "C0201",
        "a": "",
        "u": 0,
        "l": 0,
        "x": 120.705,
        "y": 31.605,
    }
    assert data["categories"] == {"C0201": "Damaged road or pothole"}
    assert data["total"] == 2
    assert data["status"] == "2 cases here"
    assert {o["name"] for o in data["outlines"]} == {cw.grid_a1a.name, cw.grid_a1b.name}
    assert b.tracking_number not in json.dumps(data)
    assert closed.tracking_number not in json.dumps(data)


def test_it_answers_only_what_lies_in_the_box(login, cw, category):
    a = report(cw, category)
    report(cw, category, lon=120.715, lat=31.605)  # grid A1b
    data = answer(login(cw.town_operator), bbox=GRID_A1A_BOX, zoom=16)
    assert [c["n"] for c in data["cases"]] == [a.tracking_number]
    # Grid A1b touches the box along its west edge: its outline is drawn.
    assert {o["name"] for o in data["outlines"]} == {cw.grid_a1a.name, cw.grid_a1b.name}
    assert answer(login(cw.town_operator), bbox="121.0,31.0,121.1,31.1")["cases"] == []


def test_the_grid_workers_map_holds_their_grid(login, cw, category):
    a = report(cw, category)
    report(cw, category, lon=120.715, lat=31.605)  # grid A1b
    client = login(cw.grid_worker)
    data = answer(client)
    assert {c["n"] for c in data["cases"]} == {a.tracking_number}
    assert {o["name"] for o in data["outlines"]} == {cw.grid_a1a.name}
    # Zoomed out past grids, the grid still counts as one area of its own.
    far = answer(client, zoom=11)
    assert far["mode"] == "markers" and far["total"] == 1


def test_it_filters_by_step_overdue_and_area(login, cw, category):
    reported = report(cw, category)
    late = walk(cw, report(cw, category), PATHS["town"])
    Case.objects.filter(pk=late.pk).update(step_due_at=timezone.now() - timedelta(hours=1))
    other = report(cw, category, lon=120.715, lat=31.605)  # grid A1b
    client = login(cw.town_operator)
    assert {c["n"] for c in answer(client, state="reported")["cases"]} == {
        reported.tracking_number,
        other.tracking_number,
    }
    assert {c["n"] for c in answer(client, overdue="on")["cases"]} == {late.tracking_number}
    assert {c["n"] for c in answer(client, region=cw.grid_a1b.code)["cases"]} == {other.tracking_number}
    assert answer(client, region=cw.grid_b1a.code)["cases"] == []


@pytest.mark.parametrize("filters", [{}, {"category": "C06"}], ids=["kept counts", "grouped cases"])
def test_a_full_view_gets_counts_per_place_instead_of_markers(login, cw, quick, monkeypatch, filters):
    monkeypatch.setattr(selectors_map, "MARKER_LIMIT", 2)
    for _ in range(2):
        report(cw, quick, photos=[])
    report(cw, quick, photos=[], lon=120.715, lat=31.605)  # grid A1b
    report(cw, quick, photos=[], **BETWEEN)
    client = login(cw.town_operator)
    data = answer(client, **filters)
    assert data["mode"] == "clusters"
    assert data["cases"] == []
    assert data["level"] == "grid"
    assert {c["name"]: c["n"] for c in data["clusters"]} == {cw.grid_a1a.name: 2, cw.grid_a1b.name: 1}
    assert data["total"] == 3
    assert data["status"] == "3 cases here: too many to draw one by one. Zoom in, or tap a circle."
    a1a = next(c for c in data["clusters"] if c["name"] == cw.grid_a1a.name)
    assert (a1a["x"], a1a["y"]) == (120.705, 31.605)
    assert a1a["b"] == [120.70, 31.60, 120.71, 31.61]
    # Zoomed out, the town operator's town is one circle (its report outside every grid too): its
    # village would show smaller than CLUSTER_PX.
    far = answer(client, zoom=11, **filters)
    assert far["level"] == "town"
    assert [(c["name"], c["n"]) for c in far["clusters"]] == [("Town A", 4)]
    assert far["outlines"] == []
    # Close enough, the first cases are drawn whatever their number.
    close = answer(client, zoom=selectors_map.MARKER_ZOOM, **filters)
    assert close["mode"] == "markers"
    assert close["capped"] is True
    assert len(close["cases"]) == 2
    assert close["status"].startswith("3 cases here; the first 2 are drawn")


def test_the_kept_counts_answer_only_plain_filters(cw):
    from civicgrid.cases.selectors import CaseFilters

    today = timezone.localdate()
    plain = selectors_map.MapFilters(CaseFilters(region="329981001", date_from=today))
    assert plain.kept_counts_answer() and plain.states() == list(selectors_map.OPEN_STATES)
    every = selectors_map.MapFilters(CaseFilters(), open_only=False)
    assert every.kept_counts_answer() and every.states() is None
    one = selectors_map.MapFilters(CaseFilters(state="closed"), open_only=False)
    assert one.kept_counts_answer() and one.states() == ["closed"]
    for other in (CaseFilters(category="C06"), CaseFilters(text="井盖"), CaseFilters(source="hotline")):
        assert not selectors_map.MapFilters(other).kept_counts_answer()
    assert not selectors_map.MapFilters(CaseFilters(), overdue_only=True).kept_counts_answer()


def test_too_many_cases_to_count_with_other_filters_show_where_they_are(login, cw, quick, monkeypatch):
    monkeypatch.setattr(selectors_map, "MARKER_LIMIT", 1)
    monkeypatch.setattr(selectors_map, "COUNT_ROWS_LIMIT", 2)
    for _ in range(2):
        report(cw, quick, photos=[])
    report(cw, quick, photos=[], lon=120.715, lat=31.605)  # grid A1b
    client = login(cw.town_operator)
    data = answer(client, category="C06")
    assert data["mode"] == "clusters" and data["uncounted"] is True
    assert {c["name"]: c["n"] for c in data["clusters"]} == {cw.grid_a1a.name: None, cw.grid_a1b.name: None}
    assert data["status"] == (
        "Up to 3 cases here: too many to count with these filters. Zoom in, or narrow the dates."
    )
    # The area, step and date filters are counted whatever their number.
    assert answer(client)["uncounted"] is False
    # A smaller view reads few enough rows to count.
    small = answer(client, bbox="120.711,31.60,120.719,31.61", category="C06")
    assert small["uncounted"] is False and small["mode"] == "markers" and small["total"] == 1


def test_counts_follow_the_date_filter(login, cw, quick, monkeypatch):
    monkeypatch.setattr(selectors_map, "MARKER_LIMIT", 0)
    report(cw, quick, photos=[])
    backdate(report(cw, quick, photos=[]), days=3)
    client = login(cw.town_operator)
    today = timezone.localdate().isoformat()
    assert answer(client)["total"] == 2
    assert answer(client, date_from=today)["total"] == 1
    assert answer(client, date_from=today, category="C06")["total"] == 1


def test_the_superuser_sees_every_area(login, cw, quick):
    report(cw, quick, photos=[])
    report(cw, quick, photos=[], **TOWN_B)
    data = answer(login(cw.superuser))
    assert data["total"] == 2
    assert {o["name"] for o in data["outlines"]} == {cw.grid_a1a.name, cw.grid_a1b.name, cw.grid_b1a.name}


@pytest.mark.parametrize(
    "params",
    [
        {"bbox": "x"},
        {"bbox": "1,2,3"},
        {"bbox": "3,2,1,4"},
        {"bbox": "1,2,3,nan"},
        {"zoom": "30"},
        {"zoom": "z"},
    ],
)
def test_it_refuses_a_malformed_viewport(login, cw, params):
    response = login(cw.town_operator).get(MAP_DATA, {"bbox": WORLD_BOX, "zoom": 15, **params})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_without_a_zoom_the_box_is_taken_as_a_screen_wide(login, cw, category):
    report(cw, category)
    client = login(cw.town_operator)
    # 0.5° over 1,024 px is about zoom 11.5: the town counted whole, no grid outlines.
    far = client.get(MAP_DATA, {"bbox": "120.5,31.4,121.0,31.8"}).json()
    assert far["level"] == "town" and far["total"] == 1
    near = client.get(MAP_DATA, {"bbox": GRID_A1A_BOX}).json()
    assert near["mode"] == "markers" and len(near["outlines"]) == 2


@pytest.mark.parametrize("who", ["resident", "agency_staff"])
def test_it_denies_people_without_the_map(login, cw, who):
    assert login(getattr(cw, who)).get(MAP_DATA, {"bbox": WORLD_BOX, "zoom": 15}).status_code == 403


def test_it_denies_anonymous_visitors(client, cw):
    response = client.get(MAP_DATA, {"bbox": WORLD_BOX, "zoom": 15})
    assert response.status_code == 302


def test_the_endpoint_reads_the_same_number_of_queries_for_5_and_20_cases(login, cw, quick):
    client = login(cw.town_operator)
    for _ in range(5):
        report(cw, quick, photos=[])

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            answer(client)
        return len(ctx.captured_queries)

    queries()  # the process's map index is built once
    few = queries()
    for _ in range(15):
        report(cw, quick, photos=[])
    assert queries() == few
    assert few <= 8


def test_the_page_reads_the_same_number_of_queries_for_5_and_20_cases(login, cw, quick):
    client = login(cw.town_operator)
    for _ in range(5):
        report(cw, quick, photos=[], **BETWEEN)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(MAP).status_code == 200
        return len(ctx.captured_queries)

    queries()  # the process's map index is built once
    few = queries()
    for _ in range(15):
        report(cw, quick, photos=[], **BETWEEN)
    assert queries() == few


def test_a_place_is_counted_as_its_children_only_where_they_show_big_enough(cw):
    from civicgrid.places import mapindex

    index = mapindex.current()
    district = index.by_code[cw.district.code]
    world = (120.69, 31.59, 120.82, 31.62)
    # Zoom 13.25 (13.4 m a pixel): the towns show ~108 and ~77 px (median 92): split; town A's village
    # ~108 px: split, its grids ~77 px: not; town B's village ~77 px: not. Levels mix.
    assert [p.code for p in index.split([district], world, 13.25, 80)] == [cw.village_a1.code, cw.town_b.code]
    # Zoom 12 (31.8 m a pixel): the towns would show ~40 px: the district stays whole.
    assert [p.code for p in index.split([district], world, 12, 80)] == [cw.district.code]
    # Zoom 15: down to the grids; a box over town B only keeps town B's grid.
    assert [p.code for p in index.split([district], world, 15, 80)] == [
        cw.grid_a1a.code,
        cw.grid_a1b.code,
        cw.grid_b1a.code,
    ]
    assert [p.code for p in index.split([district], (120.80, 31.60, 120.81, 31.61), 15, 80)] == [
        cw.grid_b1a.code
    ]


def test_a_view_over_part_of_a_full_grid_draws_the_markers_it_holds(login, cw, quick, monkeypatch):
    monkeypatch.setattr(selectors_map, "MARKER_LIMIT", 2)
    corner = report(cw, quick, photos=[], lon=120.701, lat=31.601)
    for _ in range(2):
        report(cw, quick, photos=[], lon=120.708, lat=31.608)
    client = login(cw.town_operator)
    assert answer(client, bbox=GRID_A1A_BOX, zoom=16)["mode"] == "clusters"
    data = answer(client, bbox="120.7005,31.6005,120.703,31.603", zoom=18)
    assert data["mode"] == "markers" and data["capped"] is False
    assert [c["n"] for c in data["cases"]] == [corner.tracking_number]
    data = answer(client, bbox="120.7005,31.6005,120.703,31.603", zoom=16)
    assert data["mode"] == "markers" and [c["n"] for c in data["cases"]] == [corner.tracking_number]
