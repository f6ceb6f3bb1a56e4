"""Benchmark case intake over HTTP under gunicorn against a bare one-row insert, on SQLite and PostgreSQL.

Run: .venv/bin/python bench/bench_intake.py [--seconds 15] [--clients 16] [--workers 2]
         [--photo-seconds 5] [--rounds 1] [--databases sqlite,postgres] [--profile] [--wait-for-load 1.5]

For each database — SQLite in a fresh file under var/bench/, and PostgreSQL in a scratch database
(BENCH_PG_DB, default `civicgrid_bench_intake`) on the server of BENCH_PG_URL when it answers:

1. Migrate, load the demo county (about 300 grids around lon 120.75, lat 31.65, so intake really
   routes) and create the baseline's table `bench_row`; draw report points inside the grids.
2. For each pass start gunicorn (sync workers, a free 127.0.0.1 port, settings `bench.intake_settings`,
   which only adds `/bench/insert` to the real URLs), warm every worker up, then drive it with
   concurrent clients for the given time:
   - bare insert: `POST /bench/insert` parses a small JSON body and inserts one row (bench/intake_urls.py);
   - intake: `POST /api/v1/cases/` as an anonymous resident, JSON, a category that needs no photo,
     a unique `Idempotency-Key` per request;
   - floor: `POST /bench/lean-intake`, only the writes a report must make (bench/intake_urls.py);
   - intake + photo (shorter): the same as multipart/form-data with one small JPEG, a category that
     requires a photo.
   With --rounds N the bare, intake and floor passes alternate N times (a neighbour's load hits all).
3. Check the database directly: every 201's tracking number (or row id) is there exactly once, every
   photo case has its photo, and no row was written for a request that did not get its 201.
4. Stop gunicorn (its whole process group), drop the scratch database or remove the SQLite file.

Prints requests/s, p50, p99 at the client and in the worker (gunicorn's access log, `%(D)s`: the
client's time less the wait in the listen queue), errors (non-2xx and connection errors), the CPU the gunicorn processes
(and the PostgreSQL backends serving them) spent per request — steadier than rates on a shared machine —
and intake / floor; exits non-zero when a target is missed: intake at least 0.7 × the floor's rate on
SQLite and 0.6 × on PostgreSQL, p99 under 100 ms, zero errors, nothing missing. With --profile it then runs each pass once more under cProfile (in every
gunicorn worker, after the warm-up), lists the SQL of one intake and times intake and bare insert one
request at a time in one process. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import pstats
import random
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gunicorn_server
import numpy as np
import shapely
from gunicorn_server import Server

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SCRATCH_DB = os.environ.get("BENCH_PG_DB", "civicgrid_bench_intake")
INTAKE_PATH = "/api/v1/cases/"
BARE_PATH = "/bench/insert"
LEAN_PATH = "/bench/lean-intake"
# A category that needs no photo (noise nuisance) and one that requires one (exposed rubbish).
CATEGORY_PLAIN = "E0104"
CATEGORY_PHOTO = "E0101"
# The target (issue 7): intake at least this share of the floor's rate in the same run, per database,
# with a p99 under P99_TARGET_MS, zero errors and nothing lost.
TARGET_FLOOR_RATIO = {"sqlite": 0.7, "postgres": 0.6}
P99_TARGET_MS = 100.0
WARMUP_SECONDS = 2.0
REQUEST_TIMEOUT = 60.0
SETTINGS_MODULE = "bench.intake_settings"
# A fresh key per run: the server runs with DEBUG=False, like production, which requires one.
SECRET_KEY = "bench-intake-" + uuid.uuid4().hex


# ---------------------------------------------------------------------------------------------
# Databases


class Database:
    """One benchmark database: how the app reaches it and a direct connection for the checks."""

    def __init__(self, kind: str, tag: str) -> None:
        self.kind = kind
        self.tag = tag
        self.path: Path | None = None
        if kind == "sqlite":
            self.path = BENCH_DIR / f"intake-{tag}.sqlite3"
            self.url = f"sqlite:///{self.path}"
            self.label = f"SQLite {sqlite3.sqlite_version} ({self.path.relative_to(ROOT)})"
        else:
            self.url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{SCRATCH_DB}"
            self.label = f"PostgreSQL ({self.url})"
        self._conn: Any = None

    def create(self) -> None:
        if self.path is not None:
            self.drop()
            return
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
            self.label = f"PostgreSQL {admin.info.server_version // 10000} ({self.url})"
            admin.execute(f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)")
            admin.execute(f"CREATE DATABASE {SCRATCH_DB}")

    def drop(self) -> None:
        self.close()
        if self.path is not None:
            for suffix in ("", "-wal", "-shm", "-journal", "-writer.lock"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            return
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)")

    def connection(self) -> Any:
        if self._conn is None:
            if self.path is not None:
                self._conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            else:
                import psycopg

                self._conn = psycopg.connect(self.url, autocommit=True)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        """Run one statement written with `?` placeholders; return its rows."""
        if self.path is None:
            sql = sql.replace("?", "%s")
        cursor = self.connection().execute(sql, params)
        return cursor.fetchall() if cursor.description else []

    def create_bench_table(self) -> None:
        kind = "integer PRIMARY KEY" if self.path is not None else "bigserial PRIMARY KEY"
        self.query(f"CREATE TABLE IF NOT EXISTS bench_row (id {kind}, payload text NOT NULL)")

    def present(self, sql: str, values: Sequence[Any]) -> set[Any]:
        """Return which of `values` the query `... IN (%s)` finds, in chunks the drivers accept."""
        found: set[Any] = set()
        for start in range(0, len(values), 500):
            chunk = list(values[start : start + 500])
            marks = ",".join("?" * len(chunk))
            found.update(row[0] for row in self.query(sql % marks, chunk))
        return found


def pg_reachable() -> str | None:
    """Return None if the PostgreSQL server answers, else why not."""
    try:
        import psycopg

        psycopg.connect(PG_ADMIN_URL, connect_timeout=3).close()
    except Exception as exc:  # any failure only skips PostgreSQL
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return None


def server_env(db: Database, media: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=db.url,
        SECRET_KEY=SECRET_KEY,
        DEBUG="False",
        ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SETTINGS_MODULE=SETTINGS_MODULE,
        MEDIA_ROOT=str(media),
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    return env


def manage(db: Database, media: Path, *args: str) -> float:
    """Run one manage.py command against the benchmark database; return its wall time."""
    env = server_env(db, media)
    env["DJANGO_SETTINGS_MODULE"] = "civicgrid.settings"
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"manage.py {' '.join(args)} failed:\n{result.stdout[-2000:]}{result.stderr[-4000:]}"
        )
    return time.perf_counter() - started


def grid_points(db: Database, count: int, seed: int) -> list[tuple[float, float]]:
    """Return `count` WGS-84 points inside the current grid boundaries, a random grid for each."""
    rows = db.query(
        "SELECT b.geometry FROM places_boundary b JOIN places_place p ON p.id = b.place_id "
        "WHERE p.level = 'grid' AND b.valid_to IS NULL"
    )
    grids = [shapely.geometry.shape(json.loads(g) if isinstance(g, str) else g) for (g,) in rows]
    if not grids:
        raise RuntimeError("the demo county has no grids")
    shapely.prepare(grids)
    rng = np.random.default_rng(seed)
    points: list[tuple[float, float]] = []
    while len(points) < count:
        grid = grids[int(rng.integers(len(grids)))]
        xmin, ymin, xmax, ymax = grid.bounds
        for _attempt in range(100):
            x, y = rng.uniform((xmin, ymin), (xmax, ymax))
            if shapely.contains_xy(grid, x, y):
                points.append((round(float(x), 6), round(float(y), 6)))
                break
    return points


# ---------------------------------------------------------------------------------------------
# gunicorn


PROFILE_CONFIG = '''\
"""Written by bench/bench_intake.py --profile: cProfile every gunicorn worker once the warm-up is over."""
import cProfile
import os

_profile = None
_flag = os.path.join({directory!r}, "start")


def pre_request(worker, req):
    # The benchmark creates the flag after its warm-up, so one-time costs (imports, the routing index,
    # translation catalogues) stay out of the per-request figures.
    global _profile
    if _profile is None and os.path.exists(_flag):
        _profile = cProfile.Profile()
        _profile.enable()


def worker_exit(server, worker):
    if _profile is not None:
        _profile.disable()
        _profile.dump_stats(os.path.join({directory!r}, "worker-%d.prof" % os.getpid()))
'''


def gunicorn_start(
    db: Database,
    media: Path,
    args: argparse.Namespace,
    log: Path,
    profile_dir: Path | None = None,
    access: Path | None = None,
) -> Server:
    """Start gunicorn on a free port and return once it answers /healthz.

    With `access`, gunicorn writes each request's time in the worker (`%(D)s`, microseconds from the
    parsed request to the sent response) there: the client's latency less the wait in the listen queue.
    """
    options: list[str] = []
    if args.worker_class == "gthread":
        options += ["--threads", str(args.threads)]
    if access is not None:
        options += ["--access-logfile", str(access), "--access-logformat", "%(D)s"]
    if profile_dir is not None:
        config = profile_dir / "gunicorn_profile.py"
        config.write_text(PROFILE_CONFIG.format(directory=str(profile_dir)), encoding="utf-8")
        options += ["--config", str(config)]
    env = server_env(db, media)
    if args.sqlite_conn_max_age is not None:
        env["BENCH_SQLITE_CONN_MAX_AGE"] = str(args.sqlite_conn_max_age)
    return gunicorn_server.start(
        env=env, log=log, workers=args.workers, worker_class=args.worker_class, options=options
    )


def cpu_ticks(pids: Iterable[int]) -> dict[int, int]:
    """Return user + system CPU clock ticks of each process that still exists."""
    ticks = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks[pid] = int(fields[11]) + int(fields[12])
    return ticks


def server_pids(server: Server, db: Database) -> tuple[list[int], list[int]]:
    """Return the gunicorn master and workers, and the PostgreSQL backends serving them (if local)."""
    app = [server.proc.pid]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == server.proc.pid:
                app.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    backends = []
    if db.path is None:
        rows = db.query(
            "SELECT pid FROM pg_stat_activity WHERE datname = ? AND pid <> pg_backend_pid()", [SCRATCH_DB]
        )
        backends = [pid for (pid,) in rows if Path(f"/proc/{pid}").exists()]
    return app, backends


def cpu_delta(before: dict[int, int], after: dict[int, int]) -> float:
    """Return the CPU seconds spent between two samples (a process that appeared in between counts in full)."""
    ticks = sum(value - before.get(pid, 0) for pid, value in after.items())
    return ticks / os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------------------------------------
# Clients


class Connection:
    """One HTTP/1.1 client connection; reconnects when the server closes (gunicorn's sync workers do)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def send(self, request: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length: int | None = None
        close = head.startswith(b"HTTP/1.0")
        chunked = False
        for line in head.split(b"\r\n")[1:]:
            name, _sep, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection":
                close = value.strip().lower() == b"close"
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
        if chunked:
            body = await self._chunks()
        elif length is not None:
            body = await self.reader.readexactly(length)
        else:
            body = await self.reader.read()
            close = True
        if close:
            self.close()
        return status, body

    async def _chunks(self) -> bytes:
        assert self.reader is not None
        parts = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


@dataclass
class PassResult:
    name: str
    elapsed: float = 0.0
    statuses: Counter = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    connection_errors: int = 0
    bodies: list[bytes] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)
    client_cpu: float = 0.0
    load: tuple[float, float, float] = (0.0, 0.0, 0.0)
    round_rates: list[float] = field(default_factory=list)
    app_cpu: float = 0.0  # CPU seconds of the gunicorn processes during the pass
    db_cpu: float = 0.0  # CPU seconds of the PostgreSQL backends serving them
    worker_times: list[float] = field(default_factory=list)  # seconds each request spent in a worker

    def worker_percentile(self, q: float) -> float:
        return _percentile(self.worker_times, q)

    def cpu_ms(self, seconds: float) -> float:
        return seconds / self.requests * 1000 if self.requests else float("nan")

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.requests / self.elapsed if self.elapsed else 0.0

    @property
    def errors(self) -> int:
        return self.connection_errors + sum(
            n for status, n in self.statuses.items() if not 200 <= status < 300
        )

    def percentile(self, q: float) -> float:
        return _percentile(self.latencies, q)


