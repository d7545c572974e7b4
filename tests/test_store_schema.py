"""The store's schema: versions, the migration from the release before (schema 1, as written by planadmin before
the store package: `fixtures/migrations/v1_demo/` is the demo database that release wrote, exported), and the
promise that the new shape answers every user query as the old one did."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.store import CURRENT_VERSION, Database, SchemaVersionError
from pipelines.store.checks import run_checks
from pipelines.store.db import statement
from pipelines.resources import QUERIES_DIR

REPO = Path(__file__).resolve().parent.parent
V1_EXPORT = REPO / "fixtures/migrations/v1_demo"

#: Every relation a user queries, with the columns that differ between two runs of the same inputs (wall clock,
#: the run's random id) left out.
USER_TABLES = ("ledger", "payroll_lines", "batches", "rejections", "notices", "limit_events", "true_ups",
               "participants", "ytd_totals", "census_lines", "balance_statements", "terminations",
               "termination_reports", "forfeiture_account", "irs_limits")
VOLATILE = ("started_at", "finished_at", "run_id")


def write_v1_database(path: Path) -> Path:
    """A schema-1 database file holding the exported demo: its own DDL, then each table's rows."""
    with duckdb.connect(str(path)) as con:
        con.execute((V1_EXPORT / "schema.sql").read_text())
        for parquet in sorted(V1_EXPORT.glob("*.parquet")):
            con.execute(f"INSERT INTO {parquet.stem} SELECT * FROM read_parquet(?)", [str(parquet)])
    return path


def snapshot(con, tables=USER_TABLES) -> dict[str, list[tuple]]:  # noqa: ANN001 - a duckdb or Database connection
    frame = con.frame if isinstance(con, Database) else (lambda sql: con.sql(sql).pl())
    out = {}
    for table in tables:
        columns = [c for c in frame(f"SELECT * FROM {table} LIMIT 0").columns if c not in VOLATILE]
        out[table] = sorted(frame(f"SELECT {', '.join(columns)} FROM {table}").rows(), key=repr)
    return out


def as_loan_repayments(v1_ledger: list[tuple], columns: list[str]) -> list[tuple]:
    """The schema-1 ledger with loan repayments as their own entry type (the one intended change): entry type
    loan_repayment, and the entry id of that key."""
    entry_type, source, entry_id = columns.index("entry_type"), columns.index("source"), columns.index("entry_id")
    out = []
    for row in v1_ledger:
        row = list(row)
        if row[source] == "loan_repayment":
            row[entry_type], row[entry_id] = "loan_repayment", None
        out.append(tuple(row))
    return sorted(out, key=repr)


@pytest.fixture(scope="module")
def v1_answers(tmp_path_factory) -> tuple[dict, list[str]]:
    path = write_v1_database(tmp_path_factory.mktemp("v1") / "v1.duckdb")
    with duckdb.connect(str(path), read_only=True) as con:
        columns = con.sql("SELECT * FROM ledger LIMIT 0").columns
        return snapshot(con), columns


def without_loan_ids(ledger_rows: list[tuple], columns: list[str]) -> list[tuple]:
    entry_type, entry_id = columns.index("entry_type"), columns.index("entry_id")
    return sorted((tuple(None if i == entry_id and r[entry_type] == "loan_repayment" else v for i, v in enumerate(r))
                   for r in ledger_rows), key=repr)


def test_a_schema_1_database_is_migrated_in_place_and_answers_as_before(tmp_path, v1_answers):
    before, columns = v1_answers
    path = write_v1_database(tmp_path / "old.duckdb")
    with Database(path) as db:
        assert db.schema_version() == CURRENT_VERSION
        assert db.frame("SELECT version, description FROM schema_version").rows() == [
            (2, "002_wide_postings_and_balance_state")]
        after = snapshot(db)
        assert run_checks(db) == []  # every invariant, the new balance state among them, over every year
        tables = dict(db.frame("SELECT table_name, table_type FROM information_schema.tables").rows())
    assert tables["ledger"] == tables["payroll_lines"] == "VIEW"
    assert after["ledger"] != before["ledger"]  # loan repayments changed type, as intended...
    assert without_loan_ids(after["ledger"], columns) == as_loan_repayments(before["ledger"], columns)
    for table in USER_TABLES:  # ...and nothing else changed
        if table != "ledger":
            assert after[table] == before[table], table


def test_a_fresh_database_has_the_schema_a_migrated_one_has(tmp_path):
    def shape(path: Path) -> list[tuple]:
        with Database(path) as db:
            return db.frame(
                "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns "
                "WHERE table_schema = 'main' ORDER BY ALL").rows()

    assert shape(tmp_path / "fresh.duckdb") == shape(write_v1_database(tmp_path / "old.duckdb"))


