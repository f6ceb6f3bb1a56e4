"""Benchmark the points reads at scale: a community's monthly leaderboard and a person's balance, each
timed next to the naive SUM over the ledger in the same run.

Run: .venv/bin/python bench/bench_points.py                                  # 100,000 people, 5,000,000 entries, SQLite
     .venv/bin/python bench/bench_points.py --database postgres              # the same on PostgreSQL
     .venv/bin/python bench/bench_points.py --people 20000 --entries 1000000 # a reduced size
     .venv/bin/python bench/bench_points.py --reuse                          # keep and reuse the generated copy

1. A scratch database (SQLite: var/bench/points-<people>-<entries>.sqlite3; PostgreSQL: the database
   `bench_points_<people>_<entries>` beside DATABASE_URL's), migrated; never the working database.
2. `--communities` villages, `--people` people spread over them (each in one of 5 teams of their
   community), and `--entries` ledger entries over 24 months: about 85 % earned (hours, activities,
   reports), 10 % redemptions that the running balance covers, 5 % deductions. Users go in with
   bulk_create, entries with executemany (SQLite) or COPY (PostgreSQL). The kept balances and tallies
   are then summed from the entries in SQL, as `points_check --repair` would.
3. For `--samples` random (community, month) pairs: `selectors.leaderboard` (the tally rows) and
   `selectors.leaderboard_by_sum` (SUM over the ledger), checked equal; for as many random people:
   `selectors.balance` (the account row) and `selectors.balance_by_sum`. p50/p95 of each and the ratio.

The scratch copy is dropped at the end unless --reuse.

Exit 1 when a kept read's p95 is 50 ms or more, or a kept answer differs from the naive one.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TARGET_MS = 50.0
PG_DEFAULT = "postgres://postgres@127.0.0.1:5432/civicgrid"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=5_000_000)
    parser.add_argument("--communities", type=int, default=200)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--reuse", action="store_true", help="Reuse (and keep) an already generated copy.")
    return parser.parse_args()


def scratch_url(args: argparse.Namespace) -> tuple[str, str]:
    """Return (DATABASE_URL of the scratch copy, its name), creating an empty PostgreSQL database if needed."""
    name = f"bench_points_{args.people}_{args.entries}"
    if args.database == "sqlite":
        path = ROOT / "var" / "bench" / f"points-{args.people}-{args.entries}.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() and not args.reuse:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}", str(path)
    import psycopg

    base = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL") or PG_DEFAULT
    admin = base.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and not args.reuse:
            conn.execute(f'DROP DATABASE "{name}"')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    return base.rsplit("/", 1)[0] + "/" + name, name


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.settings")
    os.environ.setdefault("DEBUG", "False")
    os.environ.setdefault("SECRET_KEY", "bench-points-not-secret")
    import django

    django.setup()


def generate(args: argparse.Namespace) -> None:
    """Fill the scratch database (see the module's steps 2)."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection, transaction

    from civicgrid.places.models import Place
    from civicgrid.points.models import Entry

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    if Entry.objects.exists():
        print(f"Reusing {Entry.objects.count():,} entries.")
        return
    rng = random.Random(2026)
    city = Place.objects.create(code="319900", name="基准市", level="city")
    district = Place.objects.create(code="319901", name="基准区", level="district", parent=city)
    town = Place.objects.create(code="319901001", name="基准镇", level="town", parent=district)
    communities = Place.objects.bulk_create(
        [
            Place(code=f"319901001{i + 1:03d}", name=f"社区{i + 1}", level="village", parent=town)
            for i in range(args.communities)
        ]
    )
    community_ids = [c.pk for c in communities]
    User = get_user_model()
    for start in range(0, args.people, 5000):
        User.objects.bulk_create(
            [
                User(username=f"p{i}", password="!", display_name=f"志愿者{i}")
                for i in range(start, min(start + 5000, args.people))
            ]
        )
    user_ids = list(User.objects.order_by("id").values_list("id", flat=True))
    home = {uid: community_ids[i % len(community_ids)] for i, uid in enumerate(user_ids)}
    team = {uid: 1 + (i // len(community_ids)) % 5 for i, uid in enumerate(user_ids)}
    print(f"Places and {len(user_ids):,} people in {time.perf_counter() - started:.1f} s")

    months = [date(2025 + m // 12, m % 12 + 1, 1) for m in range(24)]
    balances = dict.fromkeys(user_ids, 0)
    columns = (
        "user_id, kind, amount, balance_after, shortfall, idempotency_key, rule_id, source_kind, source_id, "
        "community_id, team_id, reverses_id, counts_earned, month, at, operator_id, approved_by_id, reason, detail"
    )

    def rows(start: int, stop: int):
        for n in range(start, stop):
            uid = user_ids[rng.randrange(len(user_ids))]
            month = months[rng.randrange(len(months))]
            roll = rng.random()
            held = balances[uid]
            if roll < 0.10 and held >= 20:
                kind, amount, source, earned = (
                    "redeem",
                    -rng.choice((20, 40, 80, min(held, 120))),
                    "redemption",
                    False,
                )
                amount = max(amount, -held)
            elif roll < 0.15 and held > 0:
                kind, amount, source, earned = "deduct", -min(held, rng.randint(1, 10)), "award", False
            else:
                kind, amount, source, earned = (
                    "earn",
                    rng.choice((3, 5, 6, 10, 12, 15, 20, 30)),
                    "hours",
                    True,
                )
            balances[uid] = held + amount
            at = datetime(month.year, month.month, rng.randint(1, 28), rng.randint(8, 20), tzinfo=UTC)
            yield (
                uid,
                kind,
                amount,
                balances[uid],
                0,
                f"bench:{n}",
                None,
                source,
                n,
                home[uid],
                team[uid],
                None,
                earned,
                month,
                at,
                None,
                None,
                "",
                "{}",
            )

    chunk = 200_000
    for start in range(0, args.entries, chunk):
        stop = min(start + chunk, args.entries)
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.copy(f"COPY points_entry ({columns}) FROM STDIN") as copy:
                    for row in rows(start, stop):
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * 19)
                cursor.executemany(
                    f"INSERT INTO points_entry ({columns}) VALUES ({marks})",
                    [
                        tuple(v.isoformat() if isinstance(v, date) else v for v in row)
                        for row in rows(start, stop)
                    ],
                )
        print(f"  {stop:,} entries, {time.perf_counter() - started:.0f} s", flush=True)
    now = "CURRENT_TIMESTAMP"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO points_account (user_id, balance, updated_at) "
            f"SELECT user_id, SUM(amount), {now} FROM points_entry GROUP BY user_id"
        )
        for select, group in (("0", ""), ("team_id", " team_id,")):
            cursor.execute(
                "INSERT INTO points_tally (community_id, team_id, user_id, month, earned) "
                f"SELECT community_id, {select}, user_id, month, SUM(amount) FROM points_entry "
                f"WHERE counts_earned GROUP BY community_id,{group} user_id, month"
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"Generated in {time.perf_counter() - started:.0f} s")


def timed(fn, samples: list) -> tuple[list[float], list]:
    times, answers = [], []
    for sample in samples:
        started = time.perf_counter()
        answers.append(fn(sample))
        times.append((time.perf_counter() - started) * 1000)
    return times, answers


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    args = parse_args()
    url, name = scratch_url(args)
    setup_django(url)
    generate(args)

    from django.contrib.auth import get_user_model
    from django.db import connection

    from civicgrid.points import periods, selectors
    from civicgrid.points.models import Entry, Tally

    rng = random.Random(7)
    communities = list(Tally.objects.values_list("community_id", flat=True).distinct()[:1000])
    months = [date(2025 + m // 12, m % 12 + 1, 1) for m in range(24)]
    boards = [(rng.choice(communities), rng.choice(months)) for _ in range(args.samples)]
    User = get_user_model()
    top = User.objects.order_by("-id").values_list("id", flat=True).first()
    people = [User(pk=rng.randint(1, top)) for _ in range(args.samples)]

    def kept_board(s):
        return [
            (x.user_id, x.earned)
            for x in selectors.leaderboard(community_id=s[0], period=periods.Period("month", s[1]))
        ]

    def naive_board(s):
        return [
            tuple(r)
            for r in selectors.leaderboard_by_sum(community_id=s[0], period=periods.Period("month", s[1]))
        ]

    # Warm the caches of both ways once, then time each.
    kept_board(boards[0]), naive_board(boards[0])
    rows = []
    failed = False
    for label, kept, naive, samples in (
        ("community monthly leaderboard (top 100)", kept_board, naive_board, boards),
        ("person's balance", selectors.balance, selectors.balance_by_sum, people),
    ):
        kept_times, kept_answers = timed(kept, samples)
        naive_times, naive_answers = timed(naive, samples)
        if kept_answers != naive_answers:
            failed = True
            print(f"!! {label}: the kept answer differs from the naive SUM")
        rows.append((label, kept_times, naive_times))
        failed |= p(kept_times, 0.95) >= TARGET_MS

    total = Entry.objects.count()
    print()
    print(
        f"Database: {connection.vendor} ({name}); {User.objects.count():,} people, {total:,} entries, "
        f"{len(communities)} communities; {args.samples} samples each"
    )
    print(f"{'read':42} {'kept p50':>9} {'kept p95':>9} {'SUM p50':>9} {'SUM p95':>9} {'ratio p50':>10}")
    for label, kept_times, naive_times in rows:
        kp50, kp95 = statistics.median(kept_times), p(kept_times, 0.95)
        np50, np95 = statistics.median(naive_times), p(naive_times, 0.95)
        print(f"{label:42} {kp50:8.2f}ms {kp95:8.2f}ms {np50:8.2f}ms {np95:8.2f}ms {np50 / kp50:9.1f}×")
    print(f"Target: kept p95 under {TARGET_MS:.0f} ms: {'FAILED' if failed else 'met'}")
    if not args.reuse:
        drop(args, url, name)
    return 1 if failed else 0


def drop(args: argparse.Namespace, url: str, name: str) -> None:
    """Remove the scratch copy (kept with --reuse)."""
    from django.db import connections

    connections.close_all()
    if args.database == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{name}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


if __name__ == "__main__":
    sys.exit(main())
