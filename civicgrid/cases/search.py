"""Text search over cases: the search box of the lists and `GET /api/v1/cases?text=`.

A search finds the cases whose description or address contains the text (as `icontains` does:
a substring, case-insensitive for Latin letters), a case by its tracking number and a case by its
external reference (a 12345 order number), and stays an index look-up at millions of cases.

Chinese has no spaces to split words on and its common words are two characters (井盖, 路灯), too
short for a trigram index (pg_trgm and FTS5's trigram tokenizer need three characters of pattern).
So the index holds the *grams* of every case's description, a separator and its address: each
character and each pair of overlapping characters (bigram),

    "路口井盖" + "" -> 路 口 井 盖 "\n" 路口 口井 井盖 "盖\n"

A query of two or more characters asks for all of its bigrams, a one-character query for itself
(水, 电, 树 are words; as a prefix of bigrams it read three times as much of the index). Every case
holding the text has them, so the index finds a superset of the cases, which the `icontains` condition the lists used before then rechecks: the results are those
of `icontains`, found by index (cases/tests/test_search.py compares the two on any text).

- PostgreSQL: `civicgrid_case_grams(description, address)` turns a case into a `tsvector` of its
  grams folded by `upper()` (as `icontains` folds; no parser, no dictionary: `array_to_tsvector`),
  under a GIN expression index; `civicgrid_grams_query(text)` builds the `tsquery` in SQL, so both
  sides fold alike and nothing typed reaches the tsquery syntax unquoted.
- SQLite: the contentless FTS5 table `case_search` holds the grams, tokenized by `ascii` (which
  folds ASCII letters, as SQLite's `LIKE`, and drops ASCII punctuation and spaces, as `fts_query`
  does with the query's grams, whose tokens it then quotes). Triggers keep it in step with
  `cases_case` inside the writing statement, so intake makes no extra round trip; new cases are
  indexed in batches (SQLITE_BATCH) and searches read the few not indexed yet as they are.

The SQL below is what migration 0008 installs; `manage.py case_search --check` compares the
database with it, `--rebuild` reinstalls and refills it after a bulk load that went around it
(`--drop` first makes the load faster).
"""

from __future__ import annotations

import json
import math
import re
import time
from dataclasses import dataclass

from django.db import connections, transaction
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.lookups import In
from django.utils.translation import gettext as _

# A tracking number typed into the search box (20261201-0042; the dash may be left out).
_TRACKING_NUMBER = re.compile(r"(\d{8})-?(\d{4,12})")
# Between a case's description and address: grams that cross it are the separator's own.
SEPARATOR = "\n"


# ---------------------------------------------------------------------------------------------
# The database objects, per vendor. Keep in step with migrations/0008_case_search.py.

PG_FUNCTIONS = [
    r"""
CREATE OR REPLACE FUNCTION civicgrid_case_grams(description text, address text) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT pg_catalog.array_to_tsvector(ARRAY(
    SELECT pg_catalog.substr(u, i, n)
    FROM pg_catalog.generate_series(1, pg_catalog.char_length(u)) AS i, (VALUES (1), (2)) AS v (n)))
  FROM pg_catalog.upper(description || E'\n' || address) AS u
$$""",
    r"""
CREATE OR REPLACE FUNCTION civicgrid_grams_query(query text) RETURNS tsquery
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT CASE WHEN pg_catalog.char_length(u) = 1
    THEN ('''' || pg_catalog.replace(pg_catalog.replace(u, '\', '\\'), '''', '''''') || '''')::tsquery
    ELSE pg_catalog.array_to_string(ARRAY(
      SELECT DISTINCT '''' || pg_catalog.replace(pg_catalog.replace(pg_catalog.substr(u, i, 2), '\', '\\'), '''', '''''')
        || ''''
      FROM pg_catalog.generate_series(1, pg_catalog.char_length(u) - 1) AS i), ' & ')::tsquery
    END
  FROM pg_catalog.upper(query) AS u
$$""",
]
PG_INDEX = [
    "CREATE INDEX case_search_idx ON cases_case USING gin (civicgrid_case_grams(description, address))",
    # The planner weighs a gram by the expression's statistics: with the default target, any gram
    # outside the 1,000 most common is taken for 2,500 cases of 1,000,000 (a rare word then reads a
    # whole town's index to AND with it); 10,000 grams tell rare from common.
    "ALTER INDEX case_search_idx ALTER COLUMN 1 SET STATISTICS 1000",
]
PG_DROP = [
    "DROP INDEX IF EXISTS case_search_idx",
    "DROP FUNCTION IF EXISTS civicgrid_case_grams(text, text)",
    "DROP FUNCTION IF EXISTS civicgrid_grams_query(text)",
]


