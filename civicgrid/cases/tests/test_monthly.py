"""The monthly report (civicgrid.cases.monthly) on the hand-built cases of test_figures, worked out by hand.

The three cases of test_figures (town A, grid A1a, "damaged road" C0201: case 1 reported 31 Jan, cases 2
and 3 in February, all closed in February), plus two more:

4. Town A, "other facility" C0601, reported 20 Jan 10:00 and never verified: open, and overdue now
   (its verification was due a day later).
5. Town B, C0201, reported 15 Feb 10:00: never in town A's report.

The report is read on 5 March 2026, 10:00 (Shanghai). Town A, February against January:

- new 2 (cases 2, 3) against 2 (cases 1, 4): change 0; dispatched 2 (case 2 twice) against 1 (case 1,
  dispatched 31 Jan); closed 3 against 0; closed late 3 − 2 on time = 1 against 0; still open today of
  each month's new cases: February's 0, January's 1 (case 4); overdue now: 1 (case 4).
- rates (test_figures): response 0 ÷ 2 against 1 ÷ 1 (−100 points), returns 1 ÷ 2 against 0 ÷ 1
  (+50 points), resolution 2 ÷ 4, satisfaction 3 ÷ 4, on-time closure 2 ÷ 3, first-time 2 ÷ 3,
  rework 1 ÷ 4 against nothing to divide by (—), verification on time 1 ÷ 2 against 1 ÷ 1 (−50).
- handling time: average 209 h, 90th percentile 412.2 h; January none.
- composite score (30, 30, 30, 10): (0 + 30 × 50 + 30 × 75 + 10 × 66.67) ÷ 100 = 44.17; January only
  the response rate, 100 %: 100. Change −55.83.
- rankings (a town: villages, agencies, grid workers): village A1 44.17, 1st both months; the water
  bureau 40.0; the grid worker 50.0 (1 of 2 verifications on time).
- categories: roads and traffic (C02) 2 against 1 (+1, 100 % of 2), of it C0201 2 against 1; other
  facilities (C06) 0 against 1 (−1, 0 %), of it C0601 0 against 1.
- the water bureau: 2 dispatched, response 0 ÷ 2, returns 1 ÷ 2, closed 2 (cases 1 and 2), on time
  2 ÷ 2, resolution 1 ÷ 3, satisfaction 2 ÷ 3, score (0 + 30 × 33.3 + 30 × 66.7 + 10 × 100) ÷ 100 = 40.
- repeat locations: cases 1, 2 and 3 at one point in the 30 days to 28 February (case 4 is older): one.
"""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from civicgrid.cases import monthly
from civicgrid.cases.models import Category
from civicgrid.cases.tests.conftest import report
from civicgrid.cases.tests.test_figures import clock, three  # noqa: F401 - fixtures
from civicgrid.core.errors import ApplicationError, PermissionDenied
from civicgrid.core.models import AuditEntry

FEB = date(2026, 2, 1)
NOW = "2026-03-05 10:00"
TOWN_B = {"lon": 120.805, "lat": 31.605}
PAGE = "/cases/work/report/monthly/"
BOOK = "/cases/work/report/monthly.xlsx"
API = "/api/v1/cases/monthly-report"


@pytest.fixture
def five(three, clock):  # noqa: F811
    """The three cases of test_figures, a January case left unverified and a February case in town B."""
    clock("2026-01-20 10:00")
    report(three, Category.objects.get(code="C0601"))
    clock("2026-02-15 10:00")
    b = report(three, Category.objects.get(code="C0201"), **TOWN_B)
    assert b.town_id == three.town_b.pk
    clock(NOW)
    return three


def values(r: monthly.MonthlyReport) -> dict[str, tuple]:
    return {v.key: (v.value, v.previous, v.change) for v in r.volumes}


def rates(r: monthly.MonthlyReport) -> dict[str, tuple]:
    return {
        row.key: ((row.rate.part, row.rate.whole), (row.previous.part, row.previous.whole), row.change)
        for row in r.rates
    }