def _percentile(seconds: Sequence[float], q: float) -> float:
    """The q-quantile of `seconds`, in milliseconds."""
    if not seconds:
        return float("nan")
    ordered = sorted(seconds)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def combine(name: str, results: Sequence[PassResult]) -> PassResult:
    """Pool the rounds of one pass: rates from total requests over total time, percentiles over all."""
    total = PassResult(name, load=results[0].load)
    for result in results:
        total.elapsed += result.elapsed
        total.statuses.update(result.statuses)
        total.latencies.extend(result.latencies)
        total.connection_errors += result.connection_errors
        total.bodies.extend(result.bodies)
        total.error_samples.extend(result.error_samples[: max(0, 5 - len(total.error_samples))])
        total.client_cpu += result.client_cpu * result.elapsed
        total.round_rates.append(result.rate)
        total.app_cpu += result.app_cpu
        total.db_cpu += result.db_cpu
        total.worker_times.extend(result.worker_times)
    total.client_cpu = total.client_cpu / total.elapsed if total.elapsed else 0.0
    return total


async def _drive(
    port: int, make: Callable[[], bytes], seconds: float, clients: int, result: PassResult
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds

    async def client() -> None:
        conn = Connection(port)
        while loop.time() < deadline:
            request = make()
            started = time.perf_counter()
            try:
                async with asyncio.timeout(REQUEST_TIMEOUT):
                    status, body = await conn.send(request)
            except (OSError, EOFError, TimeoutError, ValueError, asyncio.IncompleteReadError) as exc:
                conn.close()
                result.connection_errors += 1
                if len(result.error_samples) < 5:
                    result.error_samples.append(f"connection: {type(exc).__name__}: {exc}")
                continue
            result.latencies.append(time.perf_counter() - started)
            result.statuses[status] += 1
            if 200 <= status < 300:
                result.bodies.append(body)
            elif len(result.error_samples) < 5:
                result.error_samples.append(f"{status}: {body[:300].decode('utf-8', 'replace')}")
        conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    result.elapsed = time.perf_counter() - started


def drive(name: str, port: int, make: Callable[[], bytes], seconds: float, clients: int) -> PassResult:
    """Send requests from `clients` concurrent connections for `seconds`; record what came back."""
    result = PassResult(name, load=os.getloadavg())
    cpu = time.process_time()
    asyncio.run(_drive(port, make, seconds, clients, result))
    result.client_cpu = (time.process_time() - cpu) / result.elapsed if result.elapsed else 0.0
    return result


def small_jpeg() -> bytes:
    """Return a 320 × 240 JPEG of a few KB, like a heavily compressed phone photo."""
    from PIL import Image

    xs = np.linspace(0, 255, 320, dtype=np.uint8)
    ys = np.linspace(0, 255, 240, dtype=np.uint8)
    rgb = np.dstack(np.broadcast_arrays(xs[None, :], ys[:, None], (xs[None, :] // 2 + ys[:, None] // 2)))
    out = io.BytesIO()
    Image.fromarray(rgb.astype(np.uint8), "RGB").save(out, "JPEG", quality=80)
    return out.getvalue()


class Requests:
    """Build the raw HTTP requests of each pass; every intake request gets its own idempotency key."""

    def __init__(self, port: int, points: Sequence[tuple[float, float]], run: str) -> None:
        self.host = f"127.0.0.1:{port}".encode()
        self.points = points
        self.run = run
        self.counter = 0
        self.rng = random.Random(run)
        self.jpeg = small_jpeg()

    def _request(self, path: str, content_type: str, body: bytes, key: str = "") -> bytes:
        head = [
            b"POST " + path.encode() + b" HTTP/1.1",
            b"Host: " + self.host,
            b"Content-Type: " + content_type.encode(),
            b"Content-Length: " + str(len(body)).encode(),
            b"Accept: application/json",
            b"Accept-Language: en",
        ]
        if key:
            head.append(b"Idempotency-Key: " + key.encode())
        return b"\r\n".join(head) + b"\r\n\r\n" + body

    def _fields(self, category: str) -> tuple[dict[str, Any], str]:
        self.counter += 1
        lon, lat = self.points[self.rng.randrange(len(self.points))]
        fields = {
            "category": category,
            "description": f"Benchmark report {self.counter}: loud music after midnight.",
            "lon": lon,
            "lat": lat,
            "crs": "wgs84",
        }
        return fields, f"bench-{self.run}-{self.counter}"

    def bare(self) -> bytes:
        fields, _key = self._fields(CATEGORY_PLAIN)
        return self._request(BARE_PATH, "application/json", json.dumps(fields).encode())

    def intake(self) -> bytes:
        fields, key = self._fields(CATEGORY_PLAIN)
        return self._request(INTAKE_PATH, "application/json", json.dumps(fields).encode(), key)

    def lean(self) -> bytes:
        fields, key = self._fields(CATEGORY_PLAIN)
        return self._request(LEAN_PATH, "application/json", json.dumps(fields).encode(), key)

    def intake_photo(self) -> bytes:
        fields, key = self._fields(CATEGORY_PHOTO)
        boundary = f"bench{uuid.uuid4().hex}"
        parts = []
        for name, value in fields.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            )
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; filename="photo.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n".encode()
            + self.jpeg
            + b"\r\n"
        )
        parts.append(f"--{boundary}--\r\n".encode())
        return self._request(INTAKE_PATH, f"multipart/form-data; boundary={boundary}", b"".join(parts), key)


# ---------------------------------------------------------------------------------------------
# Checks


@dataclass
class Check:
    acknowledged: int = 0
    missing: int = 0
    duplicates: int = 0
    unacknowledged_rows: int = 0
    unreadable: int = 0
    routed: int = 0
    replayed: int = 0
    photo_cases: int = 0  # acknowledged cases sent with a photo
    photo_rows: int = 0  # their report photos in the database

    @property
    def ok(self) -> bool:
        return not (
            self.missing
            or self.duplicates
            or self.unreadable
            or self.unacknowledged_rows
            or self.photo_rows != self.photo_cases
        )


def check_intake(
    db: Database, results: Iterable[PassResult], run: str, with_photo: Iterable[PassResult] = ()
) -> Check:
    """Find every acknowledged tracking number in the database (and its photo); count unacknowledged rows."""
    check = Check()
    numbers: list[str] = []
    photo_numbers: list[str] = []
    photo_results = {id(result) for result in with_photo}
    for result in [*results, *with_photo]:
        check.replayed += result.statuses.get(200, 0)
        for body in result.bodies:
            try:
                data = json.loads(body)
                numbers.append(data["tracking_number"])
            except (ValueError, KeyError, TypeError):
                check.unreadable += 1
                continue
            check.routed += bool(data.get("routed"))
            if id(result) in photo_results:
                photo_numbers.append(data["tracking_number"])
    check.acknowledged = len(numbers)
    check.duplicates = len(numbers) - len(set(numbers))
    unique = sorted(set(numbers))
    found = db.present("SELECT tracking_number FROM cases_case WHERE tracking_number IN (%s)", unique)
    check.missing = len(set(unique) - found)
    (rows,) = db.query("SELECT count(*) FROM cases_case WHERE idempotency_key LIKE ?", [f"%bench-{run}-%"])[0]
    check.unacknowledged_rows = max(0, rows - len(set(unique)))
    if photo_numbers:
        check.photo_cases = len(set(photo_numbers))
        check.photo_rows = len(
            db.present(
                "SELECT DISTINCT c.tracking_number FROM cases_casephoto p JOIN cases_case c ON c.id = p.case_id "
                "WHERE p.kind = 'report' AND c.tracking_number IN (%s)",
                sorted(set(photo_numbers)),
            )
        )
    return check


def check_bare(db: Database, results: Iterable[PassResult]) -> Check:
    check = Check()
    ids: list[int] = []
    for result in results:
        for body in result.bodies:
            try:
                ids.append(int(json.loads(body)["id"]))
            except (ValueError, KeyError, TypeError):
                check.unreadable += 1
    check.acknowledged = len(ids)
    check.duplicates = len(ids) - len(set(ids))
    found = db.present("SELECT id FROM bench_row WHERE id IN (%s)", sorted(set(ids)))
    check.missing = len(set(ids) - found)
    (rows,) = db.query("SELECT count(*) FROM bench_row")[0]
    check.unacknowledged_rows = max(0, rows - len(set(ids)))
    return check


# ---------------------------------------------------------------------------------------------
# Profiles

# (label, file suffix, function name): where a request's time goes. Cumulative times nest.
PROFILE_PARTS = (
    ("whole request in Django (WSGIHandler)", "django/core/handlers/wsgi.py", "__call__"),
    ("middleware: locale (activate the language)", "django/middleware/locale.py", "process_request"),
    ("new database connection", "django/db/backends/base/base.py", "connect"),
    ("closing the connection (request end)", "django/db/backends/base/base.py", "close"),
    ("bench bare insert view", "bench/intake_urls.py", "insert"),
    ("intake API view", "civicgrid/cases/api.py", "case_create"),
    ("  read the body (payload_of)", "civicgrid/cases/api_input.py", "payload_of"),
    ("  validate it (CaseIn)", "civicgrid/cases/api.py", "_validate"),
    ("  case_create (service)", "civicgrid/cases/services/intake.py", "case_create"),
    ("    replay read-back (_existing)", "civicgrid/cases/services/intake.py", "_existing"),
    ("    routing.locate", "civicgrid/places/routing.py", "locate"),
    ("    photos_clean (check, strip, thumbnail)", "civicgrid/cases/services/photos.py", "photos_clean"),
    ("    tracking number counter", "civicgrid/cases/services/intake.py", "_next_tracking_number"),
    ("    step deadline", "civicgrid/cases/workflow.py", "step_due"),
    ("    _photos_save (files + rows)", "civicgrid/cases/services/photos.py", "_photos_save"),
    (
        "    notify the queue (notify_step)",
        "civicgrid/cases/services/notifying.py",
        "notify_step",
    ),
    ("  response body (_created_out)", "civicgrid/cases/api.py", "_created_out"),
    ("SQL statements (CursorWrapper._execute)", "django/db/backends/utils.py", "_execute"),
    ("transaction commits", "django/db/backends/base/base.py", "commit"),
)


def profile_stats(directory: Path) -> pstats.Stats | None:
    files = sorted(directory.glob("worker-*.prof"))
    if not files:
        return None
    stats = pstats.Stats(str(files[0]), stream=io.StringIO())
    for extra in files[1:]:
        stats.add(str(extra))
    return stats


def profile_parts(stats: pstats.Stats) -> tuple[int, dict[str, tuple[float, float]]]:
    """Return the number of requests and, per part, (ms per request, calls per request)."""
    table: dict[tuple[str, int, str], tuple] = stats.stats  # type: ignore[attr-defined]

    def find(suffix: str, name: str) -> tuple[int, float]:
        calls, cumulative = 0, 0.0
        for (filename, _line, function), (_cc, nc, _tt, ct, _callers) in table.items():
            if function == name and filename.endswith(suffix):
                calls += nc
                cumulative += ct
        return calls, cumulative

    requests, _total = find("django/core/handlers/wsgi.py", "__call__")
    parts = {}
    for label, suffix, name in PROFILE_PARTS:
        calls, cumulative = find(suffix, name)
        if calls and requests:
            parts[label] = (cumulative / requests * 1000, calls / requests)
    return requests, parts


def profile_report(directory: Path) -> str:
    """Return the milliseconds per request of each part, then the top functions by own time."""
    stats = profile_stats(directory)
    if stats is None:
        return "    (no profile was written: did the workers exit cleanly?)"
    requests, parts = profile_parts(stats)
    if not requests:
        return "    (the profile holds no request)"
    lines = [
        f"    {requests:,} requests after the warm-up; wall-clock time per request (parts nest):",
        f"    {'':<50} {'ms':>7} {'calls':>6}",
    ]
    lines.extend(f"    {label:<50} {ms:7.2f} {calls:6.2f}" for label, (ms, calls) in parts.items())
    out = io.StringIO()
    stats.stream = out  # type: ignore[attr-defined]
    stats.sort_stats("tottime").print_stats(12)
    body = out.getvalue()
    lines.append("    Top functions by own time (all workers):")
    lines.extend(
        "      " + line for line in body[body.find("   ncalls") :].rstrip().splitlines() if line.strip()
    )
    return "\n".join(lines)


SQL_PROBE = """
import json, sys, time
import django
django.setup()
from django.db import connection
from django.test import Client

client = Client(headers={"Accept-Language": "en"})
path, points, count = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3])
statements = []


def record(execute, sql, params, many, context):
    started = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        statements.append((time.perf_counter() - started, sql))


def intake(i):
    lon, lat = points[i % len(points)]
    body = {"category": "E0104", "description": "Probe", "lon": lon, "lat": lat, "crs": "wgs84"}
    return client.post(path, body, content_type="application/json", headers={"Idempotency-Key": f"bench-probe-{i}"})


def timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(count):
        fn(i)
    return (time.perf_counter() - wall) / count * 1000, (time.process_time() - cpu) / count * 1000


# The first requests pay for the routing index and the translation catalogues.
for i in range(10):
    intake(10**6 + i)
with connection.execute_wrapper(record):
    response = intake(2 * 10**6)
print(response.status_code, len(statements))
for seconds, sql in statements:
    print(f"{seconds * 1000:7.2f} ms  {' '.join(sql.split())[:150]}")
print("timing intake %.2f %.2f" % timed(intake))
print("timing bare %.2f %.2f" % timed(lambda i: client.post("/bench/insert", {"description": "Probe"}, content_type="application/json")))
"""


def sql_statements(
    db: Database,
    media: Path,
    points: Sequence[tuple[float, float]],
    conn_max_age: int | None = None,
    count: int = 200,
) -> str:
    """List one intake request's SQL and time intake and bare insert in one process, one at a time.

    It runs Django's test client with the same settings and database as gunicorn, without HTTP.
    """
    env = server_env(db, media)
    env["ALLOWED_HOSTS"] = "127.0.0.1,testserver"
    if conn_max_age is not None:
        env["BENCH_SQLITE_CONN_MAX_AGE"] = str(conn_max_age)
    result = subprocess.run(
        [sys.executable, "-c", SQL_PROBE, INTAKE_PATH, json.dumps(list(points[:500])), str(count)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        return "    (the SQL probe failed: " + (result.stderr.strip().splitlines() or ["?"])[-1] + ")"
    lines = result.stdout.strip().splitlines()
    status, statements = lines[0].split()
    timings = {
        line.split()[1]: (float(line.split()[2]), float(line.split()[3]))
        for line in lines
        if line.startswith("timing ")
    }
    out = [
        f"  in one process, one request at a time ({count} each, Django's test client, no HTTP):",
        *(
            f"    {kind:<7} {wall:6.2f} ms wall, {cpu:6.2f} ms CPU per request"
            for kind, (wall, cpu) in timings.items()
        ),
        f"  one intake request (HTTP {status}) ran {statements} SQL statements (BEGIN/COMMIT are not all listed):",
        *("    " + line for line in lines[1:] if not line.startswith("timing ")),
    ]
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# Running it


@dataclass
class DatabaseReport:
    db: Database
    passes: dict[str, PassResult] = field(default_factory=dict)
    checks: dict[str, Check] = field(default_factory=dict)
    setup_seconds: float = 0.0
    profiles: dict[str, str] = field(default_factory=dict)
    statements: str = ""
    failure: str = ""


def run_pass(
    db: Database,
    media: Path,
    args: argparse.Namespace,
    points: Sequence[tuple[float, float]],
    name: str,
    make_name: str,
    seconds: float,
    run: str,
    profile_dir: Path | None = None,
) -> tuple[PassResult, PassResult]:
    """Start a fresh gunicorn, warm it up, drive one pass; return (warm-up, measured) results."""
    log = BENCH_DIR / f"gunicorn-{db.tag}-{db.kind}.log"
    log.unlink(missing_ok=True)
    access = BENCH_DIR / f"gunicorn-{db.tag}-{db.kind}-access.log"
    access.unlink(missing_ok=True)
    server = gunicorn_start(db, media, args, log, profile_dir, access)
    try:
        # Each pass has its own keys: a key reused across passes would come back as a replay.
        builder = Requests(server.port, points, f"{run}-{make_name}")
        make = getattr(builder, make_name)
        warmup = drive(f"{name} (warm-up)", server.port, make, WARMUP_SECONDS, args.clients)
        if profile_dir is not None:
            (profile_dir / "start").touch()
        app, backends = server_pids(server, db)
        app_before, db_before = cpu_ticks(app), cpu_ticks(backends)
        access_offset = access.stat().st_size if access.exists() else 0
        measured = drive(name, server.port, make, seconds, args.clients)
        app, backends = server_pids(server, db)
        app_after, db_after = cpu_ticks(app), cpu_ticks(backends)
        measured.app_cpu = cpu_delta(app_before, app_after)
        measured.db_cpu = cpu_delta(db_before, db_after)
    finally:
        db.close()
        server.stop()
    if access.exists():
        with access.open("rb") as lines:
            lines.seek(access_offset)
            measured.worker_times = [int(line) / 1e6 for line in lines if line.strip().isdigit()]
        access.unlink()
    if measured.errors or warmup.errors:
        tail = server.log_tail()
        if tail:
            measured.error_samples.append("gunicorn log:\n" + textwrap.indent(tail, "    "))
    log.unlink(missing_ok=True)
    return warmup, measured


def bench_database(db: Database, args: argparse.Namespace) -> DatabaseReport:
    report = DatabaseReport(db)
    media = BENCH_DIR / f"media-{db.tag}-{db.kind}"
    profile_root = BENCH_DIR / f"profile-{db.tag}-{db.kind}"
    try:
        started = time.perf_counter()
        db.create()
        manage(db, media, "migrate", "--noinput")
        manage(db, media, "load_demo")
        db.create_bench_table()
        points = grid_points(db, 5000, seed=20261129)
        db.close()
        report.setup_seconds = time.perf_counter() - started
        print(
            f"  set up in {report.setup_seconds:.1f} s (migrate, load_demo, bench_row, "
            f"{len(points):,} points inside the grids)",
            flush=True,
        )
        # Rounds alternate bare and intake, so a neighbour's load hits both alike.
        plan = [
            ("bare insert", "bare", args.seconds),
            ("intake (JSON)", "intake", args.seconds),
            ("floor (lean)", "lean", args.seconds),
        ] * args.rounds
        if args.photo_seconds > 0:
            plan.append(("intake + 1 photo", "intake_photo", args.photo_seconds))
        warmups: dict[str, list[PassResult]] = {}
        rounds: dict[str, list[PassResult]] = {}
        run = uuid.uuid4().hex[:12]
        for number, (name, make_name, seconds) in enumerate(plan):
            print(f"  {name}: {seconds:g} s, load average {os.getloadavg()[0]:.2f} …", flush=True)
            warmup, result = run_pass(db, media, args, points, name, make_name, seconds, f"{run}-{number}")
            rounds.setdefault(name, []).append(result)
            warmups.setdefault(make_name, []).append(warmup)
        report.passes = {name: combine(name, results) for name, results in rounds.items()}
        report.checks["bare"] = check_bare(db, [*warmups["bare"], report.passes["bare insert"]])
        photo = [*warmups.get("intake_photo", []), *filter(None, [report.passes.get("intake + 1 photo")])]
        lean = [*warmups.get("lean", []), *filter(None, [report.passes.get("floor (lean)")])]
        report.checks["intake"] = check_intake(
            db, [*warmups["intake"], report.passes["intake (JSON)"], *lean], run, with_photo=photo
        )
        db.close()
        if args.profile:
            for name, make_name, seconds in dict.fromkeys(plan):
                directory = profile_root / make_name
                directory.mkdir(parents=True, exist_ok=True)
                print(f"  profiling {name} for {min(seconds, 10):g} s …", flush=True)
                run_pass(db, media, args, points, name, make_name, min(seconds, 10), f"{run}-p", directory)
                report.profiles[name] = profile_report(directory)
            report.statements = sql_statements(db, media, points, args.sqlite_conn_max_age)
    except Exception as exc:  # report it and still clean up the other database
        report.failure = f"{type(exc).__name__}: {exc}"
    finally:
        db.close()
        shutil.rmtree(profile_root, ignore_errors=True)
        shutil.rmtree(media, ignore_errors=True)
        try:
            db.drop()
        except Exception as exc:  # cleaning up must not hide the figures
            report.failure = (report.failure + f"; cleanup failed: {exc}").lstrip("; ")
    return report


def print_report(report: DatabaseReport, args: argparse.Namespace) -> bool:
    """Print one database's figures; return whether every target was met."""
    db = report.db
    print()
    experiment = ""
    if args.sqlite_conn_max_age is not None and db.kind == "sqlite":
        experiment = f" [experiment: SQLite CONN_MAX_AGE={args.sqlite_conn_max_age}]"
    print(
        f"== {db.label}: gunicorn {args.workers} {args.worker_class} workers, {args.clients} clients"
        f"{experiment} =="
    )
    ok = True
    if report.passes:
        print(
            f"  {'pass':<18} {'requests':>9} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}"
            f" {'in worker p50/p99':>17} {'errors':>7} {'app CPU/req':>11} {'DB CPU/req':>10} {'client CPU':>10} {'load avg':>9}"
        )
    for result in report.passes.values():
        print(
            f"  {result.name:<18} {result.requests:>9,} {result.rate:>9,.1f} {result.percentile(0.5):>8.1f}"
            f" {result.percentile(0.99):>8.1f}"
            f" {f'{result.worker_percentile(0.5):.1f} / {result.worker_percentile(0.99):.1f}':>17}"
            f" {result.errors:>7,}"
            f" {result.cpu_ms(result.app_cpu):>8.2f} ms"
            f" {(f'{result.cpu_ms(result.db_cpu):.2f} ms' if db.path is None else '(in app)'):>10}"
            f" {result.client_cpu:>10.0%} {result.load[0]:>9.2f}"
        )
        if len(result.round_rates) > 1:
            print("    rounds: " + ", ".join(f"{rate:,.1f}" for rate in result.round_rates) + " req/s")
        if result.errors:
            ok = False
            statuses = ", ".join(f"{status}: {n:,}" for status, n in sorted(result.statuses.items()))
            print(f"    statuses {statuses}; connection errors {result.connection_errors:,}")
            for sample in result.error_samples:
                print(textwrap.indent(sample, "    ! "))
    bare = report.passes.get("bare insert")
    intake = report.passes.get("intake (JSON)")
    lean = report.passes.get("floor (lean)")
    if lean and intake and lean.rate:
        target = TARGET_FLOOR_RATIO[db.kind]
        ratio = intake.rate / lean.rate
        verdict = "met" if ratio >= target else "MISSED"
        ok = ok and ratio >= target
        print(f"  intake / floor = {ratio:.2f} (target ≥ {target:.2f}: {verdict})")
        p99 = intake.percentile(0.99)
        verdict = "met" if p99 < P99_TARGET_MS else "MISSED"
        ok = ok and p99 < P99_TARGET_MS
        print(f"  intake p99 = {p99:.1f} ms (target < {P99_TARGET_MS:g} ms: {verdict})")
        if intake.worker_times:
            print(
                f"    of which in a worker: p50 {intake.worker_percentile(0.5):.1f} ms, p99 "
                f"{intake.worker_percentile(0.99):.1f} ms; the rest is the wait of {args.clients} clients' "
                f"requests in the listen queue of {args.workers} workers (the floor's p99: "
                f"{lean.percentile(0.99):.1f} ms)"
            )
    if bare and bare.rate:
        if intake:
            print(f"  intake / bare = {intake.rate / bare.rate:.2f} (no target)")
        if lean:
            print(f"  floor / bare = {lean.rate / bare.rate:.2f} (no target)")
        photo = report.passes.get("intake + 1 photo")
        if photo:
            print(f"  intake + 1 photo / bare = {photo.rate / bare.rate:.2f} (no target)")
    for kind, check in report.checks.items():
        what = "tracking numbers" if kind == "intake" else "row ids"
        line = (
            f"  {kind} check: {check.acknowledged:,} acknowledged {what} (warm-ups included): "
            f"{check.missing:,} missing, {check.duplicates:,} duplicated, "
            f"{check.unacknowledged_rows:,} rows without a 2xx"
        )
        if kind == "intake":
            share = check.routed / check.acknowledged if check.acknowledged else 0.0
            line += f", {share:.0%} routed to a grid, {check.replayed:,} idempotent replays (200)"
        if check.photo_cases:
            line += f"; {check.photo_rows:,} of {check.photo_cases:,} photo cases have their photo"
        if check.unreadable:
            line += f", {check.unreadable:,} unreadable 2xx bodies"
        print(line)
        ok = ok and check.ok
    for name, text in report.profiles.items():
        print(f"  profile of {name} (cProfile slows every call; compare the parts, not the rates):")
        print(text)
    if report.statements:
        print(report.statements)
    if report.failure:
        ok = False
        print(f"  FAILED: {report.failure}")
    return ok


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15, help="length of the bare and intake passes")
    parser.add_argument(
        "--photo-seconds", type=float, default=5, help="length of the photo pass (0 skips it)"
    )
    parser.add_argument("--rounds", type=int, default=1, help="alternate bare and intake passes this often")
    parser.add_argument("--clients", type=int, default=16, help="concurrent client connections")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--worker-class", default="sync", choices=("sync", "gthread"))
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--databases", default="sqlite,postgres", help="comma-separated: sqlite, postgres")
    parser.add_argument(
        "--profile", action="store_true", help="then profile each pass (cProfile) and list one intake's SQL"
    )
    parser.add_argument(
        "--sqlite-conn-max-age",
        type=int,
        default=None,
        help="experiment: keep SQLite connections open this many seconds (the app closes them per request)",
    )
    parser.add_argument(
        "--wait-for-load",
        type=float,
        default=None,
        metavar="LOAD",
        help="first wait (up to 15 minutes) until the 1-minute load average is below LOAD",
    )
    args = parser.parse_args(argv)
    if args.wait_for_load is not None:
        waited = time.monotonic()
        while os.getloadavg()[0] >= args.wait_for_load and time.monotonic() - waited < 900:
            time.sleep(10)
        print(
            f"waited {time.monotonic() - waited:.0f} s for the load average to drop below {args.wait_for_load:g}"
        )

    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    tag = str(os.getpid())
    kinds = [k.strip() for k in args.databases.split(",") if k.strip()]
    print(
        f"bench_intake: {os.cpu_count()} CPUs, load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; {args.rounds} × {args.seconds:g} s per pass "
        f"({args.photo_seconds:g} s with a photo), {args.clients} clients, "
        f"gunicorn {args.workers} {args.worker_class} workers"
    )
    databases = []
    for kind in kinds:
        if kind == "sqlite":
            databases.append(Database("sqlite", tag))
        elif kind == "postgres":
            why = pg_reachable()
            if why:
                print(f"PostgreSQL at {PG_ADMIN_URL} is not reachable ({why}): skipped.")
            else:
                databases.append(Database("postgres", tag))
        else:
            parser.error(f"unknown database {kind!r}")
    ok = True
    reports = []
    for db in databases:
        print(f"\n{db.label} …", flush=True)
        reports.append(bench_database(db, args))
    for report in reports:
        ok = print_report(report, args) and ok
    print(f"\nload average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("All targets met." if ok else "Some targets were MISSED (see above).")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