def sqlite_grams(row: str) -> str:
    """Return the SQLite expression of the grams of the case `row` (`new`, `old` or a table alias).

    The grams are the text's characters and bigrams, joined by spaces; the FTS5 `ascii` tokenizer
    then folds ASCII letters (as `LIKE` does) and keeps what is not ASCII punctuation or space
    (`fts_query` does the same with the query's grams). The numbers 0..n-1 come from the keys
    of a JSON array of n zeros: SQLite has no generate_series built in, and a trigger takes no WITH.
    """
    text = f"{row}.description || char(10) || {row}.address"
    return (
        f"(SELECT group_concat(substr({text}, j.key + 1, 2) || ' ' || substr({text}, j.key + 1, 1), ' ')"  # noqa: S608
        f" FROM json_each('[' || replace(hex(zeroblob(length({row}.description) + length({row}.address))),"
        " '00', '0,') || '0]') AS j)"
    )


# Cases are indexed in batches of this many, by the insert that completes a batch: FTS5 writes a
# segment (and merges) per transaction, which cost a one-row transaction about 0.3 ms, batched
# about 0.1 ms (measured with the grams of 20-150 characters of news text, one case per commit).
# Searches read the unindexed tail (fewer than SQLITE_BATCH cases) as it is.
SQLITE_BATCH = 32
_MARK = "(SELECT last_id FROM case_search_mark)"
_CHANGED = "(old.description IS NOT new.description OR old.address IS NOT new.address)"
# Contentless (the grams are not stored twice) and detail=none (only which cases hold a gram, not
# where: a query only ANDs grams). No view or other object names cases_case apart from its triggers,
# which Django's table rebuilds on SQLite drop with the table (`repair` puts them back).
SQLITE_TABLES = {
    "case_search": "CREATE VIRTUAL TABLE case_search USING fts5(grams, content='', detail='none', tokenize='ascii')",
    # The last case id indexed: every case up to it is in case_search, none after it.
    "case_search_mark": "CREATE TABLE case_search_mark (id integer PRIMARY KEY CHECK (id = 1), last_id integer NOT NULL)",
}
SQLITE_TRIGGERS = {
    "case_search_insert": "CREATE TRIGGER case_search_insert AFTER INSERT ON cases_case"  # noqa: S608
    f" WHEN new.id >= {_MARK} + {SQLITE_BATCH} BEGIN"
    f" INSERT INTO case_search(rowid, grams) SELECT c.id, {sqlite_grams('c')} FROM cases_case AS c"
    f" WHERE c.id > {_MARK} AND c.id <= new.id;"
    " UPDATE case_search_mark SET last_id = new.id; END",
    # A contentless FTS5 row is removed by giving the grams it was indexed with.
    "case_search_update": "CREATE TRIGGER case_search_update AFTER UPDATE OF description, address"  # noqa: S608
    f" ON cases_case WHEN {_CHANGED} AND old.id <= {_MARK} BEGIN"
    f" INSERT INTO case_search(case_search, rowid, grams) VALUES ('delete', old.id, {sqlite_grams('old')});"
    f" INSERT INTO case_search(rowid, grams) VALUES (new.id, {sqlite_grams('new')}); END",
    "case_search_delete": "CREATE TRIGGER case_search_delete AFTER DELETE ON cases_case"  # noqa: S608
    f" WHEN old.id <= {_MARK} BEGIN"
    f" INSERT INTO case_search(case_search, rowid, grams) VALUES ('delete', old.id, {sqlite_grams('old')});"
    " END",
}
SQLITE_FILL = [
    "INSERT INTO case_search(case_search) VALUES ('delete-all')",
    f"INSERT INTO case_search(rowid, grams) SELECT c.id, {sqlite_grams('c')} FROM cases_case AS c",  # noqa: S608
    "DELETE FROM case_search_mark",
    "INSERT INTO case_search_mark (id, last_id) SELECT 1, coalesce(max(id), 0) FROM cases_case",
    "INSERT INTO case_search(case_search) VALUES ('optimize')",
]
SQLITE_CREATE = [*SQLITE_TABLES.values(), *SQLITE_TRIGGERS.values()]
SQLITE_DROP = [
    *(f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGERS),
    *(f"DROP TABLE IF EXISTS {name}" for name in SQLITE_TABLES),
]

