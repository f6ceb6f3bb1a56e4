"""Benchmark the overview, its figures, the rankings and the Excel export at scale, each next to its naive query.

Run: .venv/bin/python bench/bench_dashboard.py --reuse                  # 1M cases, SQLite and PostgreSQL
     .venv/bin/python bench/bench_dashboard.py --reuse --databases postgres --rows 'town'
     .venv/bin/python bench/bench_dashboard.py --reuse --count 5000000 --databases postgres
     .venv/bin/python bench/bench_dashboard.py --reuse --grids 10000    # issue 9: a city's 10,000 grids

It is bench_scale.py with other rows: the same copies of the generated county (`generate_cases`, two
years, ~7 events per closed case), the same gunicorn (2 sync workers, DEBUG=False), the same personas,
timing, SQL log and plans (a full scan of the case, event or notification tables fails), plus
`case_figures --repair` after `migrate` (the kept figures, recounted from the events). For the city, a
town and a village it times the overview page and API for 30 days, last month and this year, the
rankings (page and API), the monthly report (page, API, workbook) and an export of about 10,000 rows; beside each, the naive queries over the raw
tables that a page without kept counts and figures would run (NAIVE below).

Fails when an overview, figure or ranking row's p95 is 200 ms or more, or it is less than 10 × faster
than its naive queries (NAIVE_RATIO); the export is timed, not held to 200 ms.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import bench_scale as scale
from bench_scale import Row

OVERVIEW = "/cases/work/overview/"
API = "/api/v1/cases/overview"
RANK = "/cases/work/rankings/"
RANK_API = "/api/v1/cases/rankings"
EXPORT = "/cases/work/export.xlsx"
MONTHLY = "/cases/work/report/monthly/"
MONTHLY_API = "/api/v1/cases/monthly-report"

# What an overview counts without kept figures: the counts, the rates from the events, the handling
# times, the categories and the next level down, each over the raw cases and events of the scope.
# `{where}` is the scope's condition on cases_case (alias c), `{from30}` the start of the 30 days.
NAIVE_OVERVIEW = {
    "new": "SELECT COUNT(*) FROM cases_case c WHERE {where} AND c.created_at >= '{from30}'",
    "open": "SELECT COUNT(*) FROM cases_case c WHERE {where} AND c.{open}",
    "overdue": "SELECT COUNT(*) FROM cases_case c WHERE {where} AND c.is_overdue = TRUE",
    "closed": "SELECT COUNT(*) FROM cases_case c WHERE {where} AND c.state = 'closed' AND c.closed_at >= '{from30}'",
    "dispatches": "SELECT COUNT(*) FROM cases_caseevent e JOIN cases_case c ON c.id = e.case_id "
    "WHERE {where} AND e.action IN ('dispatch', 'redispatch') AND e.at >= '{from30}'",
    "signed": "SELECT COUNT(*) FROM cases_caseevent e JOIN cases_case c ON c.id = e.case_id "
    "WHERE {where} AND e.action = 'sign' AND e.at >= '{from30}' AND e.at <= c.response_due_at",
    "ratings": "SELECT e.data FROM cases_caseevent e JOIN cases_case c ON c.id = e.case_id "
    "WHERE {where} AND e.action = 'rate' AND e.at >= '{from30}'",
    "checks": "SELECT e.action, COUNT(*) FROM cases_caseevent e JOIN cases_case c ON c.id = e.case_id "
    "WHERE {where} AND e.action IN ('pass_check', 'rework') AND e.at >= '{from30}' GROUP BY e.action",
    "handling": "SELECT c.created_at, c.resolved_at, c.resolution_due_at FROM cases_case c "
    "WHERE {where} AND c.state = 'closed' AND c.closed_at >= '{from30}'",
    "categories": "SELECT c.category_id, COUNT(*) FROM cases_case c WHERE {where} "
    "AND c.created_at >= '{from30}' GROUP BY c.category_id",
    "trend": "SELECT c.created_at FROM cases_case c WHERE {where} AND c.created_at >= '{from30}'",
    "children": "SELECT c.{child}, COUNT(*) FROM cases_case c WHERE {where} AND c.{open} GROUP BY c.{child}",
}
SCOPES = {
    # The city persona's scope: every district of the city (one in the demo, several with --grids).
    "city": {"where": "c.district_id IN ({city_districts})", "child": "town_id"},
    "town": {"where": "c.town_id = {town_id}", "child": "village_id"},
    "village": {"where": "c.village_id = {village_id}", "child": "grid_id"},
}
NAIVE = {
    f"{scope}_{key}": sql.replace("{where}", parts["where"]).replace("{child}", parts["child"])
    for scope, parts in SCOPES.items()
    for key, sql in NAIVE_OVERVIEW.items()
}
# A ranking without kept figures: the rates of every unit of the level, grouped over the raw events.
NAIVE.update(
    {
        "rank_villages_dispatches": "SELECT c.village_id, COUNT(*) FROM cases_caseevent e JOIN cases_case c "
        "ON c.id = e.case_id WHERE c.district_id IN ({city_districts}) AND e.action IN ('dispatch', 'redispatch') "
        "AND e.at >= '{from_month}' AND e.at < '{to_month}' GROUP BY c.village_id",
        "rank_villages_signed": "SELECT c.village_id, COUNT(*) FROM cases_caseevent e JOIN cases_case c "
        "ON c.id = e.case_id WHERE c.district_id IN ({city_districts}) AND e.action = 'sign' "
        "AND e.at >= '{from_month}' AND e.at < '{to_month}' AND e.at <= c.response_due_at GROUP BY c.village_id",
        "rank_villages_ratings": "SELECT c.village_id, e.data FROM cases_caseevent e JOIN cases_case c "
        "ON c.id = e.case_id WHERE c.district_id IN ({city_districts}) AND e.action = 'rate' "
        "AND e.at >= '{from_month}' AND e.at < '{to_month}'",
        "rank_villages_closed": "SELECT c.village_id, c.resolved_at, c.resolution_due_at FROM cases_case c "
        "WHERE c.district_id IN ({city_districts}) AND c.state = 'closed' "
        "AND c.closed_at >= '{from_month}' AND c.closed_at < '{to_month}'",
        "rank_agencies_ratings": "SELECT c.lead_agency_id, e.data FROM cases_caseevent e JOIN cases_case c "
        "ON c.id = e.case_id WHERE c.town_id = {town_id} AND e.action = 'rate' "
        "AND e.at >= '{from_month}' AND e.at < '{to_month}' AND c.lead_agency_id IS NOT NULL",
        "rank_agencies_dispatches": "SELECT e.data FROM cases_caseevent e JOIN cases_case c ON c.id = e.case_id "
        "WHERE c.town_id = {town_id} AND e.action IN ('dispatch', 'redispatch') "
        "AND e.at >= '{from_month}' AND e.at < '{to_month}'",
        "rank_workers": "SELECT e.actor_id, e.at, e.data FROM cases_caseevent e JOIN cases_case c ON c.id = e.case_id "
        "WHERE c.town_id = {town_id} AND e.action IN ('accept', 'reject', 'merge') "
        "AND e.at >= '{from_month}' AND e.at < '{to_month}'",
        "export_rows": "SELECT c.* FROM cases_case c WHERE c.town_id = {town_id} AND c.created_at >= '{from30}' "
        "ORDER BY c.id DESC LIMIT 10000",
    }
)


def _overview(scope: str) -> tuple[str, ...]:
    return tuple(f"{scope}_{key}" for key in NAIVE_OVERVIEW)


RANK_VILLAGES = (
    "rank_villages_dispatches",
    "rank_villages_signed",
    "rank_villages_ratings",
    "rank_villages_closed",
)
RANK_AGENCIES = ("rank_agencies_dispatches", "rank_agencies_ratings")
ROWS = [
    Row("dash.city.overview", "city", "overview page, city, 30 days", OVERVIEW + "?period=30d", naive=_overview("city")),
    Row("dash.city.api", "city", "GET overview API, city, 30 days", API + "?period=30d", naive=_overview("city")),
    Row("dash.city.year", "city", "GET overview API, city, this year", API + "?period=year"),
    Row("dash.town.overview", "town", "overview page, town, 30 days", OVERVIEW + "?period=30d", naive=_overview("town")),
    Row("dash.town.api", "town", "GET overview API, town, 30 days", API + "?period=30d", naive=_overview("town")),
    Row("dash.town.last", "town", "GET overview API, town, last month", API + "?period=last_month"),
    Row("dash.village.overview", "village", "overview page, village, 30 days", OVERVIEW + "?period=30d",
        naive=_overview("village")),
    Row("dash.village.api", "village", "GET overview API, village, 30 days", API + "?period=30d",
        naive=_overview("village")),
    Row("dash.town.drill", "town", "overview page, town drilled to a village", OVERVIEW + "?period=30d&region={village_code}",
        naive=_overview("village")),
    Row("dash.city.strip", "city", "command centre with the overview strip", "/cases/work/centre/"),
    Row("dash.city.rank.villages", "city", "rankings page, city, villages", RANK + "?kind=villages&month={month}",
        naive=RANK_VILLAGES),
    Row("dash.city.rank.api", "city", "GET rankings API, city, villages", RANK_API + "?kind=villages&month={month}",
        naive=RANK_VILLAGES),
    Row("dash.town.rank.agencies", "town", "GET rankings API, town, agencies", RANK_API + "?kind=agencies&month={month}",
        naive=RANK_AGENCIES),
    Row("dash.town.rank.workers", "town", "GET rankings API, town, grid workers", RANK_API + "?kind=workers&month={month}",
        naive=("rank_workers",)),
    Row("dash.city.spots", "city", "GET repeat locations, city", API + "/repeat-locations"),
    Row("dash.town.spots", "town", "GET repeat locations, town", API + "/repeat-locations"),
    Row("dash.city.monthly", "city", "monthly report page, city", MONTHLY + "?month={month}"),
    Row("dash.city.monthly.api", "city", "GET monthly report API, city", MONTHLY_API + "?month={month}"),
    Row("dash.town.monthly", "town", "monthly report page, town", MONTHLY + "?month={month}"),
    Row("dash.town.monthly.xlsx", "town", "monthly report workbook, town", "/cases/work/report/monthly.xlsx?month={month}",
        p95_target=False),
    Row("dash.town.export", "town", "Excel export, town, 30 days (~10,000 rows)",
        EXPORT + "?state=all&date_from={from30_day}", optional=True, p95_target=False),
]  # fmt: skip


def discover(db):
    """bench_scale's values plus the periods the rows and naive queries use, and a village's code."""
    ctx = _discover(db)
    tz = ZoneInfo("Asia/Shanghai")
    today = datetime.now(tz).date()
    month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    after = today.replace(day=1)

    def at(day) -> str:
        moment = datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)
        return moment.strftime("%Y-%m-%d %H:%M:%S") + ("" if db.kind == "sqlite" else "+00:00")

    village_code = db.query("SELECT code FROM places_place WHERE id = ?", [ctx.values["village_id"]])[0][0]
    city_districts = [
        row[0]
        for row in db.query(
            "SELECT id FROM places_place WHERE level = 'district' AND parent_id = "
            "(SELECT parent_id FROM places_place WHERE id = ?)",
            [ctx.values["district_id"]],
        )
    ]
    ctx.values.update(
        from30=at(today - timedelta(days=29)),
        from30_day=(today - timedelta(days=29)).isoformat(),
        from_month=at(month),
        to_month=at(after),
        month=month.strftime("%Y-%m"),
        village_code=village_code,
        city_districts=", ".join(str(i) for i in city_districts) or str(ctx.values["district_id"]),
    )
    return ctx


_discover = scale.discover
scale.discover = discover
scale.ROWS = ROWS
scale.NAIVE = {**scale.NAIVE, **NAIVE}
# The figures are recounted from the events on every copy (about 12 minutes at 1,000,000 cases on
# SQLite), unless BENCH_FIGURES_KEPT=1 says the copy it clones already holds them.
if os.environ.get("BENCH_FIGURES_KEPT") != "1":
    scale.AFTER_MIGRATE = [*scale.AFTER_MIGRATE, ("case_figures", ["--repair"])]
scale.NAIVE_RATIO = 10.0

if __name__ == "__main__":
    sys.exit(scale.main())
