"""Benchmark point routing: RoutingIndex and locate() against a naive loop and PostGIS.

Run: .venv/bin/python bench/bench_locate.py [--grids 10000] [--points 200000] [--postgis-points 5000]

1. Tessellate a ~50 × 50 km square around lon 120.75, lat 31.65 into N Voronoi grids (seeded).
2. Time RoutingIndex.lookup and the full routing.locate path (a prebuilt index installed as the process's
   routing state, so no database is touched) over random points, one call per point.
3. Time a naive loop over prepared polygons and a plain STRtree query per point on a smaller sample.
4. If PostGIS is available, load the grids into a scratch database `bench_locate` with a GiST index and
   time one ST_Covers query per point, one round trip each; drop the database at the end.
5. Check that all methods agree, print the ratios and whether the targets are met.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from civicgrid.lib.geo import (  # noqa: E402  (the repository root must be on sys.path first)
    M_PER_DEG_LAT,
    M_PER_DEG_LON,
    RoutingIndex,
    wgs84_to_gcj02,
)

CENTRE = (120.75, 31.65)
HALF_SIDE_M = 25_000
TARGET_PER_SECOND = 80_000
TARGET_VS_POSTGIS = 10
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SCRATCH_DB = "bench_locate"


def make_grids(count: int, seed: int) -> tuple[list[tuple[str, shapely.Polygon]], tuple[float, ...]]:
    """Return `count` Voronoi grids tiling the benchmark square, keyed by 15-digit grid codes, and its bounds."""
    lon0, lat0 = CENTRE
    half_lon = HALF_SIDE_M / (M_PER_DEG_LON * math.cos(math.radians(lat0)))
    half_lat = HALF_SIDE_M / M_PER_DEG_LAT
    bounds = (lon0 - half_lon, lat0 - half_lat, lon0 + half_lon, lat0 + half_lat)
    area = shapely.box(*bounds)
    rng = np.random.default_rng(seed)
    sites = rng.uniform(bounds[:2], bounds[2:], size=(count, 2))
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(sites), extend_to=area))
    cells = shapely.intersection(cells, area)
    # Codes as a real county would have them: 10 towns × 100 villages × up to 999 grids.
    entries = []
    for i, cell in enumerate(cells):
        town, rest = divmod(i, 1000)
        village, grid = divmod(rest, 10)
        entries.append((f"329981{town + 1:03d}{village + 1:03d}{grid + 1:03d}", cell))
    return entries, bounds


def random_points(count: int, bounds: Sequence[float], seed: int) -> list[tuple[float, float]]:
    """Return points spread over the square grown by 2 %, so a few fall outside every grid."""
    xmin, ymin, xmax, ymax = bounds
    pad_x = (xmax - xmin) * 0.02
    pad_y = (ymax - ymin) * 0.02
    rng = np.random.default_rng(seed)
    points = rng.uniform((xmin - pad_x, ymin - pad_y), (xmax + pad_x, ymax + pad_y), size=(count, 2))
    return [(float(x), float(y)) for x, y in points]


def rate(fn: Callable[[float, float], object], points: Sequence[tuple[float, float]]) -> tuple[float, list]:
    """Call fn once per point; return calls per second and the answers."""
    answers = []
    append = answers.append
    started = time.perf_counter()
    for lon, lat in points:
        append(fn(lon, lat))
    elapsed = time.perf_counter() - started
    return len(points) / elapsed, answers


def naive_lookup(entries: list[tuple[str, shapely.Polygon]]) -> Callable[[float, float], str | None]:
    """Return a lookup that tests every prepared polygon in code order: the rule, with no index."""
    geoms = [geom for _key, geom in entries]
    shapely.prepare(geoms)
    pairs = list(zip(geoms, [key for key, _geom in entries], strict=True))

    def lookup(lon: float, lat: float) -> str | None:
        for geom, key in pairs:
            if shapely.intersects_xy(geom, lon, lat):
                return key
        return None

    return lookup


def strtree_lookup(entries: list[tuple[str, shapely.Polygon]]) -> Callable[[float, float], str | None]:
    """Return a lookup doing one STRtree query per point (the plain approach the raster replaces)."""
    keys = [key for key, _geom in entries]
    tree = shapely.STRtree([geom for _key, geom in entries])

    def lookup(lon: float, lat: float) -> str | None:
        hits = tree.query(shapely.Point(lon, lat), predicate="intersects")
        return keys[int(hits.min())] if len(hits) else None

    return lookup


def locate_index(entries: list[tuple[str, shapely.Polygon]]) -> RoutingIndex | None:
    """Return an index carrying the payload routing.locate expects (made-up places), or None without Django."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.test_settings")
    try:
        import django

        django.setup()
        from django.conf import settings

        from civicgrid.places import routing
    except Exception as exc:  # any failure here only skips this figure
        print(f"  locate(): skipped, Django could not be set up ({exc})")
        return None
    settings.ROUTING_REFRESH_SECONDS = 3600

    def ref(code: str, level: str) -> routing.PlaceRef:
        return routing.PlaceRef(id=int(code), code=code, name=code, level=level)

    payload = {
        key: routing.GridPlaces(
            grid=ref(key, "grid"),
            village=ref(key[:12], "village"),
            town=ref(key[:9], "town"),
            district=ref(key[:6], "district"),
        )
        for key, _geom in entries
    }
    return RoutingIndex(entries, payload)