def test_the_towns_february_as_worked_out_by_hand(five):
    r = monthly.monthly_report(user=five.town_operator, month=FEB)
    assert (r.title, r.month, r.last_day, r.previous_month, r.partial) == (
        five.town_a.display_name, FEB, date(2026, 2, 28), date(2026, 1, 1), False,
    )  # fmt: skip
    assert values(r) == {
        "new": (2, 2, 0),
        "dispatched": (2, 1, 1),
        "closed": (3, 0, 3),
        "closed_late": (1, 0, 1),
        "still_open": (0, 1, -1),
        "overdue_now": (1, None, None),
    }
    found = rates(r)
    assert found["response"] == ((0, 2), (1, 1), pytest.approx(-100.0))
    assert found["returns"] == ((1, 2), (0, 1), pytest.approx(50.0))
    assert found["resolution"] == ((2, 4), (0, 0), None)
    assert found["satisfaction"] == ((3, 4), (0, 0), None)
    assert found["on_time_closure"] == ((2, 3), (0, 0), None)
    assert found["first_time"] == ((2, 3), (0, 0), None)
    assert found["rework"] == ((1, 4), (0, 0), None)
    assert found["verification_on_time"] == ((1, 2), (1, 1), pytest.approx(-50.0))
    assert (r.average_hours, r.p90_hours) == (pytest.approx(209.0), pytest.approx(412.2))
    assert (r.previous_average_hours, r.previous_p90_hours) == (None, None)
    assert r.score == pytest.approx(44.1667, abs=1e-3) and r.previous_score == pytest.approx(100.0)
    assert r.score_change == pytest.approx(-55.8333, abs=1e-3)
    assert r.weights == {"response": 30, "resolution": 30, "satisfaction": 30, "on_time_closure": 10}


def test_the_rankings_categories_agencies_and_hotspots(five):
    r = monthly.monthly_report(user=five.town_operator, month=FEB)
    ranked = {
        x.kind: [(e.name, e.rank, round(e.score, 2), e.previous_rank) for e in x.entries] for x in r.rankings
    }
    assert ranked == {
        "villages": [(five.village_a1.display_name, 1, 44.17, 1)],
        "agencies": [(five.agency.name, 1, 40.0, 1)],
        "workers": [(five.grid_worker.display_name, 1, 50.0, 1)],
    }
    assert (r.new_total, r.previous_new_total) == (2, 2)
    cats = [
        (c.category.code, c.new, c.previous, c.change, c.share.value, [(m.category.code, m.new, m.previous) for m in c.minors])
        for c in r.categories
    ]  # fmt: skip
    assert cats == [("C02", 2, 1, 1, 1.0, [("C0201", 2, 1)]), ("C06", 0, 1, -1, 0.0, [("C0601", 0, 1)])]
    (water,) = r.agencies
    f = water.figures
    assert (water.name, f.dispatched, f.closed) == (five.agency.name, 2, 2)
    assert [(x.part, x.whole) for x in (f.response, f.returns, f.on_time_closure, f.resolution, f.satisfaction)] == [
        (0, 2), (1, 2), (2, 2), (1, 3), (2, 3)
    ]  # fmt: skip
    assert water.score == pytest.approx(40.0)
    assert r.rising == []  # fewer than three new cases in any class
    assert [s.count for s in r.spots] == [3] and r.spots_until == date(2026, 2, 28)


def test_a_later_case_at_the_same_spot_stays_out_of_an_earlier_months_spots(five, clock):  # noqa: F811
    clock("2026-03-02 10:00")
    report(five, Category.objects.get(code="C0201"))
    clock(NOW)
    february = monthly.monthly_report(user=five.town_operator, month=FEB)
    assert [s.count for s in february.spots] == [3]
    march = monthly.monthly_report(user=five.town_operator, month=date(2026, 3, 1))
    # The 30 days to 5 March 10:00 hold the March case and case 3 only (case 2 came on 2 February).
    assert march.spots == [] and march.spots_until == date(2026, 3, 5)


