"""Counts of cases kept per place, state and day (`CaseTally`), rather than recounted on every page.

A case is counted under each place it is filed under (grid, village, town, district) and under
`EVERYWHERE`, in its current state, on its local day of creation. The count of a region, of some
steps, over some days is then one indexed sum over a few hundred rows, whatever the number of cases.

Writes: every service that files a case or changes its state, its places or its day calls `move` in the
same transaction, as its last statement (the tally rows of a day are the hottest rows of the database:
the shorter they are held, the less concurrent writers wait); `add` and `remove` do the same for many
cases at once. Intake (`services.intake`), the workflow (`services.acting`: every action, the merge,
the grid assignment of an unrouted case, the sweep's auto-close) and the demo's reset do; test
fixtures too, and an autouse fixture compares the tallies with a recount after every test.

Reads: `total`, `by_state` and `by_place` over a set of places that do not overlap, which
`scope_places` gives for a user (and an area filter); `total_for` is both in one, for the lists.

Upkeep: `differences` recounts and compares, `rebuild` recounts into the table
(`manage.py case_counts --check/--repair`): after a bulk load, a restore, or a change of TIME_ZONE
(days are local).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, DateField, F, IntegerField, Max, Min, QuerySet, Sum, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import TruncDate
from django.utils import timezone

from civicgrid.cases.models import Case, CaseTally
from civicgrid.core import scopes as core_scopes
from civicgrid.core.roles import STAFF_ROLES, Role
from civicgrid.places.models import Place

EVERYWHERE = CaseTally.EVERYWHERE
# The case fields of the place levels a case is counted under.
LEVELS = ("grid_id", "village_id", "town_id", "district_id")
# Rows per statement when many tallies move at once (4 parameters a row; SQLite allows 32,766).
CHUNK = 2000

Key = tuple[int, str, date]  # (place id, state, day)


@dataclass(frozen=True)
class Where:
    """Where one case is counted: its state, its local day of creation, the places it is filed under."""

    state: str
    day: date
    places: tuple[int, ...]


def where(case: Case) -> Where:
    """Return where `case` is counted now (from the object as it is: read it fresh when it matters)."""
    places = tuple(pk for pk in (getattr(case, level) for level in LEVELS) if pk is not None)
    return Where(state=case.state, day=timezone.localdate(case.created_at), places=(EVERYWHERE, *places))


# ---------------------------------------------------------------------------------------------
# Writes


def move(before: Where | None, after: Where | None) -> None:
    """Move one case from the tallies of `before` to those of `after` (None: not counted) in one
    statement; nothing when both are the same.

    Call it in the transaction that changes the case, after the change; `before` must be where the
    case was counted when the change was made (read with the row the change was conditional on).
    """
    deltas: Counter[Key] = Counter()
    if before is not None:
        for place in before.places:
            deltas[(place, before.state, before.day)] -= 1
    if after is not None:
        for place in after.places:
            deltas[(place, after.state, after.day)] += 1
    _apply(deltas)


def add(cases: QuerySet[Case]) -> None:
    """Count the cases of `cases` (just written in bulk) in their tallies: one GROUP BY per level."""
    _apply(_grouped(cases))


def remove(cases: QuerySet[Case]) -> None:
    """Take the cases of `cases` out of their tallies, before they are deleted."""
    _apply(Counter({key: -n for key, n in _grouped(cases).items()}))


def _apply(deltas: Counter[Key]) -> None:
    add_deltas(CaseTally, ("place_id", "state", "day"), deltas)


def add_deltas(model, columns: Sequence[str], deltas: Mapping[tuple, int]) -> None:
    """Add each delta to the `n` of the row of `model` whose key (`columns`, in order) it is keyed by,
    creating missing rows: one INSERT … ON CONFLICT DO UPDATE per CHUNK rows (SQLite ≥ 3.24 and
    PostgreSQL). Used for the kept counts and the kept figures (`figures`).

    Rows go in key order, so two transactions lock the rows they share in the same order and cannot
    deadlock on them; a key appears once per statement (PostgreSQL refuses to update a row twice).
    """
    rows = sorted((key, n) for key, n in deltas.items() if n)
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    adapt = connection.ops.adapt_datefield_value
    names = ", ".join(quote(c) for c in columns)
    marks = "(" + ", ".join(["%s"] * (len(columns) + 1)) + ")"
    chunk_rows = max(1, CHUNK * 4 // (len(columns) + 1))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), chunk_rows):
            chunk = rows[start : start + chunk_rows]
            params: list = []
            for key, n in chunk:
                params += [adapt(v) if isinstance(v, date) else v for v in key]
                params.append(n)
            cursor.execute(
                f"INSERT INTO {table} ({names}, n) VALUES {', '.join([marks] * len(chunk))} "  # noqa: S608 - names only
                f"ON CONFLICT ({names}) DO UPDATE SET n = {table}.n + excluded.n",
                params,
            )


def insert_rows(model, columns: Sequence[str], counted: Mapping[tuple, int], *, table: str = "") -> int:
    """Write `counted` into `model`'s emptied table as (`columns`…, n) rows, the zeros left out; return
    the rows written. For a rebuild, in its transaction: COPY on PostgreSQL (millions of rows in
    seconds, where the upsert of `add_deltas` binds every value into the statement's text), plain
    executemany elsewhere. `table`: another table of the same columns (a scratch table)."""
    rows = sorted((*key, n) for key, n in counted.items() if n)  # in the primary key's order
    quote = connection.ops.quote_name
    table = quote(table or model._meta.db_table)
    names = ", ".join(quote(c) for c in (*columns, "n"))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return len(rows)
        # The driver's own executemany: one prepared statement, no SQL text per row.
        adapt = connection.ops.adapt_datefield_value
        dated = [i for i, v in enumerate(rows[0]) if isinstance(v, date)] if rows else []

        def adapted(row: tuple) -> list:
            values = list(row)
            for i in dated:
                values[i] = adapt(values[i])
            return values

        marks = ", ".join(["?"] * (len(columns) + 1))
        cursor.cursor.executemany(
            f"INSERT INTO {table} ({names}) VALUES ({marks})",  # noqa: S608 - names only
            map(adapted, rows) if dated else rows,
        )
    return len(rows)


def _level_rows(cases: QuerySet, level: str | None) -> QuerySet:
    """Return (place, state, day, n) rows of `cases` grouped at one level (None: EVERYWHERE)."""
    place = Value(EVERYWHERE, output_field=IntegerField()) if level is None else F(level)
    qs = cases if level is None else cases.filter(**{f"{level}__isnull": False})
    return (
        qs.order_by()
        .annotate(tally_place=place, tally_day=TruncDate("created_at"))
        .values_list("tally_place", "state", "tally_day")
        .annotate(tally_n=Count("id"))
    )


def _grouped(cases: QuerySet[Case]) -> Counter[Key]:
    result: Counter[Key] = Counter()
    for level in (None, *LEVELS):
        for place, state, day, n in _level_rows(cases, level):
            result[(place, state, day)] += n
    return result


# ---------------------------------------------------------------------------------------------
# Reads


def _tallies(places: Sequence[int] | None, states: Iterable[str] | None, day_from, day_to) -> QuerySet:
    qs = CaseTally.objects.filter(place_id__in=list(places) if places is not None else [EVERYWHERE])
    if states is not None:
        qs = qs.filter(state__in=list(states))
    if day_from is not None:
        qs = qs.filter(day__gte=day_from)
    if day_to is not None:
        qs = qs.filter(day__lte=day_to)
    return qs.order_by()


def total(
    *,
    places: Sequence[int] | None = None,
    states: Iterable[str] | None = None,
    day_from: date | None = None,
    day_to: date | None = None,
) -> int:
    """Return how many cases filed under `places` are in one of `states` and were reported from
    `day_from` to `day_to` (local dates, both included).

    `places`: place ids that do not overlap (`scope_places` gives them for a user); None counts every
    case. `states`: None for every state, finished ones too. One indexed sum over the
    (place, state, day) key, however many cases there are.
    """
    return _tallies(places, states, day_from, day_to).aggregate(n=Sum("n"))["n"] or 0


def by_state(
    *, places: Sequence[int] | None = None, day_from: date | None = None, day_to: date | None = None
) -> dict[str, int]:
    """Return the counts per state (states with no case left out), like `total` for each state."""
    rows = _tallies(places, None, day_from, day_to).values_list("state").annotate(s=Sum("n"))
    return {state: n for state, n in rows if n}


def by_place(
    *,
    places: Sequence[int],
    states: Iterable[str] | None = None,
    day_from: date | None = None,
    day_to: date | None = None,
) -> dict[int, int]:
    """Return the counts per place of `places` (places with no case left out), like `total` for each
    place. Used by the map's clusters; the places may be of any level and may overlap here."""
    rows = _tallies(places, states, day_from, day_to).values_list("place_id").annotate(s=Sum("n"))
    return {place: n for place, n in rows if n}


COUNTED_LEVELS = frozenset({"grid", "village", "town", "district"})


def scope_places(user, region: Place | None = None) -> tuple[int, ...] | None:
    """Return the places whose tallies add up to the cases of `user`'s regions, narrowed to `region`
    (the area filter of the lists); None when the user's cases are not a union of regions.

    - A superuser: EVERYWHERE (or the region).
    - Staff with regions: each region's place (a city's districts), less those within another one,
      so nothing is counted twice. `access.scope_cases` adds a person's own reports wherever they
      are: the tallies do not; a list of a region's work does not need them.
    - Agency staff (their cases are the agency's, not a region's) and people without a region: None.
    - An area outside the user's regions, or not a grid, village, town or district: ().
    """
    if region is not None and region.level not in COUNTED_LEVELS:
        return ()
    if core_scopes.is_root(user):
        return (region.pk,) if region is not None else (EVERYWHERE,)
    regions: list[Place] = []
    for s in core_scopes.scopes(user):
        if s.role == Role.AGENCY_STAFF:
            return None
        if s.role not in STAFF_ROLES or s.place is None:
            continue
        if s.place.level == Place.Level.CITY:
            regions += Place.objects.filter(
                level=Place.Level.DISTRICT, code__startswith=s.place.scope_prefix
            ).only("pk", "code", "level")
        elif s.place.level in COUNTED_LEVELS:
            regions.append(s.place)
    if not regions:
        return None
    # Outermost first: a place within one already kept is left out.
    kept: list[Place] = []
    for place in sorted(regions, key=lambda p: (len(p.scope_prefix), p.code)):
        if not any(place.code.startswith(k.scope_prefix) for k in kept):
            kept.append(place)
    if region is None:
        return tuple(p.pk for p in kept)
    if any(region.code.startswith(k.scope_prefix) for k in kept):
        return (region.pk,)
    return tuple(p.pk for p in kept if p.code.startswith(region.scope_prefix))


def total_for(
    user,
    *,
    region: str = "",
    states: Iterable[str] | None = None,
    day_from: date | None = None,
    day_to: date | None = None,
) -> int | None:
    """Return how many of the cases of `user`'s regions (`scope_places`) are in the area with the
    code `region` (any level; "" for all), in `states`, reported from `day_from` to `day_to`; None
    when the kept counts cannot say (agency staff, people without a region): count the cases then.

    The count a work list shows when its filters are only area, step and dates (a list filtered
    by anything else counts its cases).
    """
    place = None
    if region:
        place = Place.objects.filter(code=region).only("pk", "code", "level").first()
        if place is None:
            return 0
        if place.level not in COUNTED_LEVELS:
            # A city is no tally's place (its districts are): let the list count its cases.
            return None
    places = scope_places(user, place)
    if places is None:
        return None
    if not places:
        return 0
    return total(places=places, states=states, day_from=day_from, day_to=day_to)


# ---------------------------------------------------------------------------------------------
# Upkeep


def kept() -> dict[Key, int]:
    """Return the tallies as kept (rows at 0 left out)."""
    rows = CaseTally.objects.exclude(n=0).values_list("place_id", "state", "day", "n")
    return {(place, state, day): n for place, state, day, n in rows}


def recount() -> dict[Key, int]:
    """Return the tallies counted from the cases, as `kept` returns them: one pass over the cases
    (grouped by all their places at once), rolled up per level here."""
    result: Counter[Key] = Counter()
    for *places, state, day, n in _by_places(Case):
        if isinstance(day, str):
            day = date.fromisoformat(day)
        result[(EVERYWHERE, state, day)] += n
        for place in places:
            if place is not None:
                result[(place, state, day)] += n
    return dict(result)


def _by_places(case_model) -> QuerySet:
    """Return the cases grouped by (grid, village, town, district, state, local day) with their count:
    the one pass over the case table that `rebuild` and `recount` make."""
    cases = case_model.objects.order_by()
    return (
        cases.annotate(tally_day=_local_day(case_model))
        .values_list(*LEVELS, "state", "tally_day")
        .annotate(tally_n=Count("id"))
    )


def _local_day(case_model) -> Any:
    """Return the expression of a case's local day of creation for a pass over the whole table.

    PostgreSQL computes it natively (`TruncDate`: AT TIME ZONE). On SQLite, Django's TruncDate calls a
    Python function per row (25 s of a 30 s rebuild at 1,000,000 cases); `date(created_at, '+N
    seconds')` is native, with one offset per period of constant UTC offset within the table's dates.
    """
    if connection.vendor != "sqlite":
        return TruncDate("created_at")
    span = case_model.objects.aggregate(lo=Min("created_at"), hi=Max("created_at"))
    if span["lo"] is None:
        return TruncDate("created_at")
    column = (
        f"{connection.ops.quote_name(case_model._meta.db_table)}.{connection.ops.quote_name('created_at')}"
    )
    periods = offset_periods(timezone.get_current_timezone(), span["lo"], span["hi"])
    sql = f"date({column}, %s)"
    params: list[Any] = [f"{periods[0][1]:+d} seconds"]
    for start, offset in periods[1:]:
        # Later periods first: the first WHEN that holds wins.
        sql = f"CASE WHEN {column} >= %s THEN date({column}, %s) ELSE {sql} END"
        params = [connection.ops.adapt_datetimefield_value(start), f"{offset:+d} seconds", *params]
    return RawSQL(sql, params, output_field=DateField())  # noqa: S611 - names from the model, values as parameters


def offset_periods(tz: tzinfo, lo: datetime, hi: datetime) -> list[tuple[datetime | None, int]]:
    """Return the periods of constant UTC offset of `tz` between `lo` and `hi`: (start, seconds), the
    first starting at None. Each change is found to the second (hour by hour, then by halving)."""

    def offset(at: datetime) -> int:
        return int(at.astimezone(tz).utcoffset().total_seconds())

    periods: list[tuple[datetime | None, int]] = [(None, offset(lo))]
    at = lo
    while at < hi:
        following = min(at + timedelta(hours=1), hi)
        if offset(following) != periods[-1][1]:
            before, after = at, following
            while after - before > timedelta(seconds=1):
                middle = before + (after - before) / 2
                before, after = (middle, after) if offset(middle) == periods[-1][1] else (before, middle)
            # Offsets change on a whole second: the one in (before, after].
            change = before.replace(microsecond=0) + timedelta(seconds=1)
            periods.append((change, offset(change)))
        at = following
    return periods


@dataclass(frozen=True)
class Difference:
    place_id: int
    state: str
    day: date
    kept: int
    counted: int


def differences() -> list[Difference]:
    """Return the tallies that disagree with a recount (an empty list when all agree)."""
    have, want = kept(), recount()
    return [
        Difference(*key, have.get(key, 0), want.get(key, 0))
        for key in sorted(have.keys() | want.keys())
        if have.get(key, 0) != want.get(key, 0)
    ]


def rebuild(*, case_model=Case, tally_model=CaseTally) -> int:
    """Recount every tally from the cases in one transaction; return the number of rows written.

    1. Lock the tallies against writers (PostgreSQL).
    2. Group the cases once by (grid, village, town, district, state, local day) into a temporary
       table: the one pass over the case table, and the one place the day is computed.
    3. Empty the tallies and roll the temporary table up once per level (and EVERYWHERE).
    The models are parameters so that a migration can pass its historical ones.
    """
    quote = connection.ops.quote_name
    tally = quote(tally_model._meta.db_table)
    select_sql, params = _by_places(case_model).query.sql_with_params()
    temp = quote("case_tally_rebuild")
    columns = ", ".join([*LEVELS, "state", "day", "n"])
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Writers that moved a tally and have not committed are waited for, and later ones wait
            # for the rebuild, so each case is counted once: by the recount or by its writer's move.
            # (On SQLite the transaction holds the database's write lock from its start.)
            cursor.execute(f"LOCK TABLE {tally} IN EXCLUSIVE MODE")
        cursor.execute(f"DROP TABLE IF EXISTS {temp}")
        cursor.execute(f"CREATE TEMPORARY TABLE {temp} ({columns_ddl()})")
        cursor.execute(f"INSERT INTO {temp} ({columns}) {select_sql}", params)
        cursor.execute(f"DELETE FROM {tally}")  # noqa: S608 - table name only
        written = 0
        for level in (None, *LEVELS):
            # A constant is selected, never grouped by: GROUP BY 0 would mean a column's position.
            place, condition, group = (
                (str(EVERYWHERE), "", "")
                if level is None
                else (level, f"WHERE {level} IS NOT NULL", f"{level}, ")
            )
            cursor.execute(
                f"INSERT INTO {tally} (place_id, state, day, n) "  # noqa: S608 - names only
                f"SELECT {place}, state, day, SUM(n) FROM {temp} {condition} GROUP BY {group}state, day"
            )
            written += cursor.rowcount
        cursor.execute(f"DROP TABLE {temp}")
    return written


def columns_ddl() -> str:
    """Return the column definitions of the temporary table `rebuild` groups the cases into."""
    return ", ".join([*(f"{level} bigint" for level in LEVELS), "state varchar(20)", "day date", "n bigint"])