@pytest.mark.usefixtures("prefect_harness")
def test_the_demo_run_today_answers_as_the_release_before_it(tmp_path, v1_answers):
    # The release before wrote fixtures/migrations/v1_demo from `make demo` (as of 2026-01-15); this code runs the
    # same command on the same inbox into a new database.
    before, columns = v1_answers
    db_path = tmp_path / "demo.duckdb"
    result = CliRunner().invoke(app, ["run", "--inbox", str(REPO / "fixtures/demo/INBOX"), "--plans",
                                      str(REPO / "fixtures/demo/PLANS"), "--db", str(db_path), "--as-of", "2026-01-15"])
    assert result.exit_code == 0, result.output
    with Database(db_path, read_only=True) as db:
        after = snapshot(db)
        contributions = db.frame("SELECT entry_type, sum(amount) AS total FROM ledger GROUP BY ALL").rows()
    assert without_loan_ids(after["ledger"], columns) == as_loan_repayments(before["ledger"], columns)
    for table in USER_TABLES:
        if table != "ledger":
            assert after[table] == before[table], table
    # A loan repayment is not a contribution: the 338 repayments in the demo ($56,445.74, the schema-1 ledger's
    # loan_repayment rows) are their own entry type, so a year's contributions no longer include them.
    totals = dict(contributions)
    assert totals["loan_repayment"] == Decimal("56445.74")
    v1_contributions = sum(r[columns.index("amount")] for r in before["ledger"]
                           if r[columns.index("entry_type")] == "contribution")
    assert v1_contributions - totals["contribution"] == Decimal("56445.74")


def test_a_newer_database_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "new.duckdb"
    with Database(path) as db:
        db.execute("INSERT INTO schema_version VALUES (99, now()::TIMESTAMP, 'from the future')")

    def contents() -> dict:
        with duckdb.connect(str(path), read_only=True) as con:
            return {t: con.sql(f"SELECT * FROM {t}").fetchall() for t in ("schema_version", "money_sources", "batches")}

    before = contents()
    with pytest.raises(SchemaVersionError, match="schema version 99, newer than this planadmin's 2: upgrade planadmin"):
        Database(path)
    assert contents() == before  # not even the seeds were reloaded
    result = CliRunner().invoke(app, ["check", "--db", str(path)])
    assert result.exit_code == 2 and "upgrade planadmin" in result.output


def test_reading_an_older_database_asks_for_a_run_to_upgrade_it(tmp_path):
    path = write_v1_database(tmp_path / "old.duckdb")
    with pytest.raises(SchemaVersionError, match="schema version 1; this planadmin reads version 2: run `planadmin run`"):
        Database(path, read_only=True)


def test_a_migration_that_fails_changes_nothing(tmp_path):
    # A schema-1 ledger whose payroll entry has lost its payroll line cannot be split into wide rows: the
    # migration stops with the reason and the database is still the schema-1 one.
    path = write_v1_database(tmp_path / "old.duckdb")
    with duckdb.connect(str(path)) as con:
        con.execute("DELETE FROM payroll_lines WHERE line_number = 2")
        rows_before = con.sql("SELECT count(*) FROM ledger").fetchall()
    with pytest.raises(duckdb.Error, match="payroll ledger entries have no payroll line"):
        Database(path)
    with duckdb.connect(str(path), read_only=True) as con:
        tables = dict(con.sql("SELECT table_name, table_type FROM information_schema.tables").fetchall())
        assert tables["ledger"] == "BASE TABLE" and "schema_version" not in tables
        assert con.sql("SELECT count(*) FROM ledger").fetchall() == rows_before


def test_every_named_statement_says_what_it_reads_in_tables_the_store_has(tmp_path):
    with Database(tmp_path / "x.duckdb") as db:
        tables = {name for (name,) in db.frame(
            "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'").rows()}
    for path in sorted(QUERIES_DIR.rglob("*.sql")):
        st = statement(path.relative_to(QUERIES_DIR).with_suffix("").as_posix())
        assert set(st.reads) <= tables, (path, set(st.reads) - tables)  # views are spelled out as their tables
        assert path.read_text().startswith("-- "), path  # headed with what it answers


def test_only_the_store_imports_duckdb():
    importers = [p.relative_to(REPO).as_posix() for p in sorted((REPO / "pipelines").rglob("*.py"))
                 if "import duckdb" in p.read_text() and "store" not in p.parts]
    assert importers == []