def test_a_month_with_nothing_in_it_shows_dashes_and_divides_by_nothing(five):
    r = monthly.monthly_report(user=five.town_operator, month=date(2025, 6, 1))
    assert {k: v[:2] for k, v in values(r).items()} == {
        "new": (0, 0), "dispatched": (0, 0), "closed": (0, 0), "closed_late": (0, 0), "still_open": (0, 0),
        "overdue_now": (1, None),
    }  # fmt: skip
    for row in r.rates:
        assert row.rate.value is None and row.rate.percent() == "—" and row.change is None
    assert (r.average_hours, r.p90_hours, r.score, r.previous_score) == (None, None, None, None)
    assert r.categories == [] and r.agencies == [] and r.spots == []
    assert all(e.rank is None and e.score is None for x in r.rankings for e in x.entries)


def test_the_district_counts_town_b_too_and_the_town_never_does(five):
    district = monthly.monthly_report(user=five.city_admin, month=FEB)
    assert values(district)["new"] == (3, 2, 1)
    towns = next(x for x in district.rankings if x.kind == "towns")
    assert [e.code for e in towns.entries] == [five.town_a.code, five.town_b.code]
    with pytest.raises(PermissionDenied):
        monthly.monthly_report(user=five.town_operator, month=FEB, region=five.town_b.code)
    village = monthly.monthly_report(user=five.town_operator, month=FEB, region=five.village_a1.code)
    assert village.title == five.village_a1.display_name and values(village)["new"] == (2, 2, 0)


def test_the_agency_gets_its_own_work(five):
    r = monthly.monthly_report(user=five.agency_staff, month=FEB)
    assert r.agency == five.agency and r.rankings == [] and r.categories == []
    assert [v.key for v in r.volumes] == ["dispatched", "closed", "closed_late", "open_now", "overdue_now"]
    assert values(r)["dispatched"] == (2, 1, 1) and values(r)["closed"] == (2, 0, 2)
    assert [a.key for a in r.agencies] == [five.agency.pk]


@pytest.mark.parametrize("who", ["resident", "outsider", "grid_worker"])
def test_it_denies_those_without_an_overview(five, client, login, who):
    user = getattr(five, who)
    with pytest.raises(PermissionDenied):
        monthly.monthly_report(user=user, month=FEB)
    login(user)
    assert client.get(PAGE).status_code == 403
    assert client.get(PAGE, {"month": "nonsense"}).status_code == 403
    assert client.get(BOOK, {"month": "2026-02"}).status_code == 403
    answer = client.get(API, {"month": "2026-02"})
    assert answer.status_code == 403 and answer.json()["code"] == "forbidden"
    assert client.get(API, {"month": "2099-01"}).status_code == 403
    assert not AuditEntry.objects.filter(action="cases.monthly_report").exists()


def test_anonymous_is_sent_to_sign_in(db, client):
    assert client.get(PAGE).status_code == 302
    assert client.get(BOOK).status_code == 302
    assert client.get(API).status_code == 401


@pytest.mark.parametrize(
    ("text", "code"),
    [("2026-04", "future_month"), ("2026-13", "invalid_month"), ("2026-2", "invalid_month"),
     ("abc", "invalid_month"), ("1999-12", "invalid_month"), ("0000-01", "invalid_month")],
)  # fmt: skip
def test_a_future_or_malformed_month_is_refused(five, client, login, text, code):
    with pytest.raises(ApplicationError) as refused:
        monthly.month_of(text, date(2026, 3, 5))
    assert refused.value.code == code
    login(five.town_operator)
    page = client.get(PAGE, {"month": text})
    assert page.status_code == 400
    assert refused.value.message in page.content.decode()
    answer = client.get(API, {"month": text})
    assert answer.status_code == 400 and answer.json()["code"] == code
    assert client.get(BOOK, {"month": text}).status_code == 400


def test_the_default_is_last_month_and_this_month_is_so_far(five):
    assert monthly.month_of("", date(2026, 3, 5)) == FEB
    assert monthly.month_of("2026-03", date(2026, 3, 5)) == date(2026, 3, 1)
    r = monthly.monthly_report(user=five.town_operator, month=date(2026, 3, 1))
    assert r.partial and values(r)["new"] == (0, 2, -2)