# Looking a case up by its external reference (a 12345 order number) whatever its source; partial,
# so the many reports without one write nothing to it.
EXTERNAL_REF_INDEX = (
    "CREATE INDEX case_external_ref_idx ON cases_case (external_ref) WHERE external_ref <> ''"
)
EXTERNAL_REF_DROP = "DROP INDEX IF EXISTS case_external_ref_idx"


def install_statements(vendor: str) -> list[str]:
    """Return the statements that create the search index on an empty or filled database."""
    if vendor == "postgresql":
        return [*PG_FUNCTIONS, *PG_INDEX, EXTERNAL_REF_INDEX]
    if vendor == "sqlite":
        return [*SQLITE_CREATE, *SQLITE_FILL, EXTERNAL_REF_INDEX]
    return []


def drop_statements(vendor: str) -> list[str]:
    """Return the statements that remove the search index (the way back from `install_statements`)."""
    if vendor == "postgresql":
        return [*PG_DROP, EXTERNAL_REF_DROP]
    if vendor == "sqlite":
        return [*SQLITE_DROP, EXTERNAL_REF_DROP]
    return []


# ---------------------------------------------------------------------------------------------
# Queries


def filter_cases(qs: QuerySet, text: str) -> QuerySet:
    """Narrow `qs` (cases) to those the search text finds; an empty or blank text narrows nothing.

    A tracking number finds its case (exactly); any other text finds the cases whose description
    or address contains it, and the case whose external reference it is. On SQLite the result may
    be a new queryset of the same cases (see `_sqlite_filter`): order and join after calling this.
    """
    text = (text or "").strip()
    if not text or qs.query.is_empty():
        return qs
    vendor = connections[qs.db].vendor
    if vendor == "postgresql":
        return qs.filter(_pg_condition(text, common=_pg_common(qs.db, text)))
    if vendor == "sqlite":
        return _sqlite_filter(qs, text)
    tracking = tracking_number(text)
    if tracking is not None:
        return qs.filter(Q(tracking_number=tracking) | Q(external_ref=text))
    return qs.filter(_contains(text) | Q(external_ref=text))


def _contains(text: str) -> Q:
    return Q(description__icontains=text) | Q(address__icontains=text)


def _pg_condition(text: str, *, common: bool = False) -> Q:
    by_ref = Q(external_ref=text)
    tracking = tracking_number(text)
    if tracking is not None:
        # An identifier: its digits are in too many texts for a gram search to be quick or useful.
        return Q(tracking_number=tracking) | by_ref
    if common:
        return _contains(text) | by_ref
    candidates = Q(_GramsMatch(F("description"), F("address"), Value(text))) | by_ref
    # Grams of one or two characters are the text itself: the index answers exactly.
    if len(text) <= 2 and SEPARATOR not in text:
        return candidates
    # Two conditions, not (grams AND contains) OR ref: the first is then the bitmap scan's own
    # condition, which PostgreSQL does not evaluate again per row (the grams of a row cost a
    # function call); only the cheap recheck runs on each candidate.
    return candidates & (_contains(text) | by_ref)


