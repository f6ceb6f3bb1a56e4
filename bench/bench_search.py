"""Time the case text search (civicgrid/cases/search.py) against `icontains` on a large database.

Run on a copy of a generated database (never on a shared one: the first run may ANALYZE it):

    DATABASE_URL=... .venv/bin/python bench/bench_search.py [--runs 9] [--plans] [--terms 井盖,路灯,...]

For a town operator's town and for the whole district (the "city"), open cases and every step,
and each search text (common and rare words, a phrase, one character, a Latin word, a tracking
number, a 12345 order number, found in the data when not given), it times what a list page asks:
the first 50 rows in the lists' order and the count, with the index (`search.filter_cases`) and
with the condition the lists used before (`icontains` on the tracking number, description and
address, or the external reference). Prints median and p95 in ms, the rows found, and whether both
found the same cases; with --plans the plan of each indexed query.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.settings")
os.environ.setdefault("SECRET_KEY", "bench")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Count, Q  # noqa: E402

from civicgrid.accounts.models import RoleAssignment  # noqa: E402
from civicgrid.cases import search  # noqa: E402
from civicgrid.cases.models import TERMINAL_STATES, Case  # noqa: E402

ORDER = ("-is_overdue", "step_due_at", "-created_at", "-id")
OPEN = [s for s in Case.State.values if s not in TERMINAL_STATES]


def old(qs, text):
    text = text.strip()
    return qs.filter(
        Q(tracking_number__icontains=text)
        | Q(description__icontains=text)
        | Q(address__icontains=text)
        | Q(external_ref=text)
    )


def timed(fn, runs: int) -> tuple[float, float, object]:
    result = fn()  # warm
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return statistics.median(times), p95, result


def page_and_count(qs):
    rows = list(qs.order_by(*ORDER).values_list("pk", flat=True)[:50])
    return rows, qs.count()


def explain(qs) -> str:
    sql, params = qs.order_by(*ORDER)[:50].query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join("    " + " ".join(str(c) for c in row) for row in cursor.fetchall())


def find_terms(town_id: int) -> dict[str, str]:
    """Pick texts from the data: a rare pair of characters, a phrase, a tracking number, an order."""
    terms = {}
    sample = list(
        Case.objects.filter(town_id=town_id).order_by("id").values_list("description", flat=True)[:2000:97]
    )
    for description in sample:
        for i in range(len(description) - 1):
            pair = description[i : i + 2]
            if pair.strip() == pair and search.fts_query(pair) and "rare" not in terms:
                n = Case.objects.filter(description__contains=pair).count()
                if 1 <= n <= 200:
                    terms["rare"] = pair
        if len(description) >= 12 and "phrase" not in terms:
            terms["phrase"] = description[3:11].strip()
    terms["tracking"] = (
        Case.objects.filter(town_id=town_id).order_by("-id").values_list("tracking_number", flat=True)[7]
    )
    ref = Case.objects.exclude(external_ref="").order_by("id").values_list("external_ref", flat=True).first()
    if ref:
        terms["12345"] = ref
    return terms


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--plans", action="store_true")
    parser.add_argument("--terms", default="", help="name=text,... (added to or replacing the defaults)")
    parser.add_argument("--scopes", default="town-open,town-all,city-open,city-all")
    args = parser.parse_args()

    town = RoleAssignment.objects.filter(user__username="town").select_related("place").first().place
    district_id = Case.objects.filter(town_id=town.pk).values_list("district_id", flat=True).first()
    print(f"{connection.vendor}: {Case.objects.count():,} cases; town {town.code}, district {district_id}")
    biggest = Case.objects.values("town_id").annotate(n=Count("id")).order_by("-n").first()
    print(f"town cases: {Case.objects.filter(town_id=town.pk).count():,} (largest town {biggest['n']:,})")
    terms = {"common 井盖": "井盖", "common 路灯": "路灯", "one char 灯": "灯", "Latin": "LED"}
    terms.update({k: v for k, v in find_terms(town.pk).items()})
    for pair in filter(None, args.terms.split(",")):
        name, _, text = pair.partition("=")
        terms[name] = text
    scopes = {
        "town-open": Case.objects.filter(town_id=town.pk, state__in=OPEN),
        "town-all": Case.objects.filter(town_id=town.pk),
        "city-open": Case.objects.filter(district_id=district_id, state__in=OPEN),
        "city-all": Case.objects.filter(district_id=district_id),
    }
    print(f"{'scope':10} {'search':22} {'found':>8} {'index ms (med/p95)':>20} {'icontains ms':>16} same")
    for scope_name in args.scopes.split(","):
        base = scopes[scope_name]
        for name, text in terms.items():
            new_med, new_p95, (new_rows, new_count) = timed(
                lambda base=base, text=text: page_and_count(search.filter_cases(base, text)), args.runs
            )
            old_med, old_p95, (old_rows, old_count) = timed(
                lambda base=base, text=text: page_and_count(old(base, text)), max(3, args.runs // 3)
            )
            same = "yes" if (new_rows, new_count) == (old_rows, old_count) else f"no ({old_count})"
            label = f"{name} {text!r}"[:22]
            print(
                f"{scope_name:10} {label:22} {new_count:>8,} {new_med:>9.1f} / {new_p95:>7.1f} "
                f"{old_med:>8.1f} / {old_p95:>6.1f} {same}",
                flush=True,
            )
            if args.plans:
                print(explain(search.filter_cases(base, text)))


if __name__ == "__main__":
    main()
