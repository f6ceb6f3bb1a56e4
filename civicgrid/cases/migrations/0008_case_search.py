# Text search over cases (civicgrid/cases/search.py): character bigrams of the description and
# address under a GIN index (PostgreSQL) or an FTS5 table kept by triggers (SQLite), and an index
# on the external reference. Existing cases are indexed here. The statements are a frozen copy of
# those in search.py, which `manage.py case_search --check` (and its test) compares with the database.

from django.db import migrations, router

PG_CREATE = [
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
    'CREATE INDEX case_search_idx ON cases_case USING gin (civicgrid_case_grams(description, address))',
    'ALTER INDEX case_search_idx ALTER COLUMN 1 SET STATISTICS 1000',
]
PG_DROP = [
    'DROP INDEX IF EXISTS case_search_idx',
    'DROP FUNCTION IF EXISTS civicgrid_case_grams(text, text)',
    'DROP FUNCTION IF EXISTS civicgrid_grams_query(text)',
]
SQLITE_CREATE = [
    "CREATE VIRTUAL TABLE case_search USING fts5(grams, content='', detail='none', tokenize='ascii')",
    'CREATE TABLE case_search_mark (id integer PRIMARY KEY CHECK (id = 1), last_id integer NOT NULL)',
    "CREATE TRIGGER case_search_insert AFTER INSERT ON cases_case WHEN new.id >= (SELECT last_id FROM case_search_mark) + 32 BEGIN INSERT INTO case_search(rowid, grams) SELECT c.id, (SELECT group_concat(substr(c.description || char(10) || c.address, j.key + 1, 2) || ' ' || substr(c.description || char(10) || c.address, j.key + 1, 1), ' ') FROM json_each('[' || replace(hex(zeroblob(length(c.description) + length(c.address))), '00', '0,') || '0]') AS j) FROM cases_case AS c WHERE c.id > (SELECT last_id FROM case_search_mark) AND c.id <= new.id; UPDATE case_search_mark SET last_id = new.id; END",
    "CREATE TRIGGER case_search_update AFTER UPDATE OF description, address ON cases_case WHEN (old.description IS NOT new.description OR old.address IS NOT new.address) AND old.id <= (SELECT last_id FROM case_search_mark) BEGIN INSERT INTO case_search(case_search, rowid, grams) VALUES ('delete', old.id, (SELECT group_concat(substr(old.description || char(10) || old.address, j.key + 1, 2) || ' ' || substr(old.description || char(10) || old.address, j.key + 1, 1), ' ') FROM json_each('[' || replace(hex(zeroblob(length(old.description) + length(old.address))), '00', '0,') || '0]') AS j)); INSERT INTO case_search(rowid, grams) VALUES (new.id, (SELECT group_concat(substr(new.description || char(10) || new.address, j.key + 1, 2) || ' ' || substr(new.description || char(10) || new.address, j.key + 1, 1), ' ') FROM json_each('[' || replace(hex(zeroblob(length(new.description) + length(new.address))), '00', '0,') || '0]') AS j)); END",
    "CREATE TRIGGER case_search_delete AFTER DELETE ON cases_case WHEN old.id <= (SELECT last_id FROM case_search_mark) BEGIN INSERT INTO case_search(case_search, rowid, grams) VALUES ('delete', old.id, (SELECT group_concat(substr(old.description || char(10) || old.address, j.key + 1, 2) || ' ' || substr(old.description || char(10) || old.address, j.key + 1, 1), ' ') FROM json_each('[' || replace(hex(zeroblob(length(old.description) + length(old.address))), '00', '0,') || '0]') AS j)); END",
    "INSERT INTO case_search(case_search) VALUES ('delete-all')",
    "INSERT INTO case_search(rowid, grams) SELECT c.id, (SELECT group_concat(substr(c.description || char(10) || c.address, j.key + 1, 2) || ' ' || substr(c.description || char(10) || c.address, j.key + 1, 1), ' ') FROM json_each('[' || replace(hex(zeroblob(length(c.description) + length(c.address))), '00', '0,') || '0]') AS j) FROM cases_case AS c",
    'DELETE FROM case_search_mark',
    'INSERT INTO case_search_mark (id, last_id) SELECT 1, coalesce(max(id), 0) FROM cases_case',
    "INSERT INTO case_search(case_search) VALUES ('optimize')",
]
SQLITE_DROP = [
    'DROP TRIGGER IF EXISTS case_search_insert',
    'DROP TRIGGER IF EXISTS case_search_update',
    'DROP TRIGGER IF EXISTS case_search_delete',
    'DROP TABLE IF EXISTS case_search',
    'DROP TABLE IF EXISTS case_search_mark',
]
EXTERNAL_REF_CREATE = "CREATE INDEX case_external_ref_idx ON cases_case (external_ref) WHERE external_ref <> ''"
EXTERNAL_REF_DROP = 'DROP INDEX IF EXISTS case_external_ref_idx'

class RunSQLPerVendor(migrations.RunSQL):
    """RunSQL with its statements chosen by the database's vendor (`sqlmigrate` shows them)."""

    def __init__(self, sql, reverse_sql):
        super().__init__(sql=[], reverse_sql=[])
        self.sql_by_vendor, self.reverse_sql_by_vendor = sql, reverse_sql

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if router.allow_migrate(schema_editor.connection.alias, app_label, **self.hints):
            self._run_sql(schema_editor, self.sql_by_vendor.get(schema_editor.connection.vendor, []))

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if router.allow_migrate(schema_editor.connection.alias, app_label, **self.hints):
            self._run_sql(schema_editor, self.reverse_sql_by_vendor.get(schema_editor.connection.vendor, []))


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0007_list_indexes'),
    ]

    operations = [
        RunSQLPerVendor(
            sql={
                # ANALYZE: the planner weighs the grams index by its expression's statistics.
                "postgresql": [*PG_CREATE, EXTERNAL_REF_CREATE, "ANALYZE cases_case"],
                "sqlite": [*SQLITE_CREATE, EXTERNAL_REF_CREATE],
            },
            reverse_sql={
                "postgresql": [*PG_DROP, EXTERNAL_REF_DROP],
                "sqlite": [*SQLITE_DROP, EXTERNAL_REF_DROP],
            },
        ),
    ]
