"""Text search over cases (civicgrid/cases/search.py), on whichever database the suite runs on.

The index may only narrow what `icontains` on the description and address (and an exact external
reference) finds, never change it: the property test compares the two on varied text, and the
examples pin what users type — two-character Chinese words, one character, a tracking number, a
12345 order number, punctuation and FTS syntax — and that edits re-index and scopes still apply.
"""

from __future__ import annotations

import itertools
from io import StringIO
from unittest.mock import patch

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from civicgrid.cases import counts, search
from civicgrid.cases.models import Case, Category
from civicgrid.cases.selectors import CaseFilters, case_list
from civicgrid.cases.tests.conftest import report

_numbers = itertools.count(1)
# A point in grid B1a of town B (conftest's world), outside the town operator's scope.
TOWN_B = {"lon": 120.805, "lat": 31.605}


@pytest.fixture(autouse=True)
def _forget_many():
    """Each test decides anew which texts have many candidates (`search._MANY`, a plan memo)."""
    search._MANY.clear()
    search._COMMON.clear()
    yield
    search._MANY.clear()
    search._COMMON.clear()


def add(world, description: str = "", address: str = "", *, indexed: bool = True, **fields) -> Case:
    """Write a bare case straight to the table (the index is kept by the database, not by intake).

    On SQLite it is then indexed at once (`search.flush`), so searches go through the index, not
    the tail of cases that wait for the next batch; `indexed=False` leaves it waiting.
    """
    n = next(_numbers)
    case = Case.objects.create(
        tracking_number=fields.pop("tracking_number", f"20260101-{n:05d}"),
        source=fields.pop("source", Case.Source.PATROL),
        category=Category.objects.get(code="C0201"),
        description=description,
        address=address,
        lon=120.705,
        lat=31.605,
        town=world.town_a,
        **fields,
    )
    # Counted like every case (the suite compares the kept counts with a recount after each test).
    counts.move(None, counts.where(case))
    if indexed:
        search.flush()
    return case


def found(text: str, qs=None) -> set[int]:
    return set(
        search.filter_cases(qs if qs is not None else Case.objects.all(), text).values_list("pk", flat=True)
    )


def contains(text: str, qs=None) -> set[int]:
    """What `icontains` finds: the lists' text search before the index."""
    text = text.strip()
    qs = qs if qs is not None else Case.objects.all()
    return set(
        qs.filter(
            Q(description__icontains=text) | Q(address__icontains=text) | Q(external_ref=text)
        ).values_list("pk", flat=True)
    )


# ---------------------------------------------------------------------------------------------
# Substring semantics, on any text

# Chinese (common and rare), Latin in both cases, letters whose upper case is special, digits,
# whitespace, and every character FTS5, LIKE and tsquery give a meaning to.
ALPHABET = (
    list("井盖路灯破损水管道口号鑫")
    + list("aAbBzZéÉßſ")
    + list("0129")
    + list(" \n\t")
    + list("%_'\"\\*:()-^+.,，。&|!<>{}[]~")
)
WORDS = ["AND", "OR", "NOT", "NEAR", "井盖", "路灯", "LED"]
piece = st.one_of(st.sampled_from(ALPHABET), st.sampled_from(WORDS))
texts = st.lists(piece, max_size=12).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    docs=st.lists(st.tuples(texts, texts), min_size=1, max_size=6),
    pick=st.tuples(st.integers(0, 5), st.booleans(), st.integers(0, 20), st.integers(1, 8)),
    other=texts,
)
def test_it_finds_what_icontains_finds(world, docs, pick, other):
    index, from_address, start, length = pick
    description, address = docs[index % len(docs)]
    source = address if from_address else description
    # A piece of a case's text, or any text at all.
    query = source[start : start + length] if source and start < len(source) else other
    assume(query.strip() and search.tracking_number(query.strip()) is None)
    with transaction.atomic():
        ids = {add(world, d, a, indexed=False).pk for d, a in docs}
        mine = Case.objects.filter(pk__in=ids)
        expected = contains(query, mine)
        assert found(query, mine) == expected
        if search.flush():  # SQLite: first from the tail of unindexed cases, then from the index,
            assert found(query, mine) == expected
            with patch.object(search, "SQLITE_FEW", 0):  # with the candidates probed from the scope
                assert found(query, mine) == expected
        if connection.vendor == "postgresql":  # a text too common for the index: the rows checked
            with patch.object(search, "_pg_common", lambda db, text: True):
                assert found(query, mine) == expected
        transaction.set_rollback(True)


