"""Benchmark address → grid matching: `matching.match` next to exact matching alone, in the same run.

Run: .venv/bin/python bench/bench_addresses.py                      # 200,000 addresses, 10,000 orders, SQLite
     DATABASE_URL=postgres://postgres@127.0.0.1:5432/civicgrid .venv/bin/python bench/bench_addresses.py
     .venv/bin/python bench/bench_addresses.py --grids 100 --per-grid 200 --orders 2000   # a quick look

1. A scratch database, never the working one: SQLite var/bench/addresses.sqlite3, or on PostgreSQL
   (DATABASE_URL) the database `civicgrid_bench_addresses` beside it; migrated.
2. Places: the demo's city (澄州市, no county) grown to about --grids grids with
   `generate_places.grow_city` (districts, towns, villages and communities, rectangles as boundaries).
3. The register: `generate.register_load` over every grid, --per-grid addresses each (200 × 1,000 =
   200,000), timed; then ANALYZE.
4. Orders: `generate.order_addresses`, --orders texts as call-takers write them, each with the grid it
   should reach (None for the ~5 % naming nothing on record).
5. Each order matched within the city (one region-wide vocabulary, as a city's hotline would), once
   with `match` and once with `match_exact`, one call per order on one thread (the vocabulary built
   before timing; its build time printed): orders/s, the share routed (confident), the share of the
   orders on record routed to the right grid, wrong grids with high confidence, and the ratios.

Targets: ≥ 95 % of the orders on record routed to the right grid by `match`, none routed to a wrong grid
with high confidence, at least 300 orders/s. Exit 1 when one is missed. The scratch copy is dropped
unless --keep.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_DEFAULT = "postgres://postgres@127.0.0.1:5432/civicgrid"
TARGET_RIGHT = 0.95
TARGET_PER_SECOND = 300


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--grids", type=int, default=1000)
    parser.add_argument("--per-grid", type=int, default=200)
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", action="store_true", help="Keep the scratch copy.")
    parser.add_argument("--show", type=int, default=0, help="Print this many misrouted or unrouted orders.")
    return parser.parse_args()


def scratch_url() -> tuple[str, str, bool]:
    """Return (DATABASE_URL of the scratch copy, its name, is PostgreSQL), made empty."""
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        path = ROOT / "var" / "bench" / "addresses.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        for end in ("", "-wal", "-shm", "-writer.lock"):
            Path(f"{path}{end}").unlink(missing_ok=True)
        return f"sqlite:///{path}", str(path), False
    import psycopg

    name = "civicgrid_bench_addresses"
    with psycopg.connect(base.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return base.rsplit("/", 1)[0] + "/" + name, name, True


def drop(url: str, name: str, postgres: bool) -> None:
    from django.db import connections

    connections.close_all()
    if not postgres:
        for end in ("", "-wal", "-shm", "-writer.lock"):
            Path(f"{name}{end}").unlink(missing_ok=True)
        return
    import psycopg

    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def timed(fn, orders):
    answers = []
    started = time.perf_counter()
    for text, _expected in orders:
        answers.append(fn(text))
    return len(orders) / (time.perf_counter() - started), answers


def score(answers, orders, code_of) -> dict[str, float]:
    on_record = sum(1 for _t, expected in orders if expected)
    routed = right = wrong = 0
    for answer, (_text, expected) in zip(answers, orders, strict=True):
        if answer is None or not answer.confident:
            continue
        routed += 1
        if expected and code_of[answer.grid_id] == expected:
            right += 1
        else:
            wrong += 1
    return {
        "routed": routed / len(orders),
        "right": right / on_record if on_record else 0.0,
        "wrong": wrong,
    }


def main() -> int:
    args = parse_args()
    url, name, postgres = scratch_url()
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.settings")
    os.environ.setdefault("DEBUG", "False")
    os.environ.setdefault("SECRET_KEY", "bench-addresses-not-secret")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from civicgrid.addresses import generate, matching
    from civicgrid.addresses.models import Address, AddressAlias
    from civicgrid.places.models import Place
    from civicgrid.site import demo, generate_places

    print(f"bench_addresses: {connection.vendor}, {args.grids:,} grids × {args.per_grid} addresses, "
          f"{args.orders:,} orders, seed {args.seed}")  # fmt: skip
    print(
        f"  machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} (figures are one thread)"
    )
    try:
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        with transaction.atomic():
            city = Place.objects.create(code=demo.CITY_CODE, name=demo.CITY[0], level="city", kind="city")
            grown = generate_places.grow_city(
                grids=args.grids, seed=args.seed, password="!", prefix="bench-", email_domain="bench.invalid"
            )
        print(f"  places: {grown.grids:,} grids in {grown.towns} towns, {grown.districts} districts, "
              f"{time.perf_counter() - started:.1f} s")  # fmt: skip
        grids = list(Place.objects.filter(level=Place.Level.GRID).order_by("code"))
        code_of = {g.pk: g.code for g in grids}

        started = time.perf_counter()
        rows = generate.register_load(grids, seed=args.seed, per_grid=args.per_grid)
        load_s = time.perf_counter() - started
        print(f"  register: {Address.objects.count():,} addresses, {AddressAlias.objects.count():,} aliases "
              f"loaded in {load_s:.1f} s ({len(rows) / load_s:,.0f} rows/s)")  # fmt: skip
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

        orders = generate.order_addresses(rows, seed=args.seed, n=args.orders)
        started = time.perf_counter()
        vocab = matching.vocabulary(city.scope_prefix)
        print(f"  vocabulary: {len(vocab.road_names):,} road and {len(vocab.compound_names):,} compound names "
              f"built in {time.perf_counter() - started:.2f} s")  # fmt: skip

        ours_rate, ours = timed(lambda text: matching.match(text, within=city), orders)
        exact_rate, exact = timed(lambda text: matching.match_exact(text, within=city), orders)
        ours_score = score(ours, orders, code_of)
        exact_score = score(exact, orders, code_of)
        methods = Counter(a.method for a in ours if a is not None and a.confident)
        on_record = sum(1 for _t, e in orders if e)
        print(f"  orders: {on_record:,} on record, {len(orders) - on_record:,} naming nothing on record")
        for label, rate, result in (
            ("match", ours_rate, ours_score),
            ("match_exact", exact_rate, exact_score),
        ):
            print(f"  {label:12} {rate:8,.0f} orders/s   routed {result['routed']:6.1%}   "
                  f"right grid {result['right']:6.1%} of those on record   "
                  f"wrong with high confidence {result['wrong']}")  # fmt: skip
        print(f"  match, routed by: {', '.join(f'{m} {n:,}' for m, n in methods.most_common())}")
        if args.show:
            shown = 0
            for answer, (text, expected) in zip(ours, orders, strict=True):
                got = code_of[answer.grid_id] if answer is not None and answer.confident else None
                if got != expected and shown < args.show:
                    shown += 1
                    conf = f"{answer.confidence:.2f} {answer.method}" if answer else "-"
                    print(f"    {text!r}: expected {expected}, got {got} ({conf})")
        print("results:")
        print(f"  match vs exact: {ours_score['right'] / max(exact_score['right'], 1e-9):.2f}× the orders routed "
              f"right, at {ours_rate / exact_rate:.2f}× the speed")  # fmt: skip
        met_right = ours_score["right"] >= TARGET_RIGHT
        met_wrong = ours_score["wrong"] == 0
        met_rate = ours_rate >= TARGET_PER_SECOND
        print(f"  target ≥ {TARGET_RIGHT:.0%} on record routed right: {'met' if met_right else 'NOT met'}")
        print(f"  target 0 wrong with high confidence: {'met' if met_wrong else 'NOT met'}")
        print(f"  target ≥ {TARGET_PER_SECOND} orders/s: {'met' if met_rate else 'NOT met'}")
        return 0 if met_right and met_wrong and met_rate else 1
    finally:
        if not args.keep:
            drop(url, name, postgres)


if __name__ == "__main__":
    sys.exit(main())
