"""Benchmark every work page and list endpoint at scale (1,000,000 cases) over HTTP, each next to its naive query.

Run: .venv/bin/python bench/bench_scale.py --reuse                 # 1M cases, SQLite and PostgreSQL
     .venv/bin/python bench/bench_scale.py --reuse --databases postgres --rows 'town\\.' --requests 10
     .venv/bin/python bench/bench_scale.py --reuse --count 5000000 --databases postgres
     .venv/bin/python bench/bench_scale.py --reuse --grids 10000 --databases postgres   # a city's 10,000 grids

For each database:

1. A database with `--count` generated cases (`manage.py generate_cases` on top of `load_demo`): with
   --reuse a clone of the shared read-only copy (/work/scale: PostgreSQL template `scale_1m`, SQLite
   `scale-1m.sqlite3`) or, for another count or `--grids`, of a copy this script builds once and keeps
   (`bench_scale_base_<count>[_g<grids>]`, var/bench/scale-base-<count>[-g<grids>].sqlite3); without
   --reuse a fresh one, built and dropped. `--grids N` grows the demo city to about N grids first
   (`generate_cases --grids`); the shared copies are the demo county's 304 grids only. Then `migrate` (this branch's migrations) and whatever AFTER_MIGRATE names that
   `manage.py help --commands` lists (kept counts, the search index).
2. gunicorn (2 sync workers, DEBUG=False, settings `bench.scale_settings`: the real settings plus a
   middleware that records every statement a request runs, with its parameters and duration).
3. Sign in as each persona (PERSONAS); then, row by row of ROWS, a warm-up request per gunicorn
   worker (each has its own cache without Redis) and up to
   --requests timed requests one at a time (within --row-seconds), then the row's naive queries (NAIVE:
   the plain SQL such a page would run without care) timed on a direct connection to the same database.
4. Deep pages: a page with `<a rel="next">` whose link is a cursor is followed (up to DEEP_HOPS times);
   numbered pages jump to `page=DEEP_PAGE`; an API answer with `next` is followed, else `offset=DEEP_OFFSET`.
5. Afterwards, EXPLAIN (PostgreSQL) or EXPLAIN QUERY PLAN (SQLite) of every distinct SELECT each row
   ran on the case, event and notification tables; the plans of the slowest three per row are printed.

Fails (exit 1) when a row's p95 is 200 ms or more, a map payload is 200 kB or more, a deep page's
median is more than twice its first page's (and 50 ms slower), a statement full-scans cases_case,
cases_caseevent or cases_notification (PostgreSQL: a Seq Scan; SQLite: SCAN without an index, or SCAN …
USING INDEX in a statement without LIMIT), or a request fails. It always runs every row and prints
everything first. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import http.client
import json
import math
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
import traceback
import unicodedata
import urllib.parse
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import gunicorn_server
from gunicorn_server import Server

# =============================================================================================
# What is visited: adjust here when URLs change (placeholders in braces come from `Context`).

# Persona → demo login (every demo login's password is DEMO_PASSWORD).
PERSONAS = {
    "city": "city",  # city administrator: the whole demo county
    "town": "town",  # operator of the 澄湖街道 command centre
    "village": "village",  # cadre of 学府社区
    "grid": "grid",  # grid worker of 学府社区第1网格
    "agency": "agency",  # staff of 琴湖市城市管理局
}
DEMO_PASSWORD = "Demo-2026"  # the demo's published password


@dataclass(frozen=True)
class Row:
    key: str
    persona: str
    label: str
    url: str
    # How to reach a deep page when there is no cursor: "page" (page=DEEP_PAGE) or "offset"
    # (offset=DEEP_OFFSET); the first page's row, for the deep-versus-first check.
    deep: str = ""
    first: str = ""
    # The page draws the map (its JSON payload is checked against MAP_PAYLOAD_LIMIT_KB).
    map: bool = False
    # Skipped when the URL answers 404 (an endpoint that does not exist yet).
    optional: bool = False
    # Keys of NAIVE: the plain SQL such a page would run without care, timed beside it.
    naive: tuple[str, ...] = ()
    # Held to P95_LIMIT_MS (an export of thousands of rows is timed, not held to it).
    p95_target: bool = True


CENTRE = "/cases/work/centre/"
API = "/api/v1/cases/"
O311 = "/open311/v2/"
ROWS = [
    Row("town.centre", "town", "town centre, unfiltered", CENTRE, naive=("town_open_count", "town_open_page")),
    Row("town.centre.category", "town", "town centre, one category (C0101)", CENTRE + "?category=C0101",
        naive=("town_open_cat_count", "town_open_cat_page")),
    Row("town.centre.text", "town", "town centre, text 井盖", CENTRE + "?q=井盖",
        naive=("town_open_like_count", "town_open_like_page")),
    Row("town.centre.number", "town", "town centre, a tracking number", CENTRE + "?q={open_number}",
        naive=("town_number_like",)),
    Row("town.centre.overdue", "town", "town centre, overdue only", CENTRE + "?overdue=on",
        naive=("town_overdue_count", "town_overdue_page")),
    Row("town.centre.all", "town", "town centre, every step, page 1", CENTRE + "?state=all",
        naive=("town_all_count", "town_all_page")),
    Row("town.centre.all.deep", "town", "town centre, every step, deep page", CENTRE + "?state=all",
        deep="page", first="town.centre.all", naive=("town_all_count", "town_all_page500")),
    Row("village.centre", "village", "village centre, unfiltered", CENTRE,
        naive=("village_open_count", "village_open_page")),
    Row("city.centre", "city", "city centre, unfiltered", CENTRE, naive=("city_open_count", "city_open_page")),
    Row("city.centre.all", "city", "city centre, every step, page 1", CENTRE + "?state=all",
        naive=("city_all_count", "city_all_page")),
    Row("city.centre.all.deep", "city", "city centre, every step, deep page", CENTRE + "?state=all",
        deep="page", first="city.centre.all", naive=("city_all_count", "city_all_page500")),
    Row("town.map", "town", "case map, town (open)", "/cases/work/map/", map=True, naive=("town_markers",)),
    Row("city.map.all", "city", "case map, city, every step", "/cases/work/map/?state=all", map=True,
        naive=("city_markers_all",)),
    # The map's viewport endpoint: what the page asks for the town's box, and the whole city's.
    Row("town.map.viewport", "town", "map viewport JSON, town bbox", "/cases/work/map/data/?bbox={town_bbox}",
        map=True, optional=True, naive=("town_markers",)),
    Row("city.map.viewport.all", "city", "map viewport JSON, city, every step",
        "/cases/work/map/data/?state=all&bbox={city_bbox}", map=True, optional=True, naive=("city_markers_all",)),
    Row("api.town", "town", "GET /api/v1/cases town, no filter", API, naive=("town_all_count", "api_town_page")),
    Row("api.town.deep", "town", "GET /api/v1/cases town, deep", API, deep="offset",
        first="api.town", naive=("town_all_count", "api_town_offset")),
    Row("api.town.text", "town", "GET /api/v1/cases town, text 井盖", API + "?text=井盖",
        naive=("town_all_like_count", "town_all_like_page")),
    Row("api.town.number", "town", "GET /api/v1/cases town, a tracking number", API + "?text={old_number}",
        naive=("town_number_like",)),
    Row("api.town.overdue", "town", "GET /api/v1/cases town, overdue=true", API + "?overdue=true",
        naive=("town_overdue_count", "town_overdue_page")),
    Row("api.city", "city", "GET /api/v1/cases city, no filter", API, naive=("city_all_count", "api_city_page")),
    Row("api.city.deep", "city", "GET /api/v1/cases city, deep", API, deep="offset",
        first="api.city", naive=("city_all_count", "api_city_offset")),
    Row("api.agency", "agency", "GET /api/v1/cases agency, no filter", API,
        naive=("agency_count", "agency_page")),
    Row("case.page", "town", "case page (one case)", "/cases/{open_number}/",
        naive=("case_by_number", "case_events", "case_merged")),
    Row("case.api", "town", "GET /api/v1/cases/{number}", API + "{open_number}",
        naive=("case_by_number", "case_events", "case_merged")),
    Row("notifications.town", "town", "notifications page, town operator", "/cases/notifications/",
        naive=("town_notes_count", "town_notes_unread", "town_notes_page")),
    Row("notifications.town.api", "town", "GET /api/v1/cases/notifications, town operator",
        API + "notifications", naive=("town_notes_count", "town_notes_unread", "town_notes_page")),
    Row("notifications.grid", "grid", "notifications page, grid worker", "/cases/notifications/",
        naive=("grid_notes_count", "grid_notes_page")),
    Row("grid.queue", "grid", "grid worker's queue", "/cases/work/", naive=("grid_queue_count", "grid_queue_page")),
    Row("village.queue", "village", "village cadre's queue", "/cases/work/",
        naive=("village_queue_count", "village_queue_page")),
    Row("agency.inbox", "agency", "agency inbox", "/cases/work/agency/", naive=("agency_count", "agency_page")),
    Row("grid.home", "grid", "grid worker's home", "/"),
    # 12345 replies (issue 15): the town's orders as received, a deep page, and what a platform pulls.
    Row("town.hotline.replies", "town", "12345 replies page, town", "/cases/work/hotline-replies/"),
    Row("town.hotline.replies.deep", "town", "12345 replies page, town, deep", "/cases/work/hotline-replies/",
        deep="page", first="town.hotline.replies"),
    Row("api.town.hotline.replies", "town", "GET /api/v1/cases/hotline/replies town", API + "hotline/replies"),
    Row("api.town.hotline.replies.deep", "town", "GET /api/v1/cases/hotline/replies town, deep",
        API + "hotline/replies", deep="offset", first="api.town.hotline.replies"),
    Row("api.town.hotline.since", "town", "GET /api/v1/cases/hotline/replies?closed_since= a week ago",
        API + "hotline/replies?closed_since={week_ago}T00:00:00"),
    # Open311 (public reads; the persona's session changes nothing).
    # The spec's default page is 1,000 requests (570 kB of JSON): a bulk answer, timed like the export.
    Row("open311.requests", "town", "GET /open311/v2/requests.json (90 days, 1,000 newest)", O311 + "requests.json",
        p95_target=False),
    Row("open311.requests.open.xml", "town", "GET /open311/v2/requests.xml?status=open (1,000)",
        O311 + "requests.xml?status=open", p95_target=False),
    Row("open311.requests.page", "town", "GET /open311/v2/requests.json, page 3 of 100",
        O311 + "requests.json?page_size=100&page=3"),
    Row("open311.requests.code", "town", "GET /open311/v2/requests.json, C0101 closed, 100",
        O311 + "requests.json?service_code=C0101&status=closed&page_size=100"),
    Row("open311.requests.old", "town", "GET /open311/v2/requests.json, a window a year ago, page 5 of 100",
        O311 + "requests.json?start_date={year_ago}&end_date={year_ago_end}&page_size=100&page=5"),
    Row("open311.request", "town", "GET /open311/v2/requests/{id}.json?extensions=true",
        O311 + "requests/{old_number}.json?extensions=true"),
    Row("open311.services", "town", "GET /open311/v2/services.xml", O311 + "services.xml"),
]  # fmt: skip

DEEP_PAGE = 500
# Warm-up requests per row: one per gunicorn worker (set from --workers).
WARM_UPS = [1]
DEEP_OFFSET = 200_000
# Cursor pages: follow `next` this many times at most (and for at most DEEP_WALK_SECONDS).
DEEP_HOPS = 500
DEEP_WALK_SECONDS = 120.0

# The naive queries: what a page would run without care, in SQL both databases read. `{open}` is
# the open-state filter, `{order}` the lists' urgency order; the rest comes from `Context`.
OPEN = (
    "state IN ('reported', 'accepted', 'grid_handling', 'village', 'village_handling', 'town', "
    "'dispatched', 'in_progress', 'suspended', 'checking', 'resolved')"
)
ORDER = "ORDER BY is_overdue DESC, step_due_at, created_at DESC, id DESC"
CASE = "cases_case"
NAIVE = {
    "town_open_count": "SELECT COUNT(*) FROM cases_case WHERE town_id = {town_id} AND {open}",
    "town_open_page": "SELECT * FROM cases_case WHERE town_id = {town_id} AND {open} {order} LIMIT 25",
    "town_open_cat_count": "SELECT COUNT(*) FROM cases_case WHERE town_id = {town_id} AND {open} "
    "AND category_id IN ({category_ids})",
    "town_open_cat_page": "SELECT * FROM cases_case WHERE town_id = {town_id} AND {open} "
    "AND category_id IN ({category_ids}) {order} LIMIT 25",
    "town_open_like_count": "SELECT COUNT(*) FROM cases_case WHERE town_id = {town_id} AND {open} "
    "AND (description LIKE '%井盖%' OR address LIKE '%井盖%')",
    "town_open_like_page": "SELECT * FROM cases_case WHERE town_id = {town_id} AND {open} "
    "AND (description LIKE '%井盖%' OR address LIKE '%井盖%') {order} LIMIT 25",
    "town_all_like_count": "SELECT COUNT(*) FROM cases_case WHERE town_id = {town_id} "
    "AND (description LIKE '%井盖%' OR address LIKE '%井盖%')",
    "town_all_like_page": "SELECT * FROM cases_case WHERE town_id = {town_id} "
    "AND (description LIKE '%井盖%' OR address LIKE '%井盖%') {order} LIMIT 20",
    "town_number_like": "SELECT * FROM cases_case WHERE town_id = {town_id} "
    "AND tracking_number LIKE '%{old_number}%' {order} LIMIT 25",
    "town_overdue_count": "SELECT COUNT(*) FROM cases_case WHERE town_id = {town_id} AND is_overdue = TRUE",
    "town_overdue_page": "SELECT * FROM cases_case WHERE town_id = {town_id} AND is_overdue = TRUE {order} LIMIT 25",
    "town_all_count": "SELECT COUNT(*) FROM cases_case WHERE town_id = {town_id}",
    "town_all_page": "SELECT * FROM cases_case WHERE town_id = {town_id} {order} LIMIT 25",
    "town_all_page500": "SELECT * FROM cases_case WHERE town_id = {town_id} {order} LIMIT 25 OFFSET "
    + str((DEEP_PAGE - 1) * 25),
    "village_open_count": "SELECT COUNT(*) FROM cases_case WHERE village_id = {village_id} AND {open}",
    "village_open_page": "SELECT * FROM cases_case WHERE village_id = {village_id} AND {open} {order} LIMIT 25",
    "city_open_count": "SELECT COUNT(*) FROM cases_case WHERE district_id = {district_id} AND {open}",
    "city_open_page": "SELECT * FROM cases_case WHERE district_id = {district_id} AND {open} {order} LIMIT 25",
    "city_all_count": "SELECT COUNT(*) FROM cases_case WHERE district_id = {district_id}",
    "city_all_page": "SELECT * FROM cases_case WHERE district_id = {district_id} {order} LIMIT 25",
    "city_all_page500": "SELECT * FROM cases_case WHERE district_id = {district_id} {order} LIMIT 25 OFFSET "
    + str((DEEP_PAGE - 1) * 25),
    "town_markers": "SELECT id, tracking_number, state, priority, is_overdue, lon, lat, address, category_id "
    "FROM cases_case WHERE town_id = {town_id} AND {open}",
    "city_markers_all": "SELECT id, tracking_number, state, priority, is_overdue, lon, lat, address, category_id "
    "FROM cases_case WHERE district_id = {district_id}",
    "api_town_page": "SELECT * FROM cases_case WHERE town_id = {town_id} {order} LIMIT 20",
    "api_town_offset": f"SELECT * FROM cases_case WHERE town_id = {{town_id}} {{order}} LIMIT 20 OFFSET {DEEP_OFFSET}",
    "api_city_page": "SELECT * FROM cases_case WHERE district_id = {district_id} {order} LIMIT 20",
    "api_city_offset": f"SELECT * FROM cases_case WHERE district_id = {{district_id}} {{order}} LIMIT 20 OFFSET {DEEP_OFFSET}",
    "agency_count": "SELECT COUNT(DISTINCT c.id) FROM cases_case c LEFT JOIN cases_case_co_agencies co "
    "ON co.case_id = c.id WHERE c.lead_agency_id = {agency_id} OR co.agency_id = {agency_id}",
    "agency_page": "SELECT DISTINCT c.* FROM cases_case c LEFT JOIN cases_case_co_agencies co ON co.case_id = c.id "
    "WHERE c.lead_agency_id = {agency_id} OR co.agency_id = {agency_id} "
    "ORDER BY c.is_overdue DESC, c.step_due_at, c.created_at DESC, c.id DESC LIMIT 20",
    "case_by_number": "SELECT * FROM cases_case WHERE tracking_number = '{open_number}'",
    "case_events": "SELECT * FROM cases_caseevent WHERE case_id = {open_id} ORDER BY at, id",
    "case_merged": "SELECT * FROM cases_case WHERE merged_into_id = {open_id}",
    "town_notes_count": "SELECT COUNT(*) FROM cases_notification WHERE user_id = {town_user}",
    "town_notes_unread": "SELECT COUNT(*) FROM cases_notification WHERE user_id = {town_user} AND read_at IS NULL",
    "town_notes_page": "SELECT * FROM cases_notification WHERE user_id = {town_user} "
    "ORDER BY created_at DESC, id DESC LIMIT 20",
    "grid_notes_count": "SELECT COUNT(*) FROM cases_notification WHERE user_id = {grid_user}",
    "grid_notes_page": "SELECT * FROM cases_notification WHERE user_id = {grid_user} "
    "ORDER BY created_at DESC, id DESC LIMIT 20",
    "grid_queue_count": "SELECT COUNT(*) FROM cases_case WHERE grid_id = {grid_id} AND state = 'reported'",
    "grid_queue_page": "SELECT * FROM cases_case WHERE grid_id = {grid_id} AND state = 'reported' {order} LIMIT 20",
    "village_queue_count": "SELECT COUNT(*) FROM cases_case WHERE village_id = {village_id} "
    "AND state IN ('village', 'village_handling')",
    "village_queue_page": "SELECT * FROM cases_case WHERE village_id = {village_id} "
    "AND state IN ('village', 'village_handling') {order} LIMIT 20",
}

# Run after `migrate` on the clone when `manage.py help --commands` lists them: what a bulk load must
# refresh (kept counts, the search index). With a third item, that check runs first and the refresh
# only when it fails (the search index of a copy is rebuilt only when it is not what this code
# expects: at 5,000,000 cases a rebuild takes ten minutes).
AFTER_MIGRATE: list[tuple] = [
    ("case_counts", ["--repair"]),
    ("case_search", ["--rebuild"], ["--check"]),
]

# Targets (issue 8).
P95_LIMIT_MS = 200.0
# When set (bench_dashboard.py): a row with naive queries fails unless their median is at least this
# many times the row's median.
NAIVE_RATIO: float | None = None
MAP_PAYLOAD_LIMIT_KB = 200.0
DEEP_RATIO = 2.0
DEEP_SLACK_MS = 50.0
WATCHED_TABLES = ("cases_case", "cases_caseevent", "cases_notification")

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
SHARED_DIR = Path(os.environ.get("BENCH_SCALE_SHARED", "/work/scale"))
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SETTINGS_MODULE = "bench.scale_settings"
SECRET_KEY = "bench-scale-" + uuid.uuid4().hex
REQUEST_TIMEOUT = 300.0


def count_tag(count: int) -> str:
    return f"{count // 1_000_000}m" if count % 1_000_000 == 0 else str(count)


def shape_tag(count: int, grids: int | None, sep: str) -> str:
    """Name a copy's shape: its count, and its grids when grown (`1m`, `1m-g10000`), so copies of
    different shapes are never mixed."""
    return count_tag(count) + (f"{sep}g{grids}" if grids else "")


# =============================================================================================
# Databases


class Database:
    """The benchmark's copy of one database: how the app reaches it, and a direct connection."""

    def __init__(self, kind: str, count: int, grids: int | None = None) -> None:
        self.kind = kind
        self.count = count
        self.grids = grids
        self._conn: Any = None
        if kind == "sqlite":
            tag = shape_tag(count, grids, "-")
            # The shared copies hold the demo county's grids only.
            self.shared = SHARED_DIR / f"scale-{tag}.sqlite3" if not grids else None
            self.base = BENCH_DIR / f"scale-base-{tag}.sqlite3"
            self.path = BENCH_DIR / f"scale-run-{tag}.sqlite3"
            self.name = str(self.path)
            self.url = f"sqlite:///{self.path}"
        else:
            tag = shape_tag(count, grids, "_")
            self.shared_name = f"scale_{tag}" if not grids else None
            self.base_name = f"bench_scale_base_{tag}"
            self.name = f"bench_scale_run_{tag}"
            self.url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{self.name}"
        self.label = kind

    # --- copies ---

    def _admin(self, *statements: str) -> list[tuple]:
        import psycopg

        rows: list[tuple] = []
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
            for statement in statements:
                cursor = admin.execute(statement)
                rows = cursor.fetchall() if cursor.description else []
        return rows

    def _pg_exists(self, name: str) -> bool:
        return bool(self._admin(f"SELECT 1 FROM pg_database WHERE datname = '{name}'"))

    def prepare(self, reuse: bool, media: Path, log) -> str:
        """Make the run's copy; return where it came from."""
        self.drop()
        if self.kind == "sqlite":
            shared = self.shared if self.shared is not None and self.shared.is_file() else None
            source = (shared or self.base) if reuse else None
            if source is None or not source.is_file():
                target = self.base if reuse else self.path
                self._build(f"sqlite:///{target}", media, log)
                if reuse:
                    _sqlite_single_file(target)
                source = target
            if source != self.path:
                log(f"  copying {source} …")
                shutil.copyfile(source, self.path)
            return str(source)
        if reuse:
            shared = self.shared_name and self._pg_exists(self.shared_name)
            template = self.shared_name if shared else self.base_name
            if not self._pg_exists(template):
                self._admin(f"CREATE DATABASE {template}")
                self._build(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{template}", media, log)
            log(f"  cloning {template} …")
            self._admin(f"CREATE DATABASE {self.name} TEMPLATE {template}")
            return f"PostgreSQL template {template}"
        self._admin(f"CREATE DATABASE {self.name}")
        self._build(self.url, media, log)
        return "built for this run"

    def _build(self, url: str, media: Path, log) -> None:
        grids = ["--grids", str(self.grids)] if self.grids else []
        log(
            f"  building {url}: migrate, load_demo, generate_cases --count {self.count:,} {' '.join(grids)} (minutes) …"
        )
        manage(url, media, "migrate", "--noinput", "-v0")
        manage(url, media, "load_demo")
        manage(
            url,
            media,
            "generate_cases",
            "--count",
            str(self.count),
            *grids,
            "--no-progress",
            timeout=6 * 3600,
        )

    def drop(self) -> None:
        self.close()
        if self.kind == "sqlite":
            for suffix in ("", "-wal", "-shm", "-journal", "-writer.lock"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        else:
            self._admin(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")

    # --- direct connection ---

    def connection(self) -> Any:
        if self._conn is None:
            if self.kind == "sqlite":
                self._conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
                self.label = f"SQLite {sqlite3.sqlite_version}"
            else:
                import psycopg

                # Client-side binding, as Django's PostgreSQL backend runs statements (literals in the SQL).
                self._conn = psycopg.connect(self.url, autocommit=True, cursor_factory=psycopg.ClientCursor)
                self.label = f"PostgreSQL {self._conn.info.server_version // 10000}"
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        """Run one statement written with `?` placeholders; return its rows."""
        if self.kind != "sqlite":
            sql = sql.replace("?", "%s")
        # No parameters: None for psycopg, so that a literal % (LIKE '%井盖%') is not read as a
        # placeholder (sqlite3 refuses None; it has no % placeholders).
        args = list(params) if self.kind == "sqlite" else list(params) or None
        cursor = self.connection().execute(sql, args)
        return cursor.fetchall() if cursor.description else []

    def explain(self, sql: str, params: Sequence[Any]) -> list[str]:
        """Return the plan of a statement as Django ran it (`%s` placeholders), one line per node."""
        if self.kind == "sqlite":
            sql = re.sub(r"(?<!%)%s", "?", sql).replace("%%", "%")
            rows = self.connection().execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()
            depth: dict[int, int] = {0: -1}
            lines = []
            for node, parent, _unused, detail in rows:
                depth[node] = depth.get(parent, -1) + 1
                lines.append("  " * depth[node] + detail)
            return lines
        return [r[0] for r in self.connection().execute("EXPLAIN " + sql, params).fetchall()]


def _sqlite_single_file(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.close()


def pg_reachable() -> str | None:
    try:
        import psycopg

        psycopg.connect(PG_ADMIN_URL, connect_timeout=3).close()
    except Exception as exc:  # any failure only skips PostgreSQL
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return None


def server_env(url: str, media: Path, sql_log: Path | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=url,
        SECRET_KEY=SECRET_KEY,
        DEBUG="False",
        ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SETTINGS_MODULE=SETTINGS_MODULE,
        MEDIA_ROOT=str(media),
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    if sql_log is not None:
        env["BENCH_SQL_LOG"] = str(sql_log)
    return env


def manage(url: str, media: Path, *args: str, timeout: float = 1800) -> str:
    env = server_env(url, media)
    env["DJANGO_SETTINGS_MODULE"] = "civicgrid.settings"
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"manage.py {' '.join(args)} failed:\n{result.stdout[-2000:]}{result.stderr[-4000:]}"
        )
    return result.stdout


# =============================================================================================
# gunicorn (as bench_intake.py starts and stops it)


def gunicorn_start(db: Database, media: Path, sql_log: Path, workers: int, log: Path) -> Server:
    return gunicorn_server.start(
        env=server_env(db.url, media, sql_log), log=log, workers=workers, timeout=REQUEST_TIMEOUT
    )


# =============================================================================================
# HTTP, one request at a time, with a persona's cookies


@dataclass
class Answer:
    status: int
    body: bytes
    ms: float
    headers: dict[str, str]


class Client:
    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, url: str, body: bytes | None = None, headers: dict | None = None
    ) -> Answer:
        all_headers = {"Host": "127.0.0.1", **(headers or {})}
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
        started = time.perf_counter()
        try:
            conn.request(method, url, body=body, headers=all_headers)
            response = conn.getresponse()
            data = response.read()
            ms = (time.perf_counter() - started) * 1000
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _sep, rest = value.partition("=")
                    self.cookies[name.strip()] = rest.split(";", 1)[0]
            return Answer(response.status, data, ms, {k.lower(): v for k, v in response.getheaders()})
        finally:
            conn.close()

    def get(self, url: str, bench_id: str = "") -> Answer:
        return self.request("GET", url, headers={"X-Bench-Id": bench_id} if bench_id else None)

    def sign_in(self, username: str) -> None:
        page = self.get("/accounts/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
        if page.status != 200 or token is None:
            raise RuntimeError(f"the sign-in page answered {page.status}")
        form = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token.group(1).decode(), "login": username, "password": DEMO_PASSWORD}
        ).encode()
        answer = self.request(
            "POST", "/accounts/login/", form, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        if answer.status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"signing in as {username} answered {answer.status}")


# =============================================================================================
# What the rows need to know about the data


@dataclass
class Context:
    values: dict[str, Any]
    personas: dict[str, str]

    def fill(self, text: str) -> str:
        return text.format(**self.values)


def discover(db: Database) -> Context:
    """Read ids, numbers and boxes the rows use from the copy itself."""
    q = db.query

    def one(sql: str, params: Sequence[Any] = ()) -> Any:
        rows = q(sql, params)
        if not rows:
            raise RuntimeError(f"the benchmark database has no answer to: {sql}")
        return rows[0][0]

    users = {
        name: one("SELECT id FROM accounts_user WHERE username = ?", [name]) for name in PERSONAS.values()
    }

    def place_of(username: str) -> int:
        return one("SELECT place_id FROM accounts_roleassignment WHERE user_id = ?", [users[username]])

    town_id = place_of(PERSONAS["town"])
    village_id = place_of(PERSONAS["village"])
    grid_id = place_of(PERSONAS["grid"])
    district_id = one("SELECT parent_id FROM places_place WHERE id = ?", [town_id])
    agency_id = one(
        "SELECT agency_id FROM accounts_roleassignment WHERE user_id = ?", [users[PERSONAS["agency"]]]
    )
    open_id, open_number = q(
        "SELECT id, tracking_number FROM cases_case WHERE town_id = ? AND state = 'in_progress' "
        "ORDER BY id DESC LIMIT 1 OFFSET 10",
        [town_id],
    )[0]
    old_number = one(
        "SELECT tracking_number FROM cases_case WHERE town_id = ? AND state = 'closed' ORDER BY id LIMIT 1 OFFSET 1000",
        [town_id],
    )
    category_ids = [
        r[0]
        for r in q(
            "SELECT id FROM cases_category WHERE code = 'C0101' "
            "OR parent_id IN (SELECT id FROM cases_category WHERE code = 'C0101')"
        )
    ]
    box = q(
        "SELECT min_lon, min_lat, max_lon, max_lat FROM places_boundary WHERE place_id = ? AND valid_to IS NULL",
        [town_id],
    )[0]
    city_box = q(
        "SELECT min(min_lon), min(min_lat), max(max_lon), max(max_lat) FROM places_boundary"
        " WHERE valid_to IS NULL",
        [],
    )[0]
    values = {
        "open": OPEN,
        "order": ORDER,
        "town_id": town_id,
        "village_id": village_id,
        "grid_id": grid_id,
        "district_id": district_id,
        "agency_id": agency_id,
        "open_id": open_id,
        "open_number": open_number,
        "old_number": old_number,
        "category_ids": ", ".join(str(i) for i in category_ids),
        "town_bbox": ",".join(f"{v:.5f}" for v in box),
        "city_bbox": ",".join(f"{v:.5f}" for v in city_box),
        "year_ago": (date.today() - timedelta(days=365)).isoformat(),
        "week_ago": (date.today() - timedelta(days=7)).isoformat(),
        "year_ago_end": (date.today() - timedelta(days=300)).isoformat(),
        "town_user": users[PERSONAS["town"]],
        "grid_user": users[PERSONAS["grid"]],
    }
    return Context(values, dict(PERSONAS))


# =============================================================================================
# Timing the rows


@dataclass
class RowResult:
    row: Row
    url: str = ""
    status: str = "ok"  # ok, skipped, error
    note: str = ""
    ms: list[float] = field(default_factory=list)
    naive_ms: list[float] = field(default_factory=list)
    naive_rows: int = 0
    bytes: int = 0
    payload_kb: float | None = None
    sql_counts: list[int] = field(default_factory=list)
    sql_ms: list[float] = field(default_factory=list)
    # Filled from the SQL log after the run.
    statements: list[dict] = field(default_factory=list)
    scans: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def median(self) -> float:
        return statistics.median(self.ms) if self.ms else math.nan

    def p95(self) -> float:
        return percentile(self.ms, 0.95)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def map_payload_kb(answer: Answer) -> float:
    """Return the map's JSON payload in kB: a JSON answer's body, or the page's embedded `case-geo`."""
    if answer.headers.get("content-type", "").startswith("application/json"):
        return len(answer.body) / 1000
    found = re.search(rb'<script id="case-geo" type="application/json">(.*?)</script>', answer.body, re.S)
    return len(found.group(1)) / 1000 if found else len(answer.body) / 1000


def _with_params(url: str, **params: Any) -> str:
    parts = urllib.parse.urlsplit(url)
    query = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
    query.update({k: str(v) for k, v in params.items()})
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def _next_link(answer: Answer) -> str | None:
    """Return the page's or the API answer's link to the next page, if any."""
    if answer.headers.get("content-type", "").startswith("application/json"):
        with contextlib.suppress(ValueError):
            data = json.loads(answer.body)
            if isinstance(data, dict) and data.get("next"):
                return str(data["next"])
        return None
    found = re.search(
        rb'<a\b[^>]*\bhref="([^"]*)"[^>]*\brel="next"|<a\b[^>]*\brel="next"[^>]*\bhref="([^"]*)"', answer.body
    )
    if not found:
        return None
    return html.unescape((found.group(1) or found.group(2)).decode())


def _absolute(base: str, link: str) -> str:
    parts = urllib.parse.urlsplit(urllib.parse.urljoin("http://127.0.0.1" + base, link))
    return urllib.parse.urlunsplit(("", "", parts.path, parts.query, ""))


def deep_url(client: Client, row: Row, first_url: str, log) -> tuple[str, str]:
    """Return the deep page's URL and how it was reached."""
    answer = client.get(first_url)
    link = _next_link(answer)
    numbered = link is not None and re.search(r"(^|[?&])page=\d+", urllib.parse.urlsplit(link).query or link)
    if link and not numbered:
        url = first_url
        hops = 0
        started = time.monotonic()
        while link and hops < DEEP_HOPS and time.monotonic() - started < DEEP_WALK_SECONDS:
            url = _absolute(url, link)
            hops += 1
            link = _next_link(client.get(url))
        return url, f"cursor, {hops} hops"
    if row.deep == "offset":
        return _with_params(first_url, offset=DEEP_OFFSET), f"offset={DEEP_OFFSET:,}"
    return _with_params(first_url, page=DEEP_PAGE), f"page={DEEP_PAGE}"


def time_row(client: Client, db: Database, ctx: Context, row: Row, args, log) -> RowResult:
    result = RowResult(row)
    try:
        url = ctx.fill(row.url)
    except KeyError as exc:
        result.status, result.note = "error", f"no value for {exc}"
        return result
    url = urllib.parse.quote(url, safe="/?=&,:%")
    # One warm-up request per gunicorn worker (each keeps its own in-process cache without Redis).
    for _ in range(WARM_UPS[0] - 1):
        client.get(url)
    warm = client.get(url)
    if warm.status == 404 and row.optional:
        result.status, result.note, result.url = "skipped", "404 (not there yet)", url
        return result
    if row.deep:
        url, how = deep_url(client, row, url, log)
        result.note = how
        warm = client.get(url)
    result.url = url
    if warm.status != 200:
        result.status, result.note = "error", f"HTTP {warm.status}"
        result.failures.append(f"HTTP {warm.status}")
        return result
    started = time.monotonic()
    for i in range(args.requests):
        answer = client.get(url, bench_id=f"{row.key}#{i}")
        if answer.status != 200:
            result.failures.append(f"HTTP {answer.status} on request {i + 1}")
            break
        result.ms.append(answer.ms)
        result.bytes = len(answer.body)
        if row.map:
            result.payload_kb = map_payload_kb(answer)
        count, _sep, sql_ms = answer.headers.get("x-bench-sql", "0;0").partition(";")
        result.sql_counts.append(int(count))
        result.sql_ms.append(float(sql_ms or 0))
        if time.monotonic() - started > args.row_seconds and len(result.ms) >= args.min_requests:
            break
    # The naive queries, on a direct connection, as many times (within the same time budget).
    if row.naive:
        statements = [ctx.fill(NAIVE[name]) for name in row.naive]
        started = time.monotonic()
        for _i in range(len(result.ms) or args.requests):
            begun = time.perf_counter()
            rows = 0
            for sql in statements:
                rows += len(db.query(sql))
            result.naive_ms.append((time.perf_counter() - begun) * 1000)
            result.naive_rows = rows
            if time.monotonic() - started > args.row_seconds and len(result.naive_ms) >= args.min_requests:
                break
    return result


# =============================================================================================
# The statements the rows ran, and their plans

ALIAS_RE = re.compile(r'(?:FROM|JOIN)\s+"?(\w+)"?(?:\s+(?:AS\s+)?"?([A-Z]\d+)"?)?', re.I)


def read_sql_log(directory: Path) -> dict[str, list[dict]]:
    """Return the recorded requests by row key."""
    by_row: dict[str, list[dict]] = defaultdict(list)
    for path in sorted(directory.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            by_row[entry["id"].split("#", 1)[0]].append(entry)
    return by_row


def scans_in_plan(kind: str, sql: str, plan: list[str]) -> list[str]:
    """Return the full scans of the watched tables this plan makes."""
    found = []
    if kind == "postgres":
        for line in plan:
            m = re.search(r"Seq Scan on (\w+)", line)
            if m and m.group(1) in WATCHED_TABLES:
                found.append(line.strip())
        return found
    aliases = {}
    for table, alias in ALIAS_RE.findall(sql):
        aliases[table] = table
        if alias:
            aliases[alias] = table
    has_limit = re.search(r"\bLIMIT\b", sql, re.I) is not None
    for line in plan:
        m = re.match(r"\s*SCAN (\w+)(?: AS \w+)?(.*)$", line)
        if not m or aliases.get(m.group(1), m.group(1)) not in WATCHED_TABLES:
            continue
        rest = m.group(2)
        if "USING" not in rest or ("INDEX" in rest and not has_limit):
            found.append(line.strip())
    return found


def analyse(result: RowResult, entries: list[dict], db: Database, plans: int) -> list[tuple[dict, list[str]]]:
    """Group the row's statements, EXPLAIN those on the watched tables, record full scans; return the
    plans to print (the slowest `plans` statements, and any that scan)."""
    groups: dict[str, dict] = {}
    requests = max(1, len(entries))
    for entry in entries:
        for st in entry["statements"]:
            g = groups.setdefault(
                st["sql"], {"sql": st["sql"], "n": 0, "ms": 0.0, "max": 0.0, "params": None}
            )
            g["n"] += 1
            g["ms"] += st["ms"]
            if st["ms"] >= g["max"]:
                g["max"], g["params"] = st["ms"], st["params"]
    for g in groups.values():
        g["per_request"] = g["ms"] / requests
    ordered = sorted(groups.values(), key=lambda g: -g["per_request"])
    result.statements = ordered
    shown = []
    for rank, g in enumerate(ordered):
        sql = g["sql"]
        watched = any(re.search(rf'\b"?{t}"?\b', sql) for t in WATCHED_TABLES)
        if not re.match(r"\s*(SELECT|WITH)\b", sql, re.I) or g["params"] is None or not watched:
            continue
        try:
            plan = db.explain(sql, g["params"])
        except Exception as exc:  # a plan that cannot be taken is reported, not fatal
            plan = [f"(EXPLAIN failed: {str(exc).strip().splitlines()[0]})"]
        scans = scans_in_plan(db.kind, sql, plan)
        if scans:
            result.scans += scans
        if rank < plans or scans:
            shown.append((g, plan))
    return shown


# =============================================================================================
# Running one database, and the report


@dataclass
class Report:
    db: Database
    source: str = ""
    results: list[RowResult] = field(default_factory=list)
    plans: dict[str, list[tuple[dict, list[str]]]] = field(default_factory=dict)
    failure: str = ""
    seconds: float = 0.0


def bench_database(db: Database, args) -> Report:
    report = Report(db)
    started = time.monotonic()
    media = BENCH_DIR / f"scale-media-{os.getpid()}"
    sql_log = BENCH_DIR / f"scale-sql-{db.kind}-{os.getpid()}"
    shutil.rmtree(sql_log, ignore_errors=True)
    server = None

    def log(text: str) -> None:
        print(text, flush=True)

    try:
        report.source = db.prepare(args.reuse, media, log)
        log("  migrate …")
        manage(db.url, media, "migrate", "--noinput", "-v0")
        commands = manage(db.url, media, "help", "--commands").split()
        for name, extra, *check in AFTER_MIGRATE:
            if name not in commands:
                continue
            if check:
                try:
                    manage(db.url, media, name, *check[0], timeout=3 * 3600)
                    log(f"  {name} {' '.join(check[0])}: up to date")
                    continue
                except RuntimeError:
                    pass
            log(f"  {name} {' '.join(extra)} …")
            manage(db.url, media, name, *extra, timeout=3 * 3600)
        _write_placeholder(media)
        ctx = discover(db)
        WARM_UPS[0] = max(1, args.workers)
        server = gunicorn_start(db, media, sql_log, args.workers, BENCH_DIR / f"scale-gunicorn-{db.kind}.log")
        clients = {}
        for persona, username in ctx.personas.items():
            clients[persona] = Client(server.port)
            clients[persona].sign_in(username)
        pattern = re.compile(args.rows) if args.rows else None
        for row in ROWS:
            if pattern and not pattern.search(row.key):
                continue
            log(f"  {row.key} …")
            report.results.append(time_row(clients[row.persona], db, ctx, row, args, log))
    except Exception as exc:  # report what was measured, and why it stopped
        report.failure = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=-3)}"
    finally:
        if server is not None:
            server.stop()
    if sql_log.is_dir():
        by_row = read_sql_log(sql_log)
        for result in report.results:
            with contextlib.suppress(Exception):
                report.plans[result.row.key] = analyse(result, by_row.get(result.row.key, []), db, args.plans)
    if not args.keep:
        with contextlib.suppress(Exception):
            db.drop()
        shutil.rmtree(media, ignore_errors=True)
        shutil.rmtree(sql_log, ignore_errors=True)
    else:
        db.close()
    report.seconds = time.monotonic() - started
    return report


def _write_placeholder(media: Path) -> None:
    """The generated photo rows point at one placeholder image; put it under this run's MEDIA_ROOT."""
    target = media / "cases" / "generated"
    target.mkdir(parents=True, exist_ok=True)
    for source in (ROOT / "var" / "media" / "cases" / "generated").glob("*.jpg"):
        shutil.copyfile(source, target / source.name)


def verdicts(report: Report) -> None:
    by_key = {r.row.key: r for r in report.results}
    for r in report.results:
        if r.status != "ok":
            continue
        if r.ms and r.row.p95_target and r.p95() >= P95_LIMIT_MS:
            r.failures.append(f"p95 {r.p95():.0f} ms ≥ {P95_LIMIT_MS:.0f}")
        if NAIVE_RATIO and r.ms and r.naive_ms:
            ratio = statistics.median(r.naive_ms) / max(r.median(), 0.001)
            r.note = (r.note + f" naive ÷ row {ratio:.1f}×").strip()
            if ratio < NAIVE_RATIO:
                r.failures.append(f"only {ratio:.1f}× the naive query (target {NAIVE_RATIO:g}×)")
        if r.payload_kb is not None and r.payload_kb >= MAP_PAYLOAD_LIMIT_KB:
            r.failures.append(f"map payload {r.payload_kb:.0f} kB ≥ {MAP_PAYLOAD_LIMIT_KB:.0f}")
        first = by_key.get(r.row.first)
        slower = first is not None and first.ms and r.ms and r.median() - first.median() > DEEP_SLACK_MS
        if slower and r.median() > DEEP_RATIO * first.median():
            r.failures.append(f"deep {r.median():.0f} ms vs first {first.median():.0f} ms")
        if r.scans:
            r.failures.append(f"{len(r.scans)} full scan(s)")


def width(text: str) -> int:
    """Return how many columns a terminal gives the text (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, columns: int) -> str:
    while width(text) > columns:
        text = text[:-1]
    return text + " " * (columns - width(text))


def short_sql(sql: str, limit: int = 500) -> str:
    """Return a statement on one line with its long column list elided: SELECT … FROM … WHERE …."""
    sql = re.sub(r"\s+", " ", sql)
    m = re.match(r"(SELECT (?:DISTINCT )?)(.*?)( FROM .*)$", sql, re.S)
    if m and len(m.group(2)) > 80:
        sql = m.group(1) + "…" + m.group(3)
    return sql if len(sql) <= limit else sql[: limit - 1] + "…"


def fmt_ms(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:,.0f}" if value >= 10 else f"{value:.1f}"


def print_report(report: Report, args) -> bool:
    db = report.db
    verdicts(report)
    grids = f", {args.grids:,} grids" if args.grids else ""
    print(
        f"\n=== {db.label}, {args.count:,} cases{grids} ({report.source}; {report.seconds / 60:.1f} min) ==="
    )
    header = (
        f"{'row':<47} {'persona':<8} {'p50':>7} {'p95':>7} │ {'naive p50':>9} {'p95':>7} │ "
        f"{'kB':>6} {'SQL':>4} {'SQL ms':>7}  verdict"
    )
    print(header)
    print("─" * len(header))
    ok = not report.failure
    for r in report.results:
        if r.status == "skipped":
            print(f"{pad(r.row.label, 47)} {r.row.persona:<8} skipped: {r.note}")
            continue
        kb = r.payload_kb if r.payload_kb is not None else r.bytes / 1000
        sql_n = statistics.median(r.sql_counts) if r.sql_counts else math.nan
        sql_ms = statistics.median(r.sql_ms) if r.sql_ms else math.nan
        verdict = "FAIL: " + "; ".join(r.failures) if r.failures else "ok"
        ok = ok and not r.failures
        if r.note:
            verdict += f" ({r.note})"
        print(
            f"{pad(r.row.label, 47)} {r.row.persona:<8} {fmt_ms(r.median()):>7} {fmt_ms(r.p95()):>7} │ "
            f"{fmt_ms(statistics.median(r.naive_ms) if r.naive_ms else math.nan):>9} "
            f"{fmt_ms(percentile(r.naive_ms, 0.95)):>7} │ {kb:>6.0f} {sql_n:>4.0f} {fmt_ms(sql_ms):>7}  {verdict}"
        )
    print(
        f"(ms; {args.requests} requests per row at most, within {args.row_seconds:g} s; kB: the map's JSON for map "
        "rows, else the body; SQL: statements and their ms per request, medians; naive: the row's NAIVE queries "
        "on a direct connection)"
    )
    if not args.no_plans:
        for r in report.results:
            shown = report.plans.get(r.row.key) or []
            if not shown:
                continue
            print(f"\n--- {r.row.key}: {r.url}")
            for g, plan in shown:
                print(
                    f"  {g['per_request']:.1f} ms/request ({g['n']} runs, max {g['max']:.1f} ms): {short_sql(g['sql'])}"
                )
                for line in plan[:25]:
                    marker = "  ◀ FULL SCAN" if scans_in_plan(db.kind, g["sql"], [line]) else ""
                    line = line if len(line) <= 160 else line[:157] + "…"
                    print(f"      {line}{marker}")
                if len(plan) > 25:
                    print(f"      … {len(plan) - 25} more plan lines")
    if report.failure:
        print(f"\n  STOPPED: {report.failure}")
    measured = [r for r in report.results if r.status != "skipped"]
    failed = [r for r in measured if r.failures]
    print(
        f"\n{db.label}: {len(measured) - len(failed)} rows met the targets, {len(failed)} missed them, "
        f"{len(report.results) - len(measured)} skipped."
    )
    return ok


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000, help="generated cases (default 1,000,000)")
    parser.add_argument(
        "--grids",
        type=int,
        default=None,
        help="grow the demo city to about this many grids first (generate_cases --grids; default: the demo's 304)",
    )
    parser.add_argument("--databases", default="sqlite,postgres", help="comma-separated: sqlite, postgres")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="clone the shared copy (or one built once and kept) instead of building",
    )
    parser.add_argument("--keep", action="store_true", help="keep the run's copy and the SQL log afterwards")
    parser.add_argument("--requests", type=int, default=20, help="timed requests per row at most")
    parser.add_argument("--min-requests", type=int, default=3, help="timed requests per row at least")
    parser.add_argument(
        "--row-seconds", type=float, default=30.0, help="time budget per row (and its naive query)"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--rows", default="", help="only the rows whose key matches this regular expression")
    parser.add_argument("--plans", type=int, default=3, help="plans printed per row (the slowest statements)")
    parser.add_argument("--no-plans", action="store_true", help="print no plans (full scans still fail)")
    args = parser.parse_args(argv)
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    print(
        f"bench_scale: {os.cpu_count()} CPUs, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
        f"{args.count:,} cases{f', {args.grids:,} grids' if args.grids else ''}, gunicorn {args.workers} sync "
        "workers, DEBUG=False"
    )
    databases = []
    for kind in (k.strip() for k in args.databases.split(",") if k.strip()):
        if kind == "postgres":
            why = pg_reachable()
            if why:
                print(f"PostgreSQL at {PG_ADMIN_URL} is not reachable ({why}): skipped.")
                continue
        elif kind != "sqlite":
            parser.error(f"unknown database {kind!r}")
        databases.append(Database(kind, args.count, args.grids))
    reports = []
    for db in databases:
        print(f"\n{db.kind} …", flush=True)
        reports.append(bench_database(db, args))
    ok = True
    for report in reports:
        ok = print_report(report, args) and ok
    print(f"\nload average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("All targets met." if ok else "Some targets were MISSED (see above).")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