def test_the_page_shows_the_report_and_links_its_workbook(five, client, login):
    login(five.town_operator)
    page = client.get(PAGE)  # last month: February
    assert page.status_code == 200
    html = page.content.decode()
    assert five.town_a.display_name in html and "44.2" in html and "75.0%" in html
    assert 'href="/cases/work/report/monthly.xlsx?month=2026-02"' in html
    assert 'src="/static/js/monthly.js"' in html and "monthly.css" in html
    assert "<script>" not in html  # the CSP allows no inline script
    # The month picker, the earlier month; no later month after this one.
    assert 'name="month" value="2026-02"' in html and "?month=2026-01" in html
    # The overview and the rankings link to it.
    overview = client.get("/cases/work/overview/", {"period": "last_month"}).content.decode()
    assert 'href="/cases/work/report/monthly/?month=2026-02"' in overview
    ranks = client.get("/cases/work/rankings/", {"month": "2026-02"}).content.decode()
    assert 'href="/cases/work/report/monthly/?month=2026-02"' in ranks


def test_the_api_answers_the_same_figures(five, client, login):
    login(five.town_operator)
    answer = client.get(API, {"month": "2026-02"})
    assert answer.status_code == 200, answer.content
    data = answer.json()
    assert (data["month"], data["previous_month"], data["partial"]) == ("2026-02", "2026-01", False)
    assert data["volumes"]["new"] == {"value": 2, "previous": 2, "change": 0, "exact": True}
    assert data["rates"]["satisfaction"]["now"] == {"value": 0.75, "part": 3, "whole": 4}
    assert data["rates"]["satisfaction"]["previous"] == {"value": None, "part": 0, "whole": 0}
    assert data["rates"]["response"]["change"] == pytest.approx(-100.0)
    assert data["score"]["value"] == pytest.approx(44.1667, abs=1e-3)
    assert [x["kind"] for x in data["rankings"]] == ["villages", "agencies", "workers"]
    assert (
        data["categories"]["majors"][0]["code"] == "C02" and data["categories"]["majors"][0]["share"] == 1.0
    )
    assert data["agencies"][0]["rates"]["returns"] == {"value": 0.5, "part": 1, "whole": 2}
    assert len(data["repeat_locations"]) == 1
    assert client.get(API, {"month": "2026-02", "region": five.town_b.code}).status_code == 403


def test_the_workbook_holds_the_figures_cell_by_cell(five, client, login):
    login(five.town_operator)
    response = client.get(BOOK, {"month": "2026-02"})
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('filename="monthly-report-2026-02.xlsx"')
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book.sheetnames == ["Summary", "Rankings", "Categories", "Agencies"]
    summary = book["Summary"]
    assert five.town_a.display_name in summary["A1"].value and "2026" in summary["A1"].value
    assert summary.freeze_panes == "A4"
    assert [c.value for c in summary[3]] == ["Figure", "This month", "Last month", "Change", "What it counts"]
    assert [c.value for c in summary[4][:4]] == ["New", 2, 2, 0]
    rows = {row[0].value: row for row in summary.iter_rows(min_row=4)}
    satisfaction = rows["Satisfaction rate"]
    assert (satisfaction[1].value, satisfaction[1].number_format, satisfaction[2].value) == (
        0.75,
        "0.0%",
        "—",
    )
    response_rate = rows["Response rate"]
    assert (response_rate[1].value, response_rate[2].value, response_rate[3].value) == (
        0,
        1,
        pytest.approx(-100),
    )
    assert rows["Composite score"][1].value == pytest.approx(44.1667, abs=1e-3)
    assert rows["Average handling time (h)"][1].value == pytest.approx(209.0)
    ranks = list(book["Rankings"].iter_rows(min_row=4, values_only=True))
    assert [(r[0], r[1], r[2]) for r in ranks] == [
        ("Villages / communities", 1, five.village_a1.display_name),
        ("Agencies", 1, five.agency.name),
        ("Grid workers", 1, five.grid_worker.display_name),
    ]
    cats = list(book["Categories"].iter_rows(min_row=4, values_only=True))
    assert cats[0][2:6] == (2, 1, 1, 1.0) and cats[-1][0] == "Every category" and cats[-1][2] == 2
    agencies = list(book["Agencies"].iter_rows(min_row=4, values_only=True))
    assert agencies == [(five.agency.name, 2, 0, 0.5, 2, 1, pytest.approx(1 / 3), pytest.approx(2 / 3), 40.0)]
    entry = AuditEntry.objects.get(action="cases.monthly_report")
    assert entry.actor == five.town_operator and entry.changes["month"] == "2026-02"