# ---------------------------------------------------------------------------------------------
# What users type


def test_it_finds_two_character_chinese_words_in_descriptions_and_addresses(world):
    manhole = add(world, "路口井盖破损，行人易绊倒", "虞山北路88号")
    lamp = add(world, "小区门口路灯不亮", "")
    in_address = add(world, "有安全隐患", "井盖路12号")
    add(world, "水管道漏水", "井字街")
    assert found("井盖") == {manhole.pk, in_address.pk}
    assert found("路灯") == {lamp.pk}
    assert found("井盖破损") == {manhole.pk}
    assert found("虞山北路") == {manhole.pk}
    assert found("  路灯  ") == {lamp.pk}
    assert found("井盖坏了") == set()


def test_a_phrase_must_be_there_as_typed_not_only_its_pairs_of_characters(world):
    # Each holds every pair of 井盖破损 (井盖 盖破 破损), in another order or split between fields.
    shuffled = add(world, "井盖破，盖破损", "")
    split = add(world, "井盖破", "盖破损")
    assert found("井盖破损") == set()
    assert found("井盖破") == {shuffled.pk, split.pk}
    whole = add(world, "", "井盖破损")
    assert found("井盖破损") == {whole.pk}


def test_one_character_finds_it_anywhere_even_last(world):
    first = add(world, "灯不亮", "")
    last = add(world, "不亮的路灯", "")
    address_last = add(world, "", "人民路")
    add(world, "水管", "")
    assert found("灯") == {first.pk, last.pk}
    assert found("路") == {last.pk, address_last.pk}
    assert found("x") == set()


def test_latin_words_ignore_case_and_mix_with_chinese(world):
    led = add(world, "LED路灯闪烁", "Renmin Road 5")
    add(world, "路灯", "")
    assert found("led") == {led.pk}
    assert found("Led路灯") == {led.pk}
    assert found("d路") == {led.pk}
    assert found("renmin road") == {led.pk}
    assert found("ROAD 5") == {led.pk}
    assert found("e") == {led.pk}


def test_punctuation_quotes_and_query_syntax_are_literal(world):
    percent = add(world, "完成100%的整改", "")
    plain = add(world, "完成100个", "")
    under = add(world, "编号 a_b", "")
    quoted = add(world, "He said \"井盖\" and 'OR' NEAR(x) col:y", "")
    backslash = add(world, r"路径 C:\temp\*", "")
    assert found("100%") == {percent.pk}
    assert found("%") == {percent.pk}
    assert found("a_b") == {under.pk}
    assert found("_") == {under.pk}
    assert found("完成1") == {percent.pk, plain.pk}
    assert found('"井盖"') == {quoted.pk}
    assert found("'OR'") == {quoted.pk}
    assert found("NEAR(x)") == {quoted.pk}
    assert found("col:y") == {quoted.pk}
    assert found("\\") == {backslash.pk}
    assert found(r"\temp\*") == {backslash.pk}
    for text in ['"', "'", "*", "(", ")", "^", ":", "AND", "OR", "NOT", "-", "+", "{}", "' OR 1=1 --", "%_%"]:
        assert found(text) == contains(text), text


def test_a_blank_search_narrows_nothing(world):
    a = add(world, "井盖", "")
    b = add(world, "路灯", "")
    assert found("") == {a.pk, b.pk}
    assert found("   ") == {a.pk, b.pk}
    assert found(None) == {a.pk, b.pk}