# PostgreSQL: a text the planner expects in more cases than sqrt(PG_COMMON_FACTOR × LIST_CAP × the
# table's cases) (and than PG_COMMON_MIN) is searched without the index. Reading its posting list
# costs about a microsecond a case whatever the scope (475,000 cases for 井盖 at 5,000,000: 200 ms,
# once for the page and once for its count), while the scope's own rows, each checked for the
# text, stop at the page or at the lists' capped count (LIST_CAP + 1 found: about 10,000 rows read
# for a word in one case of ten) or end with a small scope (a town's open cases). A row costs about
# PG_COMMON_FACTOR cases of a posting list, so past that bound the rows cost less.
PG_COMMON_FACTOR = 10
PG_COMMON_MIN = 20_000
LIST_CAP = 1000  # selectors.LIST_TOTAL_CAP
_COMMON: dict[tuple[str, str], tuple[float, bool]] = {}


def _pg_common(db: str, text: str) -> bool:
    """Return whether `text` is too common for the index (PostgreSQL): the planner's estimate of the
    cases its grams match, from the index's statistics (ANALYZE); remembered for a while per process
    (a plan only, as `_MANY`: no result can go stale)."""
    if tracking_number(text) is not None:
        return False
    now = time.monotonic()
    known = _COMMON.get((db, text))
    if known is not None and known[0] > now:
        return known[1]
    with connections[db].cursor() as cursor:
        cursor.execute(
            "EXPLAIN (FORMAT JSON) SELECT 1 FROM cases_case"
            " WHERE civicgrid_case_grams(description, address) @@ civicgrid_grams_query(%s)",
            [text],
        )
        plan = cursor.fetchone()[0]
        found = float((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]["Plan Rows"])
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = 'cases_case'::regclass")
        cases = max(float(cursor.fetchone()[0]), 0.0)
    common = found > max(PG_COMMON_MIN, math.sqrt(PG_COMMON_FACTOR * LIST_CAP * cases))
    if len(_COMMON) >= _MANY_KEPT:
        _COMMON.clear()
    _COMMON[(db, text)] = (now + _MANY_SECONDS, common)
    return common


# SQLite looks up to this many candidates up one by one (the cost grows with them); more, and the
# scope's own cases are each probed in the candidates' list (the cost grows with the scope).
SQLITE_FEW = 10_000
# Texts found in more than SQLITE_FEW cases, remembered for a while per process: a list asks for its
# page and then its total, and fetching 10,001 candidate ids again only to learn it has many costs
# more than either. Only a plan is remembered (the probe finds the cases whatever their number), so a
# stale entry changes no result.
_MANY: dict[tuple[str, str, str], float] = {}
_MANY_SECONDS = 300
_MANY_KEPT = 1000
# SQLite uses a partial index only when the query repeats its condition.
_BY_REF = "SELECT id FROM cases_case WHERE external_ref = %s AND external_ref <> ''"


