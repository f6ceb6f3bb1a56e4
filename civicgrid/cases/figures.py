"""The figures of case handling, each defined once: what they count, how they are kept, how they are read.

`docs/metrics.md` gives every formula in words. In short, over a period of local days:

- response rate = dispatches signed within the response deadline ÷ dispatches
- return rate = dispatches returned (退单) ÷ dispatches
- resolution rate = ratings that say "solved" ÷ ratings
- satisfaction rate = ratings "satisfied" or "basically satisfied" ÷ ratings
- on-time closure rate = cases closed whose last resolution came by its deadline ÷ cases closed
- first-time completion rate = cases closed never sent back for rework, reopened or returned ÷ cases closed
- rework rate = on-site checks that sent the work back ÷ on-site checks
- handling time (average, 90th percentile) = from the report to the last resolution, of the cases closed
- verification on time (per grid worker) = verifications made by the verification deadline ÷ verifications

A dispatch's outcome (signed on time, returned) belongs to the day of the dispatch, so a dispatch and its
outcome are in the same period even when it is signed after midnight at the month's end; a rating, a
check and a closing belong to their own day. A rate with nothing to divide by is None ("—" on pages).

Kept: an event of the workflow makes facts (`facts_of`), which `record` adds to `CaseFigure` in the
transaction that writes the event, under every place of the case, under `EVERYWHERE`, and once more
under the agency or the grid worker whose work it is, and to the month's row of `CaseFigureMonth`.
Reads sum those rows: a period's whole months from the monthly rows, the days at its ends from the
daily ones (`spans`). `recount` derives the same
facts from the recorded events with the same function; `manage.py case_figures --check/--repair`
compares and rebuilds.
"""

from __future__ import annotations

import itertools
from collections import Counter, namedtuple
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from civicgrid.cases import counts
from civicgrid.cases.models import Case, CaseEvent, CaseFigure, CaseFigureMonth, Category, Satisfaction

S = Case.State
EVERYWHERE = CaseFigure.EVERYWHERE

# The facts, as kept in CaseFigure.key.
DISPATCHED = "dispatched"
SIGNED_ON_TIME = "signed_ontime"
RETURNED = "returned"
RATED = "rated"
SOLVED = "solved"
SATISFIED = "satisfied"
REOPENED = "reopened"
CHECKED = "checked"
REWORKED = "reworked"
CLOSED = "closed"
CLOSED_ON_TIME = "closed_ontime"
FIRST_TIME = "first_time"
HANDLING_SECONDS = "handling_s"
VERIFIED = "verified"
VERIFIED_ON_TIME = "verified_ontime"
# Closed cases by handling time: "h:<hours>" counts those that took from <hours> up to the next bound.
HOURS = "h:"
# New cases by category ("c:<category id>", the minor class) and by source ("s:<source>"), on the day
# they were reported (their count by step is `counts`).
NEW_CATEGORY = "c:"
NEW_SOURCE = "s:"

# The facts the rates read (`Figures`' Rate properties and counts of closed, dispatched, rated cases):
# a table of many units (a ranking, the next level down) reads only these, not the categories,
# sources and handling-time bands kept beside them.
RATE_KEYS = (
    DISPATCHED,
    SIGNED_ON_TIME,
    RETURNED,
    RATED,
    SOLVED,
    SATISFIED,
    CHECKED,
    REWORKED,
    CLOSED,
    CLOSED_ON_TIME,
    FIRST_TIME,
    VERIFIED,
    VERIFIED_ON_TIME,
)

DISPATCH_ACTIONS = frozenset({"dispatch", "redispatch"})
VERIFY_ACTIONS = frozenset({"accept", "reject", "merge"})
# The earlier events a fact depends on: the dispatch a signature answers, and what undoes a first try.
_HISTORY_ACTIONS = frozenset({*DISPATCH_ACTIONS, "rework", "return_dispatch", "rate"})
_NEEDS_HISTORY = frozenset({"sign", "return_dispatch", "rate", "auto_close"})
# Every action that makes a fact (recount reads only these).
FACT_ACTIONS = frozenset(
    {
        "report",
        *DISPATCH_ACTIONS,
        *VERIFY_ACTIONS,
        "sign",
        "return_dispatch",
        "rate",
        "pass_check",
        "rework",
        "auto_close",
    }
)
SATISFIED_ANSWERS = frozenset({Satisfaction.SATISFIED, Satisfaction.BASICALLY})