def test_a_tracking_number_finds_its_case_exactly(world):
    case = add(world, "井盖", "", tracking_number="20261201-0042")
    add(world, "井盖", "", tracking_number="20261201-00420")
    mentions = add(world, "同20261201-0042", "")
    assert found("20261201-0042") == {case.pk}
    assert found("202612010042") == {case.pk}
    assert found(" 20261201-0042 ") == {case.pk}
    # A number is looked up, not searched for in texts; part of one finds nothing by number.
    assert mentions.pk not in found("20261201-0042")
    assert case.pk not in found("0042")


def test_an_external_reference_finds_its_case_exactly(world):
    order = add(world, "来电反映", "", source=Case.Source.HOTLINE, external_ref="GD2026112900042")
    add(world, "来电反映", "", source=Case.Source.HOTLINE, external_ref="GD20261129000421")
    digits = add(world, "来电", "", source=Case.Source.HOTLINE, external_ref="2412011234567")
    assert found("GD2026112900042") == {order.pk}
    assert found("2412011234567") == {digits.pk}
    assert found("gd2026112900042") == set()


def test_edits_of_the_description_and_address_are_searched_as_they_read_now(world):
    case = add(world, "井盖破损", "人民路")
    Case.objects.filter(pk=case.pk).update(description="路灯不亮")
    assert found("井盖") == set()
    assert found("路灯") == {case.pk}
    case.refresh_from_db()
    case.address = "中山北路"
    case.save()
    assert found("人民") == set()
    assert found("中山") == {case.pk}
    # A save that changes neither leaves the index as it was.
    case.priority = Case.Priority.URGENT
    case.save()
    assert found("中山") == {case.pk}
    assert found("路灯") == {case.pk}
    counts.move(counts.where(case), None)
    case.delete()
    assert found("路灯") == set()
    assert search.check().ok


def test_search_stays_within_the_users_scope(cw, category):
    mine = report(cw, category, description="路口井盖破损")
    theirs = report(cw, category, description="路口井盖破损", **TOWN_B)

    def listed(user, text):
        return set(case_list(user=user, filters=CaseFilters(text=text)).values_list("pk", flat=True))

    assert listed(cw.town_operator, "井盖") == {mine.pk}
    assert listed(cw.outsider, "井盖") == {theirs.pk}
    assert listed(cw.town_operator, theirs.tracking_number) == set()
    assert listed(cw.town_operator, mine.tracking_number) == {mine.pk}
    assert listed(cw.town_operator, "井盖") == listed(cw.town_operator, "") & contains("井盖")
    # With the other filters.
    closed = CaseFilters(text="井盖", state="closed")
    assert not case_list(user=cw.town_operator, filters=closed).exists()
    assert listed(AnonymousUser(), "井盖") == set()
    # An agency's scope joins its co-handled cases (a DISTINCT query).
    led = report(cw, category, description="井盖", **TOWN_B)
    Case.objects.filter(pk=led.pk).update(lead_agency=cw.agency)
    mine.co_agencies.add(cw.agency)
    assert listed(cw.agency_staff, "井盖") == {led.pk, mine.pk}
    with patch.object(search, "SQLITE_FEW", 0):
        assert listed(cw.agency_staff, "井盖") == {led.pk, mine.pk}
    # Remembered as a text of many candidates, it is still found whatever their number.
    assert search._MANY or connection.vendor != "sqlite"
    with CaptureQueriesContext(connection) as captured:
        assert listed(cw.agency_staff, "井盖") == {led.pk, mine.pk}
    assert not [q for q in captured if "LIMIT 10001" in q["sql"]]


def test_the_api_searches_with_text(cw, category):
    from civicgrid.cases.tests.test_api import URL, client_for

    case = report(cw, category, description="小区路灯不亮", address="人民路1号")
    report(cw, category, description="井盖", address="")
    client = client_for(cw.town_operator)
    for text in ["路灯", "灯", "人民路1", "%", "' OR 1=1 --", case.tracking_number]:
        response = client.get(URL, {"text": text})
        assert response.status_code == 200
        expected = [case.tracking_number] if text not in ("%", "' OR 1=1 --") else []
        assert [i["tracking_number"] for i in response.json()["items"]] == expected, text