def locate_rate(
    index: RoutingIndex, points: Sequence[tuple[float, float]], crs: str
) -> tuple[float, list[str | None]]:
    """Time routing.locate itself with `index` installed as this process's state (no database)."""
    from civicgrid.places import routing

    routing._state = routing.RoutingState(index=index, revision=(0, None), checked_at=routing._clock())
    locate = routing.locate
    per_second, answers = rate(lambda lon, lat: locate(lon, lat, crs), points)
    routing.invalidate()
    return per_second, [location.grid.code if location.grid else None for location in answers]


def postgis_rate(
    entries: list[tuple[str, shapely.Polygon]], points: Sequence[tuple[float, float]]
) -> tuple[float, list[str | None]] | None:
    """Time one ST_Covers query per point against a GiST-indexed table; None if PostGIS is not available."""
    try:
        import psycopg
    except ImportError:
        print("  PostGIS: skipped, psycopg is not installed")
        return None
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.Error as exc:
        print(f"  PostGIS: skipped, no PostgreSQL at {PG_ADMIN_URL} ({exc.__class__.__name__})")
        return None
    with admin:
        available = admin.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'").fetchone()
        if not available:
            print("  PostGIS: skipped, the postgis extension is not installed on this server")
            return None
        admin.execute(f"DROP DATABASE IF EXISTS {SCRATCH_DB}")
        admin.execute(f"CREATE DATABASE {SCRATCH_DB}")
        try:
            url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + SCRATCH_DB
            with psycopg.connect(url, autocommit=True) as conn:
                return _postgis_measure(conn, entries, points)
        finally:
            admin.execute(f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)")


def _postgis_measure(conn, entries, points) -> tuple[float, list[str | None]]:
    conn.execute("CREATE EXTENSION postgis")
    conn.execute("CREATE TABLE grids (code text PRIMARY KEY, geom geometry(Polygon, 4326) NOT NULL)")
    started = time.perf_counter()
    with conn.cursor() as cur, cur.copy("COPY grids (code, geom) FROM STDIN") as copy:
        for key, geom in entries:
            copy.write_row((key, shapely.to_wkb(shapely.set_srid(geom, 4326), hex=True, include_srid=True)))
    conn.execute("CREATE INDEX grids_geom_idx ON grids USING gist (geom)")
    conn.execute("ANALYZE grids")
    print(
        f"  PostGIS: loaded {len(entries):,} grids with a GiST index in {time.perf_counter() - started:.1f} s"
    )
    # ST_Covers, not ST_Contains: it counts boundary points too, the rule the index follows, and uses the same
    # GiST index; ORDER BY code LIMIT 1 is the same tie-break.
    sql = (
        "SELECT code FROM grids WHERE ST_Covers(geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326)) "
        "ORDER BY code LIMIT 1"
    )
    with conn.cursor() as cur:
        for lon, lat in points[:50]:  # warm the cache and let psycopg prepare the statement
            cur.execute(sql, (lon, lat))

        def lookup(lon: float, lat: float) -> str | None:
            cur.execute(sql, (lon, lat))
            row = cur.fetchone()
            return row[0] if row else None

        return rate(lookup, points)