Key = tuple[int, int, int, date, str]  # (place, agency, user, day, fact)
_COLUMNS = ("place_id", "agency_id", "user_id", "day", "key")
_MONTH_COLUMNS = ("place_id", "agency_id", "user_id", "month", "key")


@dataclass(frozen=True)
class Fact:
    key: str
    day: date
    n: int = 1
    agency: int | None = None  # also kept under this agency
    user: int | None = None  # also kept under this grid worker


def hours_bound(seconds: float) -> int:
    """Return the lower bound, in hours, of the handling-time band `seconds` falls in: hourly bands up to
    3 days, 6-hour bands up to 30 days, daily bands after (up to a year)."""
    hours = max(0.0, seconds) / 3600
    if hours < 72:
        return int(hours)
    if hours < 720:
        return 72 + int((hours - 72) // 6) * 6
    return min(int(hours // 24) * 24, 24 * 365)


def band_width(bound: int) -> int:
    return 1 if bound < 72 else 6 if bound < 720 else 24


def _on_time(event: CaseEvent) -> bool:
    """Whether the step `event` ended had a deadline recorded and was ended by it."""
    due = parse_datetime(event.data.get("due") or "") if isinstance(event.data, dict) else None
    return due is not None and event.at <= due


def _handled_by_agency(case: Case) -> int | None:
    return case.lead_agency_id if case.handler == Case.Handler.AGENCY else None


def facts_of(event: CaseEvent, case: Case, prior: Sequence[CaseEvent]) -> list[Fact]:
    """Return the facts `event` makes.

    `case` is the case after the event (its places, handler and agency, its times once closed);
    `prior` its earlier events of `_HISTORY_ACTIONS` in order (only read for `_NEEDS_HISTORY`).
    """
    action = event.action
    day = timezone.localdate(event.at)
    facts: list[Fact] = []
    if action == "report":
        facts += [Fact(f"{NEW_CATEGORY}{case.category_id}", day), Fact(f"{NEW_SOURCE}{case.source}", day)]
    elif action in DISPATCH_ACTIONS:
        facts.append(Fact(DISPATCHED, day, agency=event.data.get("agency")))
    elif action in ("sign", "return_dispatch"):
        dispatch = next((e for e in reversed(prior) if e.action in DISPATCH_ACTIONS), None)
        if dispatch is not None:
            dispatched_on = timezone.localdate(dispatch.at)
            agency = dispatch.data.get("agency")
            if action == "return_dispatch":
                facts.append(Fact(RETURNED, dispatched_on, agency=agency))
            elif _on_time(event):
                facts.append(Fact(SIGNED_ON_TIME, dispatched_on, agency=agency))
    elif action == "rate":
        agency = _handled_by_agency(case)
        facts.append(Fact(RATED, day, agency=agency))
        if event.data.get("solved"):
            facts.append(Fact(SOLVED, day, agency=agency))
        if event.data.get("satisfaction") in SATISFIED_ANSWERS:
            facts.append(Fact(SATISFIED, day, agency=agency))
        if event.data.get("reopened"):
            facts.append(Fact(REOPENED, day, agency=agency))
    elif action in ("pass_check", "rework"):
        agency = _handled_by_agency(case)
        facts.append(Fact(CHECKED, day, agency=agency))
        if action == "rework":
            facts.append(Fact(REWORKED, day, agency=agency))
    elif action in VERIFY_ACTIONS and event.from_state == S.REPORTED and event.actor_role == "grid":
        user = event.actor_id
        facts.append(Fact(VERIFIED, day, user=user))
        if _on_time(event):
            facts.append(Fact(VERIFIED_ON_TIME, day, user=user))
    if event.to_state == S.CLOSED and event.from_state != S.CLOSED:
        facts += _closing_facts(day, case, prior)
    return facts


def _closing_facts(day: date, case: Case, prior: Sequence[CaseEvent]) -> list[Fact]:
    agency = _handled_by_agency(case)
    facts = [Fact(CLOSED, day, agency=agency)]
    if case.resolved_at and case.resolution_due_at and case.resolved_at <= case.resolution_due_at:
        facts.append(Fact(CLOSED_ON_TIME, day, agency=agency))
    undone = any(
        e.action in ("rework", "return_dispatch") or (e.action == "rate" and e.data.get("reopened"))
        for e in prior
    )
    if not undone:
        facts.append(Fact(FIRST_TIME, day, agency=agency))
    if case.resolved_at:
        seconds = max(0, int((case.resolved_at - case.created_at).total_seconds()))
        facts.append(Fact(HANDLING_SECONDS, day, n=seconds, agency=agency))
        facts.append(Fact(f"{HOURS}{hours_bound(seconds)}", day, agency=agency))
    return facts


def _places(case: Case) -> list[int]:
    return [EVERYWHERE, *(p for p in (case.grid_id, case.village_id, case.town_id, case.district_id) if p)]


def _keys(fact: Fact, case: Case, places: Sequence[int] | None = None) -> list[Key]:
    places = _places(case) if places is None else places
    parties = [(0, 0)]
    if fact.agency:
        parties.append((int(fact.agency), 0))
    if fact.user:
        parties.append((0, int(fact.user)))
    return [(place, agency, user, fact.day, fact.key) for place in places for agency, user in parties]


def _add(deltas: Counter[Key], facts: Iterable[Fact], case: Case) -> None:
    for fact in facts:
        for key in _keys(fact, case):
            deltas[key] += fact.n


# ---------------------------------------------------------------------------------------------
# Writes


def record(case: Case, event: CaseEvent, *, places_before: Sequence[int] | None = None) -> None:
    """Add the facts of `event` (just written) to the kept figures, in the caller's transaction.

    `case` as it is after the event. Reads the case's earlier dispatches, reworks, returns and ratings
    only for the actions whose facts depend on them (one indexed query). `places_before`: the places
    the case was counted under before the event (EVERYWHERE first, as `counts.where` gives them); when
    the event moved the case (a grid given to an unrouted case), its report's facts move with it.
    """
    deltas: Counter[Key] = Counter()
    if places_before is not None and tuple(places_before) != tuple(_places(case)):
        report = CaseEvent.objects.filter(case_id=case.pk, action="report").only(*_EVENT_FIELDS).first()
        if report is not None:
            facts = facts_of(report, case, [])
            for fact in facts:
                for place, agency, user, day, key in _keys(fact, case, places_before):
                    deltas[(place, agency, user, day, key)] -= fact.n
            _add(deltas, facts, case)
    if event.action not in FACT_ACTIONS and event.to_state != S.CLOSED:
        _apply(deltas)
        return
    prior: list[CaseEvent] = []
    if event.action in _NEEDS_HISTORY or event.to_state == S.CLOSED:
        prior = list(
            CaseEvent.objects.filter(case_id=case.pk, id__lt=event.pk, action__in=_HISTORY_ACTIONS)
            .only("id", "at", "action", "data")
            .order_by("id")
        )
    _add(deltas, facts_of(event, case, prior), case)
    _apply(deltas)


def _apply(deltas: Counter[Key]) -> None:
    counts.add_deltas(CaseFigure, _COLUMNS, deltas)
    counts.add_deltas(CaseFigureMonth, _MONTH_COLUMNS, by_month(deltas))


def by_month(days: Counter[Key]) -> Counter[Key]:
    """Return daily figures summed per month (the day of each key its month's first)."""
    months: Counter[Key] = Counter()
    for (place, agency, user, day, key), n in days.items():
        months[(place, agency, user, day.replace(day=1), key)] += n
    return months


# ---------------------------------------------------------------------------------------------
# Upkeep: a recount from the events, with the same `facts_of`

# Cases per recount batch (their fact-making events are read in one query).
RECOUNT_BATCH = 2000
_CASE_FIELDS = (
    "id", "grid_id", "village_id", "town_id", "district_id", "handler", "lead_agency_id",
    "resolved_at", "resolution_due_at", "created_at", "category_id", "source",
)  # fmt: skip
_EVENT_FIELDS = ("id", "case_id", "at", "action", "from_state", "to_state", "actor_id", "actor_role", "data")


_CaseRow = namedtuple("_CaseRow", _CASE_FIELDS)
_EventRow = namedtuple("_EventRow", _EVENT_FIELDS)


def recount(cases: QuerySet[Case] | None = None) -> Counter[Key]:
    """Return the kept figures as the recorded events of `cases` (None: every case) make them: the sum
    of `recount_pieces`."""
    result: Counter[Key] = Counter()
    for piece in recount_pieces(cases):
        result.update(piece)
    return result


# Cases whose facts one piece of a recount holds in memory (a city's whole recount would take
# gigabytes: a rebuild and a check write the pieces to a scratch table and sum them in SQL).
RECOUNT_PIECE = 50_000


def recount_pieces(cases: QuerySet[Case] | None = None) -> Iterator[Counter[Key]]:
    """Yield the recount in pieces, each the facts of up to RECOUNT_PIECE cases (pieces may share keys),
    read case by case in batches of cases. Rows are read as tuples (the same fields `facts_of` reads of
    a case and an event): millions of model instances would cost most of the time."""
    qs = Case.objects.all() if cases is None else cases
    piece: Counter[Key] = Counter()
    in_piece = 0
    last = 0
    while True:
        batch = [
            _CaseRow(*row)
            for row in qs.filter(pk__gt=last).order_by("pk").values_list(*_CASE_FIELDS)[:RECOUNT_BATCH]
        ]
        if not batch:
            if in_piece:
                yield piece
            return
        by_id = {c.id: c for c in batch}
        last = batch[-1].id
        events = (
            CaseEvent.objects.filter(case_id__gte=batch[0].id, case_id__lte=last)
            .filter(Q(action__in=FACT_ACTIONS) | Q(to_state=S.CLOSED))
            .order_by("case_id", "id")
            .values_list(*_EVENT_FIELDS)
        )
        prior: list = []
        current = None
        for row in events:
            event = _EventRow(*row)
            if event.case_id != current:
                current, prior = event.case_id, []
            case = by_id.get(event.case_id)
            if case is None:
                continue
            _add(piece, facts_of(event, case, prior), case)
            if event.action in _HISTORY_ACTIONS:
                prior.append(event)
        in_piece += len(batch)
        if in_piece >= RECOUNT_PIECE:
            yield piece
            piece, in_piece = Counter(), 0


def _pieces() -> tuple[list[Counter[Key]], Iterator[Counter[Key]]]:
    """Return the first pieces of the whole recount (two at most) and the rest still to come: one
    piece is summed in memory, more go through the scratch tables."""
    pieces = recount_pieces()
    first = list(itertools.islice(pieces, 2))
    return first, pieces


# The scratch tables of a large recount, the pieces' rows (temporary, this connection's own), and
# the tables of their sums a check compares.
_STAGE = {False: "figure_stage_day", True: "figure_stage_month"}
_SUMS = {False: "figure_sum_day", True: "figure_sum_month"}


def _staged(pieces: Iterable[Counter[Key]]) -> None:
    """Write the pieces' daily and monthly rows to the scratch tables `_STAGE` (a key may be in several
    pieces: `_sums` adds them up)."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The sums' sort and hash of tens of millions of rows: memory for this transaction only.
            cursor.execute("SET LOCAL work_mem = '256MB'")
        for monthly, stage in _STAGE.items():
            model, columns = (CaseFigureMonth, _MONTH_COLUMNS) if monthly else (CaseFigure, _COLUMNS)
            names = ", ".join(quote(c) for c in (*columns, "n"))
            for table in (stage, _SUMS[monthly]):
                cursor.execute(f"DROP TABLE IF EXISTS {quote(table)}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {quote(stage)} AS SELECT {names} "  # noqa: S608 - names only
                f"FROM {quote(model._meta.db_table)} WHERE 1 = 0"
            )
    for piece in pieces:
        counts.insert_rows(CaseFigure, _COLUMNS, piece, table=_STAGE[False])
        counts.insert_rows(CaseFigureMonth, _MONTH_COLUMNS, by_month(piece), table=_STAGE[True])


def _sums(monthly: bool) -> str:
    """Return the SELECT of the staged rows summed per key, the zeros left out, in the key's order."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(c) for c in (_MONTH_COLUMNS if monthly else _COLUMNS))
    return (
        f"SELECT {columns}, SUM(n) AS n FROM {quote(_STAGE[monthly])} "  # noqa: S608 - names only
        f"GROUP BY {columns} HAVING SUM(n) <> 0 ORDER BY {columns}"
    )


def _sum_table(cursor, monthly: bool) -> tuple[str, str, str, str]:
    """Create the scratch table of the staged rows' sums (`_SUMS`); return its quoted name, the kept
    table's, the quoted key columns, and the join condition of `c` (sums) and `k` (kept) on the key."""
    quote = connection.ops.quote_name
    total = quote(_SUMS[monthly])
    model, columns = (CaseFigureMonth, _MONTH_COLUMNS) if monthly else (CaseFigure, _COLUMNS)
    names = [quote(c) for c in columns]
    cursor.execute(f"CREATE TEMPORARY TABLE {total} AS {_sums(monthly)}")
    if connection.vendor != "postgresql":
        # SQLite joins by looking rows up: give the sums their key (PostgreSQL hashes or merges).
        cursor.execute(
            f"CREATE UNIQUE INDEX {quote(_SUMS[monthly] + '_key')} ON {total} ({', '.join(names)})"
        )
    on = " AND ".join(f"c.{n} = k.{n}" for n in names)
    return total, quote(model._meta.db_table), ", ".join(names), on


def _drop_staged() -> None:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in (*_STAGE.values(), *_SUMS.values()):
            cursor.execute(f"DROP TABLE IF EXISTS {quote(table)}")


def remove(cases: QuerySet[Case]) -> None:
    """Take the figures of `cases` out, before they are deleted with their events (the demo's reset)."""
    _apply(Counter({key: -n for key, n in recount(cases).items()}))


def kept(*, monthly: bool = False) -> Counter[Key]:
    """Return the kept figures: the daily rows, or the monthly ones (keyed by the month's first day)."""
    model, day = (CaseFigureMonth, "month") if monthly else (CaseFigure, "day")
    rows = model.objects.values_list("place_id", "agency_id", "user_id", day, "key", "n")
    return Counter({(p, a, u, d, k): n for p, a, u, d, k, n in rows.iterator(chunk_size=10_000) if n})


@dataclass(frozen=True)
class Difference:
    key: Key
    kept: int
    counted: int
    monthly: bool = False  # a row of the monthly sums (the key's day is its month's first)


def differences() -> list[Difference]:
    """Return the kept figures, daily and monthly, that differ from a recount (rows at 0 count as
    missing). A recount of one piece is compared in memory; a larger one in SQL, from the scratch
    tables, so a city's check holds a piece at a time."""
    first, rest = _pieces()
    if len(first) < 2:
        counted = first[0] if first else Counter()
        result = []
        for monthly, found, expected in (
            (False, kept(), counted),
            (True, kept(monthly=True), by_month(counted)),
        ):
            result += [
                Difference(key, found.get(key, 0), expected.get(key, 0), monthly)
                for key in sorted(found.keys() | expected.keys())
                if found.get(key, 0) != expected.get(key, 0)
            ]
        return result
    try:
        with transaction.atomic():  # one transaction: the scratch tables' settings are its own
            _staged(itertools.chain(first, rest))
            return _staged_differences()
    finally:
        _drop_staged()


def _staged_differences() -> Differences:
    result = Differences()
    with connection.cursor() as cursor:
        for monthly in (False, True):
            total, kept_table, names, on = _sum_table(cursor, monthly)
            counted_cols = ", ".join(f"c.{n}" for n in names.split(", "))
            kept_cols = ", ".join(f"k.{n}" for n in names.split(", "))
            statements = (
                # Counted, and kept otherwise or not at all.
                f"SELECT {counted_cols}, COALESCE(k.n, 0), c.n FROM {total} c "  # noqa: S608
                f"LEFT JOIN {kept_table} k ON {on} WHERE k.n IS NULL OR k.n <> c.n",
                # Kept, not counted.
                f"SELECT {kept_cols}, k.n, 0 FROM {kept_table} k LEFT JOIN {total} c ON {on} "  # noqa: S608
                f"WHERE c.n IS NULL AND k.n <> 0",
            )
            for sql in statements:
                cursor.execute(sql)
                while rows := cursor.fetchmany(10_000):
                    result.total += len(rows)
                    for *key, found, expected in rows[: max(0, DIFFERENCES_LISTED - len(result))]:
                        day = key[3]
                        if isinstance(day, str):
                            day = date.fromisoformat(day[:10])
                        result.append(
                            Difference((key[0], key[1], key[2], day, key[4]), found, expected, monthly)
                        )
    result.sort(key=lambda d: (d.monthly, d.key))
    return result


# The most differences a city's check lists (all are counted: `Differences.total`); a table emptied by
# mistake would otherwise make tens of millions of them in memory.
DIFFERENCES_LISTED = 100_000


class Differences(list):
    """Differences found, and `total`: how many there are (more than listed after DIFFERENCES_LISTED)."""

    total: int = 0


# Bumped when the kept figures are rebuilt: what was worked out from them and cached (a city's
# rankings) is keyed by it, so a repair is seen at once.
_GENERATION_KEY = "figures:generation"


def generation() -> int:
    """Return the kept figures' generation (see `rebuild`)."""
    return cache.get_or_set(_GENERATION_KEY, 1, None)


def _next_generation() -> None:
    try:
        cache.incr(_GENERATION_KEY)
    except ValueError:
        cache.set(_GENERATION_KEY, 2, None)


def rebuild() -> int:
    """Make the kept figures, daily and monthly, those of a recount, in one transaction; return the
    daily rows they hold. What was cached from the old ones is forgotten once it commits.

    A recount of one piece replaces every row. A larger one (a city's) is summed in SQL from the
    scratch tables (a piece in memory at a time) and only what differs is written: rows whose sum
    changed are updated, rows no longer counted deleted, rows newly counted inserted in the key's
    order. Rewriting tens of millions of rows that agree cost most of a repair: on PostgreSQL, each
    row re-inserted beside its own deleted self had its old version read from disk to check it.
    """
    transaction.on_commit(_next_generation)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Writers add to the rows while the recount reads: take them out until it is written.
            with connection.cursor() as cursor:
                for model in (CaseFigure, CaseFigureMonth):
                    table = connection.ops.quote_name(model._meta.db_table)
                    cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        first, rest = _pieces()
        if len(first) < 2:
            counted = first[0] if first else Counter()
            CaseFigure.objects.all().delete()
            CaseFigureMonth.objects.all().delete()
            counts.insert_rows(CaseFigureMonth, _MONTH_COLUMNS, by_month(counted))
            return counts.insert_rows(CaseFigure, _COLUMNS, counted)
        held = 0
        try:
            _staged(itertools.chain(first, rest))
            with connection.cursor() as cursor:
                for monthly in (True, False):
                    total, kept, names, on = _sum_table(cursor, monthly)
                    key_of = " AND ".join(f"c.{n} = {kept}.{n}" for n in names.split(", "))
                    cursor.execute(
                        f"UPDATE {kept} SET n = c.n FROM {total} c WHERE {key_of} AND {kept}.n <> c.n"  # noqa: S608
                    )
                    cursor.execute(
                        f"DELETE FROM {kept} WHERE NOT EXISTS (SELECT 1 FROM {total} c WHERE {key_of})"  # noqa: S608
                    )
                    cursor.execute(
                        f"INSERT INTO {kept} ({names}, n) SELECT {names}, n FROM {total} c "  # noqa: S608
                        f"WHERE NOT EXISTS (SELECT 1 FROM {kept} k WHERE {on}) ORDER BY {names}"
                    )
                    if not monthly:
                        cursor.execute(f"SELECT COUNT(*) FROM {total}")  # noqa: S608
                        held = cursor.fetchone()[0]
        finally:
            _drop_staged()
        return held


# ---------------------------------------------------------------------------------------------
# Reads


@dataclass(frozen=True)
class Rate:
    """A share: `part` of `whole`; `value` is None when there is nothing to divide by."""

    part: int
    whole: int

    @property
    def value(self) -> float | None:
        return self.part / self.whole if self.whole else None

    def percent(self) -> str:
        """The share as "96.2%", or "—" when there is nothing to divide by."""
        return "—" if self.value is None else f"{self.value * 100:.1f}%"


@dataclass(frozen=True)
class Figures:
    """The figures of one scope over one period, from the kept sums (`sums_for`)."""

    sums: dict[str, int]

    def _n(self, key: str) -> int:
        return self.sums.get(key, 0)

    @property
    def dispatched(self) -> int:
        return self._n(DISPATCHED)

    @property
    def closed(self) -> int:
        return self._n(CLOSED)

    @property
    def rated(self) -> int:
        return self._n(RATED)

    @property
    def response(self) -> Rate:
        return Rate(self._n(SIGNED_ON_TIME), self._n(DISPATCHED))

    @property
    def returns(self) -> Rate:
        return Rate(self._n(RETURNED), self._n(DISPATCHED))

    @property
    def resolution(self) -> Rate:
        return Rate(self._n(SOLVED), self._n(RATED))

    @property
    def satisfaction(self) -> Rate:
        return Rate(self._n(SATISFIED), self._n(RATED))

    @property
    def on_time_closure(self) -> Rate:
        return Rate(self._n(CLOSED_ON_TIME), self._n(CLOSED))

    @property
    def first_time(self) -> Rate:
        return Rate(self._n(FIRST_TIME), self._n(CLOSED))

    @property
    def rework(self) -> Rate:
        return Rate(self._n(REWORKED), self._n(CHECKED))

    @property
    def verification_on_time(self) -> Rate:
        return Rate(self._n(VERIFIED_ON_TIME), self._n(VERIFIED))

    @property
    def average_handling_hours(self) -> float | None:
        return self._n(HANDLING_SECONDS) / 3600 / self.closed if self.closed else None

    @property
    def p90_handling_hours(self) -> float | None:
        return handling_percentile(self.sums, 0.9)


def handling_percentile(sums: dict[str, int], q: float) -> float | None:
    """Return the q-quantile of the handling time in hours from the bands, interpolated within its band
    (exact to the band's width: an hour up to 3 days)."""
    bands = sorted((int(k[len(HOURS) :]), n) for k, n in sums.items() if k.startswith(HOURS) and n > 0)
    total = sum(n for _, n in bands)
    if not total:
        return None
    rank = q * total
    seen = 0
    for bound, n in bands:
        if seen + n >= rank:
            return bound + band_width(bound) * max(0.0, rank - seen) / n
        seen += n
    bound = bands[-1][0]
    return float(bound + band_width(bound))


def spans(day_from: date, day_to: date) -> tuple[list[tuple[date, date]], tuple[date, date] | None]:
    """Split a period into the stretches of days read from the daily rows and the whole months (the
    first and the last, by their first days) read from the monthly rows."""
    first = day_from if day_from.day == 1 else (day_from.replace(day=28) + timedelta(days=4)).replace(day=1)
    after = day_to + timedelta(days=1)
    end = after if after.day == 1 else day_to.replace(day=1)  # the day after the last whole month
    if first >= end:
        return ([(day_from, day_to)] if day_from <= day_to else []), None
    days = [(a, b) for a, b in ((day_from, first - timedelta(days=1)), (end, day_to)) if a <= b]
    return days, (first, (end - timedelta(days=1)).replace(day=1))


def _summed(group: Sequence[str], day_from: date, day_to: date, **conditions) -> Counter[tuple]:
    """Return the kept sums of the rows that meet `conditions` over the period, per (`group`…, key):
    whole months from `CaseFigureMonth`, the days at either end from `CaseFigure` (at most three
    indexed reads)."""
    days, months = spans(day_from, day_to)
    reads = [CaseFigure.objects.filter(day__gte=a, day__lte=b, **conditions) for a, b in days]
    if months is not None:
        reads.append(CaseFigureMonth.objects.filter(month__gte=months[0], month__lte=months[1], **conditions))
    result: Counter[tuple] = Counter()
    for qs in reads:
        for *values, s in qs.order_by().values_list(*group, "key").annotate(s=Sum("n")):
            result[tuple(values)] += s
    return result


def sums_for(
    *,
    places: Sequence[int] | None,
    day_from: date,
    day_to: date,
    agency: int = 0,
    user: int = 0,
    prefix: str = "",
) -> dict[str, int]:
    """Return the kept sums per fact over `places` (ids that do not overlap; None: everywhere) from
    `day_from` to `day_to` (local dates, both included), of one agency's or worker's work (0: all);
    with `prefix`, only the facts whose key starts with it (NEW_CATEGORY: new cases by category)."""
    conditions = {"key__startswith": prefix} if prefix else {}
    summed = _summed(
        (),
        day_from,
        day_to,
        place_id__in=list(places) if places is not None else [EVERYWHERE],
        agency_id=agency,
        user_id=user,
        **conditions,
    )
    return {key: s for (key,), s in summed.items()}


def figures_for(**kwargs) -> Figures:
    """The figures of `sums_for`'s scope and period."""
    return Figures(sums_for(**kwargs))


def _nested(summed: Counter[tuple]) -> dict[int, dict[str, int]]:
    result: dict[int, dict[str, int]] = {}
    for (who, key), s in summed.items():
        result.setdefault(who, {})[key] = s
    return result


def by_party(
    *, place: int, day_from: date, day_to: date, party: str, keys: Iterable[str] | None = None
) -> dict[int, dict[str, int]]:
    """Return the kept sums per agency (`party="agency"`) or grid worker (`"user"`) whose work lies under
    one place (EVERYWHERE for all), over the period: for rankings."""
    column = "agency_id" if party == "agency" else "user_id"
    other = "user_id" if party == "agency" else "agency_id"
    conditions = {"place_id": place, other: 0, f"{column}__gt": 0}
    if keys is not None:
        conditions["key__in"] = list(keys)
    return _nested(_summed((column,), day_from, day_to, **conditions))


def by_place(
    *, places: Sequence[int], day_from: date, day_to: date, keys: Iterable[str] | None = None
) -> dict[int, dict[str, int]]:
    """Return the kept sums per place of `places` (any level, may overlap) over the period."""
    conditions = {"place_id__in": list(places), "agency_id": 0, "user_id": 0}
    if keys is not None:
        conditions["key__in"] = list(keys)
    return _nested(_summed(("place_id",), day_from, day_to, **conditions))


def new_by_category(sums: dict[str, int]) -> dict[int, int]:
    """Return the new cases per category as reported (its id: a minor class, or a major class a case
    was filed under directly) from sums of the `NEW_CATEGORY` facts; a category with none is left out."""
    return {int(key[len(NEW_CATEGORY) :]): n for key, n in sums.items() if key.startswith(NEW_CATEGORY) and n}


def new_by_major(sums: dict[str, int]) -> dict[int, int]:
    """Return the new cases per major class (its id) from sums of the `NEW_CATEGORY` facts (kept per
    minor class); a major class with none is left out."""
    by_minor = new_by_category(sums)
    parents = (
        dict(Category.objects.filter(pk__in=by_minor).values_list("pk", "parent_id")) if by_minor else {}
    )
    totals: Counter[int] = Counter()
    for minor, n in by_minor.items():
        totals[parents.get(minor) or minor] += n
    return dict(totals)