# ---------------------------------------------------------------------------------------------
# The plans use the indexes


def plan(qs) -> str:
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A test table is tiny: ask whether the index can serve, not whether it pays here.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_indexscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(str(row) for row in cursor.fetchall())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plan")
@pytest.mark.parametrize("text", ["井盖", "灯", "井盖破损", "GD2026112900042"])
def test_a_search_reads_the_grams_index(world, text):
    add(world, "井盖", "")
    with transaction.atomic():
        shown = plan(search.filter_cases(Case.objects.all(), text))
    assert "case_search_idx" in shown
    assert "Seq Scan" not in shown
    if text.startswith("GD"):
        assert "case_external_ref_idx" in shown


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plan")
def test_a_text_in_many_cases_reads_the_scope_not_its_posting_list(world):
    add(world, "路口井盖破损", "")
    add(world, "路灯", "")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cases_case")
    town = Case.objects.filter(town=world.town_a)
    # Rare for the statistics of a few rows: the index.
    assert not search._pg_common(connection.alias, "井盖")
    assert "civicgrid_case_grams" in str(search.filter_cases(town, "井盖").query)
    # Past the bound (as 井盖 in one case of ten of 5,000,000), the town's rows, each checked.
    search._COMMON.clear()
    with patch.object(search, "PG_COMMON_MIN", 0), patch.object(search, "PG_COMMON_FACTOR", 0):
        assert search._pg_common(connection.alias, "井盖")
        assert "civicgrid_case_grams" not in str(search.filter_cases(town, "井盖").query)
        with transaction.atomic():
            shown = plan(search.filter_cases(town, "井盖"))
        assert "case_town_" in shown and "Seq Scan" not in shown
        assert found("井盖", town) == contains("井盖", town)
    # Remembered per text for a while: no second estimate.
    with CaptureQueriesContext(connection) as captured:
        search._pg_common(connection.alias, "井盖")
    assert not captured.captured_queries


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's plan")
@pytest.mark.parametrize("text", ["井盖", "井盖破损", "GD2026112900042"])
def test_sqlite_looks_few_candidates_up_by_id_and_checks_the_scope_per_case(world, text):
    add(world, "井盖", "")
    with CaptureQueriesContext(connection) as queries:
        shown = plan(search.filter_cases(Case.objects.filter(town=world.town_a), text))
    # The candidates come from the FTS5 index and the external reference's index ...
    (probe,) = [q["sql"] for q in queries.captured_queries if "MATCH" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {probe}")
        probed = str(cursor.fetchall())
    assert "case_search VIRTUAL TABLE" in probed and "case_external_ref_idx" in probed
    # ... and the cases are read by id, never by a scan or by the town's index.
    assert "SEARCH cases_case USING INTEGER PRIMARY KEY" in shown
    assert "SCAN cases_case" not in shown and "case_town_state_idx" not in shown


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's plan")
def test_sqlite_probes_many_candidates_from_the_scopes_cases(world):
    add(world, "井盖", "")
    for text in ("井盖", "井"):
        with patch.object(search, "SQLITE_FEW", 0):
            shown = plan(search.filter_cases(Case.objects.filter(town=world.town_a), text))
        # One of the town's indexes, (town, state) or (town, id): never the whole table.
        assert "INDEX case_town_" in shown and "case_search VIRTUAL TABLE" in shown
        assert "SCAN cases_case" not in shown


def test_a_tracking_number_reads_its_unique_index(world):
    with transaction.atomic():
        shown = plan(search.filter_cases(Case.objects.all(), "20261201-0042"))
    assert "tracking_number" in shown or "cases_case_tracking_number" in shown
    assert "case_search" not in shown


# ---------------------------------------------------------------------------------------------
# Upkeep: the command, and triggers a migration dropped


def test_the_migrated_database_holds_the_index_this_code_expects(world):
    add(world, "井盖", "")
    out = StringIO()
    call_command("case_search", "--check", stdout=out)
    assert "in order" in out.getvalue()


def test_rebuild_indexes_a_bulk_load_made_without_the_index(world):
    call_command("case_search", "--drop", stdout=StringIO())
    loaded = add(world, "批量导入的井盖", "", indexed=False)
    # PostgreSQL builds no index while the test's transaction holds deferred foreign-key checks.
    connection.check_constraints()
    with pytest.raises(CommandError):
        call_command("case_search", "--check", stdout=StringIO(), stderr=StringIO())
    call_command("case_search", "--rebuild", stdout=StringIO())
    assert found("井盖") == {loaded.pk}
    call_command("case_search", "--check", stdout=StringIO())


@pytest.mark.skipif(connection.vendor != "sqlite", reason="only SQLite keeps the index with triggers")
def test_check_finds_a_stale_index_and_migrate_puts_dropped_triggers_back(world):
    case = add(world, "井盖", "")
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER case_search_update")
    Case.objects.filter(pk=case.pk).update(description="路灯")
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("case_search", "--check", stdout=StringIO(), stderr=err)
    assert "case_search_update is missing." in err.getvalue()
    assert f"Case {case.pk} is not in case_search as it reads now." in err.getvalue()
    assert search.repair() == ["case_search_update"]
    call_command("case_search", "--rebuild", stdout=StringIO())
    assert found("路灯") == {case.pk}
    assert search.check().ok


@pytest.mark.skipif(connection.vendor != "sqlite", reason="only SQLite indexes in batches")
def test_cases_are_found_before_and_after_their_batch_is_indexed(world):
    first = add(world, "路灯不亮", "", indexed=False)
    assert search.flush() == 1
    waiting = [add(world, f"井盖{i}", "", indexed=False) for i in range(search.SQLITE_BATCH - 1)]
    # All but the last wait after the mark, and are found all the same.
    assert found("井盖") == {c.pk for c in waiting}
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_id FROM case_search_mark")
        assert cursor.fetchone()[0] == first.pk
    # An edit of a case that waits changes nothing in the index, and its batch indexes it as it is.
    Case.objects.filter(pk=waiting[0].pk).update(description="水管漏水")
    last = add(world, "井盖", "", indexed=False)
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_id FROM case_search_mark")
        assert cursor.fetchone()[0] == last.pk
        cursor.execute("SELECT count(*) FROM case_search WHERE case_search MATCH '\"井盖\"'")
        assert cursor.fetchone()[0] == search.SQLITE_BATCH - 1
    assert found("井盖") == {c.pk for c in waiting[1:]} | {last.pk}
    assert found("水管") == {waiting[0].pk}
    assert search.check().ok


def test_intake_indexes_what_it_files(cw, category):
    cases = [report(cw, category, description=f"第{i}号路灯不亮") for i in range(3)]
    assert found("路灯") == {c.pk for c in cases}
    search.flush()
    assert found("路灯") == {c.pk for c in cases}
    assert search.check().ok


@pytest.mark.skipif(connection.vendor != "sqlite", reason="only SQLite rebuilds a table to alter it")
@pytest.mark.django_db(transaction=True)
def test_a_migration_that_rebuilds_the_case_table_gets_its_triggers_back(world):
    from django.db.models.signals import post_migrate

    case = add(world, "井盖", "")
    old = Case._meta.get_field("address")
    new = old.clone()
    new.set_attributes_from_name("address")
    new.max_length = 201
    with connection.schema_editor() as editor:  # new table, rows copied, old table dropped
        editor.alter_field(Case, old, new)
    try:
        assert "case_search_update is missing." in search.check().problems
        out = StringIO()
        post_migrate.send(
            sender=Case._meta.app_config, app_config=Case._meta.app_config, using="default", stdout=out
        )
        assert "case_search_insert, case_search_update, case_search_delete" in out.getvalue()
        assert search.check().ok
        Case.objects.filter(pk=case.pk).update(description="路灯")
        assert found("路灯") == {case.pk}
        assert found("井盖") == set()
    finally:
        with connection.schema_editor() as editor:
            editor.alter_field(Case, new, old)
        search.repair()