def _sqlite_filter(qs: QuerySet, text: str) -> QuerySet:
    """Search on SQLite: the FTS5 index, the tail of cases it does not hold yet, the reference.

    SQLite's planner cannot tell how many cases a MATCH finds, and without ANALYZE statistics it
    takes any scope index (a town's 375,000 cases) for cheaper than a list of ids. So the number
    of candidates is asked first (up to SQLITE_FEW + 1, a fraction of a millisecond):
    - few: the cases are looked up by id and the scope is checked per case (`_by_id`);
    - many: the scope's cases are read by its index and each probed in the candidates' list
      (`id + 0`, so SQLite cannot turn it round and look 95,000 ids up one state at a time).
    """
    by_ref = Q(external_ref=text)
    tracking = tracking_number(text)
    if tracking is not None:
        candidates = RawSQL(  # noqa: S611 - constant SQL, the text is a parameter
            f"SELECT id FROM cases_case WHERE tracking_number = %s UNION ALL {_BY_REF}",  # noqa: S608
            (tracking, text),
        )
        return _by_id(qs, candidates, Q())
    recheck = _contains(text) | by_ref
    query = fts_query(text)
    if query is None:
        return qs.filter(recheck)  # only ASCII punctuation and spaces: nothing the index holds
    sql = (
        "SELECT rowid FROM case_search WHERE case_search MATCH %s"  # noqa: S608 - constant SQL
        f" UNION ALL SELECT id FROM cases_case WHERE id > {_MARK} UNION ALL {_BY_REF}"
    )
    params = (query, text)
    key = (qs.db, query, text)
    if _MANY.get(key, 0) < time.monotonic():
        with connections[qs.db].cursor() as cursor:
            cursor.execute(f"{sql} LIMIT {SQLITE_FEW + 1}", params)
            ids = [row[0] for row in cursor.fetchall()]
        if len(ids) <= SQLITE_FEW:
            listed = RawSQL("SELECT value FROM json_each(%s)", (json.dumps(ids),))
            return _by_id(qs, listed, recheck)
        if len(_MANY) >= _MANY_KEPT:
            _MANY.clear()
        _MANY[key] = time.monotonic() + _MANY_SECONDS
    probed = In(ExpressionWrapper(F("pk") + 0, output_field=BigIntegerField()), RawSQL(sql, params))  # noqa: S611
    return qs.filter(probed).filter(recheck)


def _by_id(qs: QuerySet, ids: RawSQL, recheck: Q) -> QuerySet:
    """Return the cases of `qs` whose id is in `ids` and that pass `recheck`, looked up by id.

    The conditions of `qs` (its scope and filters) move into an EXISTS per case, where they cannot
    lead SQLite to read a whole town's cases by a scope index instead.
    """
    cases = qs.model._default_manager.db_manager(qs.db)
    return cases.filter(Q(pk__in=ids), recheck, Exists(qs.order_by().filter(pk=OuterRef("pk"))))


def tracking_number(text: str) -> str | None:
    """Return the tracking number `text` is written as (with or without its dash), or None."""
    match = _TRACKING_NUMBER.fullmatch(text)
    return f"{match[1]}-{match[2]}" if match else None


def _token(gram: str) -> str:
    """Return what the FTS5 `ascii` tokenizer keeps of a gram: all but ASCII punctuation and space."""
    return "".join(c for c in gram if c >= "\x80" or (c.isascii() and c.isalnum()))


def fts_query(text: str) -> str | None:
    """Return the FTS5 query for `text` (SQLite), or None when it holds nothing the index keeps.

    Every bigram of the text is required (one character: itself), as the tokenizer keeps it: a
    bigram with punctuation becomes its other character, which the indexed text then holds too. Each is a quoted string of letters, digits and non-ASCII characters only,
    so quotes, operators and column filters typed into the search box are never FTS5 syntax.
    """
    if len(text) == 1:
        token = _token(text)
        return f'"{token}"' if token else None
    tokens = dict.fromkeys(t for t in (_token(text[i : i + 2]) for i in range(len(text) - 1)) if t)
    return " AND ".join(f'"{t}"' for t in tokens) or None


class _GramsMatch(Func):
    """`civicgrid_case_grams(description, address) @@ civicgrid_grams_query(text)` (PostgreSQL).

    Written as the index's expression, so the planner can use `case_search_idx`.
    """

    arity = 3
    output_field = BooleanField()

    def as_sql(self, compiler, connection, **extra_context):
        parts, params = [], []
        for expression in self.get_source_expressions():
            sql, p = compiler.compile(expression)
            parts.append(sql)
            params.extend(p)
        description, address, query = parts
        return (
            f"civicgrid_case_grams({description}, {address}) @@ civicgrid_grams_query({query})",
            params,
        )


# ---------------------------------------------------------------------------------------------
# Upkeep (`manage.py case_search`, and `repair` after every migrate)

# Cases whose grams `check` looks up in the SQLite index, spread over the table.
CHECK_SAMPLE = 200


@dataclass
class Health:
    problems: list[str]
    cases: int = 0
    indexed: int | None = None  # SQLite: rows in the FTS5 index

    @property
    def ok(self) -> bool:
        return not self.problems