def test_the_workbook_is_chinese_by_default(five):
    chinese = Client()
    chinese.force_login(five.town_operator)
    response = chinese.get(BOOK, {"month": "2026-02"})
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book.sheetnames == ["概况", "排名", "分类", "职能部门"]
    assert book["概况"]["A4"].value == "新增"


def test_an_empty_months_workbook_has_dashes_not_errors(five, client, login):
    login(five.town_operator)
    response = client.get(BOOK, {"month": "2025-06"})
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = {row[0].value: row for row in book["Summary"].iter_rows(min_row=4)}
    assert rows["Satisfaction rate"][1].value == "—" and rows["Composite score"][1].value == "—"
    assert [row[0] for row in book["Agencies"].iter_rows(min_row=4, values_only=True)] == [
        "Nothing in this month."
    ]


def test_its_queries_do_not_grow_with_the_cases(five, clock):  # noqa: F811
    """Kept rows are read, not cases: three more January cases cost no more statements (they change no
    branch: no class rises, no spot appears)."""

    def statements() -> int:
        cache.clear()  # the month's repeat locations are kept an hour: count their statements too
        with CaptureQueriesContext(connection) as captured:
            monthly.monthly_report(user=five.town_operator, month=FEB)
        return len(captured.captured_queries)

    before = statements()
    for n in range(3):
        clock(f"2026-01-2{n} 10:00")
        report(five, Category.objects.get(code="C0201"), lon=120.701 + n * 0.002)
    clock(NOW)
    assert statements() == before
    assert values(monthly.monthly_report(user=five.town_operator, month=FEB))["new"][:2] == (2, 5)


def test_a_long_ranking_prints_its_head_and_tail_and_links_the_full_one(five, client, login, monkeypatch):
    monkeypatch.setattr(monthly, "RANKED_HEAD", 0)
    monkeypatch.setattr(monthly, "RANKED_TAIL", 1)
    login(five.city_admin)
    report_ = monthly.monthly_report(user=five.city_admin, month=FEB)
    towns = next(r for r in report_.rankings if r.kind == "towns")
    assert len(towns.entries) == 2
    html = client.get(PAGE, {"month": "2026-02"}).content.decode()
    table = html[html.index('data-ranking="towns"') :]
    table = table[: table.index("</table>")]
    # The first unit is cut (a head of none), the gap says how many, the last one is printed.
    assert towns.entries[0].name not in table and towns.entries[1].name in table
    assert "2 ranked in all" in table
    assert 'href="/cases/work/rankings/?kind=towns&amp;month=2026-02"' in table
    # The API sends the same units, with how many there are in all.
    sent = client.get("/api/v1/cases/monthly-report", {"month": "2026-02"}).json()
    towns_sent = next(r for r in sent["rankings"] if r["kind"] == "towns")
    assert towns_sent["total"] == 2
    assert [e["name"] for e in towns_sent["entries"]] == [towns.entries[1].name]


def test_the_rankings_page_pages_a_long_ranking(five, client, login, monkeypatch):
    from civicgrid.cases import rankings, views_overview

    monkeypatch.setattr(views_overview, "RANKING_PAGE", 1)
    login(five.city_admin)
    entries = rankings.ranking(user=five.city_admin, kind="towns", month=FEB).entries
    first = client.get("/cases/work/rankings/", {"kind": "towns", "month": "2026-02"}).content.decode()
    assert entries[0].name in first and entries[1].name not in first
    assert "1–1 of 2" in first and 'rel="next"' in first and "page=2" in first
    second = client.get("/cases/work/rankings/", {"kind": "towns", "month": "2026-02", "page": "2"})
    html = second.content.decode()
    assert entries[1].name in html and entries[0].name not in html and 'rel="prev"' in html