def agreement(name: str, ours: list, theirs: list) -> bool:
    mismatches = sum(1 for a, b in zip(ours, theirs, strict=True) if a != b)
    print(f"  agreement with {name}: {len(ours) - mismatches:,}/{len(ours):,} points identical")
    return mismatches == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grids", type=int, default=10_000)
    parser.add_argument("--points", type=int, default=200_000)
    parser.add_argument("--naive-points", type=int, default=500)
    parser.add_argument("--postgis-points", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    print(f"bench_locate: {args.grids:,} grids, {args.points:,} points, seed {args.seed}")
    print(
        f"  machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} (figures are one thread)"
    )
    started = time.perf_counter()
    entries, bounds = make_grids(args.grids, args.seed)
    print(f"  tessellation: {len(entries):,} grids in {time.perf_counter() - started:.1f} s")
    points = random_points(args.points, bounds, args.seed + 1)

    started = time.perf_counter()
    index = RoutingIndex(entries)
    build_s = time.perf_counter() - started
    cells = index._cells
    direct = sum(1 for cell in cells if cell.__class__ is str) / len(cells)
    print(
        f"  RoutingIndex: built in {build_s:.2f} s, {len(cells):,} cells, "
        f"{direct:.0%} answered with no geometry test"
    )

    ours_rate, ours = rate(index.lookup, points)
    routed = sum(1 for key in ours if key is not None)
    print(
        f"  RoutingIndex.lookup: {ours_rate:,.0f} lookups/s ({routed:,} of {len(points):,} points in a grid)"
    )

    agree = True
    with_places = locate_index(entries)
    locate_wgs = None
    if with_places:
        locate_wgs, answers = locate_rate(with_places, points, "wgs84")
        print(f"  routing.locate (wgs84, no database): {locate_wgs:,.0f} lookups/s")
        agree &= agreement("routing.locate", ours, answers)
        gcj_points = [wgs84_to_gcj02(lon, lat) for lon, lat in points[:50_000]]
        locate_gcj, answers = locate_rate(with_places, gcj_points, "gcj02")
        print(f"  routing.locate (gcj02 input, no database): {locate_gcj:,.0f} lookups/s")
        agree &= agreement("routing.locate from GCJ-02", ours[: len(gcj_points)], answers)

    sample = points[: args.naive_points]
    naive_rate, naive = rate(naive_lookup(entries), sample)
    print(
        f"  naive loop over prepared polygons: {naive_rate:,.0f} lookups/s (on {len(sample):,} points only)"
    )
    tree_sample = points[:20_000]
    tree_rate, tree = rate(strtree_lookup(entries), tree_sample)
    print(f"  plain STRtree.query per point: {tree_rate:,.0f} lookups/s (on {len(tree_sample):,} points)")
    agree &= agreement("the naive loop", ours[: len(sample)], naive)
    agree &= agreement("the plain STRtree", ours[: len(tree_sample)], tree)

    pg_points = points[: args.postgis_points]
    postgis = postgis_rate(entries, pg_points)
    pg_rate = None
    if postgis:
        pg_rate, pg_answers = postgis
        print(
            f"  PostGIS ST_Covers, one query per round trip: {pg_rate:,.0f} lookups/s ({len(pg_points):,} points)"
        )
        agree &= agreement("PostGIS", ours[: len(pg_points)], pg_answers)
        print(f"  scratch database {SCRATCH_DB} dropped")

    print("results:")
    print(f"  ours vs naive loop: {ours_rate / naive_rate:,.0f}×")
    print(f"  ours vs plain STRtree: {ours_rate / tree_rate:,.1f}×")
    met = ours_rate >= TARGET_PER_SECOND
    print(f"  target ≥ {TARGET_PER_SECOND:,} lookups/s: {'met' if met else 'NOT met'} ({ours_rate:,.0f})")
    if locate_wgs:
        locate_met = locate_wgs >= TARGET_PER_SECOND
        print(
            f"  target ≥ {TARGET_PER_SECOND:,} locate()/s: {'met' if locate_met else 'NOT met'} ({locate_wgs:,.0f})"
        )
        met &= locate_met
    if pg_rate:
        ratio = ours_rate / pg_rate
        pg_met = ratio >= TARGET_VS_POSTGIS
        print(
            f"  ours vs PostGIS: {ratio:,.0f}× (target ≥ {TARGET_VS_POSTGIS}×: {'met' if pg_met else 'NOT met'})"
        )
        met &= pg_met
    else:
        print("  ours vs PostGIS: not measured (PostGIS unavailable)")
    print(f"  all methods agree: {'yes' if agree else 'NO'}")
    return 0 if met and agree else 1


if __name__ == "__main__":
    sys.exit(main())