def check(using: str = "default", *, sample: int = CHECK_SAMPLE) -> Health:
    """Check that the search index is installed as this code expects and holds the cases.

    PostgreSQL: the functions are this code's and both indexes are valid (an index is never stale).
    SQLite: the tables, triggers and index are this code's, it holds every case up to its mark and
    fewer than a batch wait after it, and a sample of cases, spread over the table, is found by
    grams of its text as it reads now.
    """
    connection = connections[using]
    health = Health(problems=[])
    problems = health.problems
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM cases_case")
        health.cases = cursor.fetchone()[0]
        if connection.vendor == "postgresql":
            for name, statement in _pg_functions().items():
                cursor.execute("SELECT prosrc FROM pg_proc WHERE proname = %s", [name])
                row = cursor.fetchone()
                if row is None:
                    problems.append(_("The function %(name)s is missing.") % {"name": name})
                elif row[0] != statement.split("$$")[1]:
                    problems.append(_("The function %(name)s differs from this code's.") % {"name": name})
            for index in ("case_search_idx", "case_external_ref_idx"):
                cursor.execute(
                    "SELECT i.indisvalid AND i.indisready FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid"
                    " WHERE c.relname = %s",
                    [index],
                )
                row = cursor.fetchone()
                if row is None:
                    problems.append(_("The index %(name)s is missing.") % {"name": index})
                elif not row[0]:
                    problems.append(
                        _("The index %(name)s is not valid (an interrupted build?).") % {"name": index}
                    )
        elif connection.vendor == "sqlite":
            differences = _sqlite_differences(cursor)
            for name, missing in differences.items():
                message = _("%(name)s is missing.") if missing else _("%(name)s differs from this code's.")
                problems.append(message % {"name": name})
            if not differences.keys() & SQLITE_TABLES.keys():
                cursor.execute("SELECT count(*) FROM case_search_docsize")
                health.indexed = cursor.fetchone()[0]
                cursor.execute(f"SELECT count(*) FROM cases_case WHERE id <= {_MARK}")  # noqa: S608
                upto = cursor.fetchone()[0]
                if health.indexed != upto:
                    problems.append(
                        _("case_search holds %(indexed)d rows for the %(cases)d cases up to its mark.")
                        % {"indexed": health.indexed, "cases": upto}
                    )
                if health.cases - upto >= SQLITE_BATCH:
                    problems.append(
                        _("%(count)d cases wait to be indexed (a load without the index?).")
                        % {"count": health.cases - upto}
                    )
                problems.extend(_sqlite_sample_missing(cursor, sample))
    return health


def _pg_functions() -> dict[str, str]:
    return {re.search(r"FUNCTION (\w+)\(", s)[1]: s for s in PG_FUNCTIONS}


def _sqlite_expected() -> dict[str, str]:
    return {
        **SQLITE_TABLES,
        **SQLITE_TRIGGERS,
        "case_external_ref_idx": EXTERNAL_REF_INDEX,
    }


def _sqlite_differences(cursor) -> dict[str, bool]:
    """Return the SQLite search objects that are missing (True) or differ from this code's (False)."""
    expected = _sqlite_expected()
    cursor.execute("SELECT name, sql FROM sqlite_master")
    found = {name: sql for name, sql in cursor.fetchall() if name in expected}
    return {name: name not in found for name, sql in expected.items() if found.get(name) != sql}


def _sqlite_sample_missing(cursor, sample: int) -> list[str]:
    """Return the sampled cases that the index does not find by grams of their text."""
    cursor.execute(f"SELECT min(id), max(id) FROM cases_case WHERE id <= {_MARK}")  # noqa: S608
    low, high = cursor.fetchone()
    if low is None or sample <= 0:
        return []
    step = max(1, (high - low) // sample)
    ids = list(range(low, high + 1, step))[:sample]
    placeholders = ", ".join(["%s"] * len(ids))
    cursor.execute(f"SELECT id, description, address FROM cases_case WHERE id IN ({placeholders})", ids)  # noqa: S608
    problems = []
    for pk, description, address in cursor.fetchall():
        # Five pairs spread over the text: a row indexed with other text will lack one of them.
        text = f"{description}{SEPARATOR}{address}"
        spread = sorted({round(i * max(0, len(text) - 2) / 4) for i in range(5)})
        query = " AND ".join(q for q in (fts_query(text[p : p + 2]) for p in spread) if q)
        if not query:
            continue
        cursor.execute(
            "SELECT count(*) FROM case_search WHERE case_search MATCH %s AND rowid = %s", [query, pk]
        )
        if cursor.fetchone()[0] != 1:
            problems.append(_("Case %(id)d is not in case_search as it reads now.") % {"id": pk})
    return problems


def rebuild(using: str = "default") -> None:
    """Drop and recreate the search index and fill it from the cases (after a bulk load).

    It holds the case table's lock while it works (about a minute at 1,000,000 cases on SQLite,
    two on PostgreSQL with its ANALYZE): intake waits meanwhile.
    """
    connection = connections[using]
    # One transaction: a failed rebuild leaves the index as it was.
    with transaction.atomic(using), connection.cursor() as cursor:
        for statement in drop_statements(connection.vendor):
            cursor.execute(statement)
        for statement in install_statements(connection.vendor):
            cursor.execute(statement)
        if connection.vendor == "postgresql":
            # The planner weighs the grams index by the expression's statistics.
            cursor.execute("ANALYZE cases_case")


def drop(using: str = "default") -> None:
    """Remove the search index and its triggers, so a bulk load writes faster; `rebuild` restores it."""
    connection = connections[using]
    with connection.cursor() as cursor:
        for statement in drop_statements(connection.vendor):
            cursor.execute(statement)


def flush(using: str = "default") -> int:
    """Index the cases that wait after the mark now, rather than with the next batch (SQLite).

    Return how many were indexed. Tests use it to search through the index rather than the tail.
    """
    connection = connections[using]
    if connection.vendor != "sqlite":
        return 0
    with transaction.atomic(using), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO case_search(rowid, grams) SELECT c.id, {sqlite_grams('c')} FROM cases_case AS c"  # noqa: S608
            f" WHERE c.id > {_MARK}"
        )
        indexed = cursor.rowcount
        cursor.execute(
            "UPDATE case_search_mark SET last_id = (SELECT max(id) FROM cases_case)"
            " WHERE last_id < (SELECT max(id) FROM cases_case)"
        )
    return indexed


def repair(using: str = "default") -> list[str]:
    """Put back the SQLite triggers a migration dropped; return their names (run after every migrate).

    Django alters a SQLite table by building a new one, copying the rows and dropping the old table,
    which drops its triggers: a later migration that alters `cases_case` would leave the index to go
    stale. The rows are copied unchanged, so the index still holds them and only the triggers need
    to come back. Whatever else is missing or differs is left to `case_search --check`/`--rebuild`.
    """
    connection = connections[using]
    if connection.vendor != "sqlite":
        return []
    with connection.cursor() as cursor:
        missing = [name for name, is_missing in _sqlite_differences(cursor).items() if is_missing]
        if "case_search" in missing:
            return []  # never installed here (before migration 0008) or dropped on purpose for a load
        restored = [name for name in missing if name in SQLITE_TRIGGERS]
        for name in restored:
            cursor.execute(SQLITE_TRIGGERS[name])
        if "case_external_ref_idx" in missing:
            cursor.execute(EXTERNAL_REF_INDEX)
            restored.append("case_external_ref_idx")
    return restored


def repair_after_migrate(*, using: str = "default", verbosity: int = 1, stdout=None, **kwargs) -> None:
    """Run `repair` after a migrate (the `post_migrate` receiver of the cases app) and say what it did."""
    restored = repair(using)
    if restored and verbosity and stdout is not None:
        stdout.write(
            _("  Restored what a migration dropped of the case search index: %(names)s")
            % {"names": ", ".join(restored)}
            + "\n"
        )
