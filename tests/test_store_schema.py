"""The store's schema: versions, the migration from the release before (schema 1, as written by planadmin before
the store package: `fixtures/migrations/v1_demo/` is the demo database that release wrote, exported), and the
promise that the new shape answers every user query as the old one did."""

from __future__ import annotations

import shutil
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.payroll_batch import process_payroll_file
from schemas.plan import load_plan
from pipelines.store import CURRENT_VERSION, Database, SchemaVersionError
from pipelines.store.checks import run_checks
from pipelines.store.db import statement
from pipelines.resources import QUERIES_DIR

REPO = Path(__file__).resolve().parent.parent
V1_EXPORT = REPO / "fixtures/migrations/v1_demo"
#: The demo database as the release before migration 3 wrote it (schema 2, main at 77d3a38), EXPORT DATABASE.
V2_EXPORT = REPO / "fixtures/migrations/v2_demo"
#: The demo database as the release before migration 4 wrote it (schema 3, main at 34033ce), EXPORT DATABASE.
V3_EXPORT = REPO / "fixtures/migrations/v3_demo"
#: The demo database as the release before migration 5 wrote it (schema 4, main at 613de69), EXPORT DATABASE.
V4_EXPORT = REPO / "fixtures/migrations/v4_demo"
#: The demo database as the release before migration 6 wrote it (schema 5, main at f49b4f9), EXPORT DATABASE.
V5_EXPORT = REPO / "fixtures/migrations/v5_demo"
#: The demo database as the release before migration 7 wrote it (schema 6, main at 32c834c), EXPORT DATABASE.
V6_EXPORT = REPO / "fixtures/migrations/v6_demo"

#: Every relation a user queries, with the columns that differ between two runs of the same inputs (wall clock,
#: the run's random id) left out.
USER_TABLES = ("ledger", "payroll_lines", "batches", "rejections", "notices", "limit_events", "true_ups",
               "participants", "ytd_totals", "census_lines", "balance_statements", "terminations",
               "termination_reports", "forfeiture_account", "irs_limits")
VOLATILE = ("started_at", "finished_at", "run_id")
#: What later releases add to a run of the same inputs, left out when a run today is compared with the schema-1
#: release: the RMD step's beneficiary reviews (schema 3). New columns are left out by comparing the old ones.
ADDED_SINCE_V1 = {"batches": "file_kind <> 'rmd'", "notices": "code <> 'rmd_beneficiary_review'"}


def write_v1_database(path: Path, export: Path = V1_EXPORT) -> Path:
    """A database file holding an exported demo (schema 1 unless ``export`` says otherwise): its own DDL, then
    each table's rows."""
    with duckdb.connect(str(path)) as con:
        con.execute((export / "schema.sql").read_text())
        for parquet in sorted(export.glob("*.parquet")):
            con.execute(f"INSERT INTO {parquet.stem} SELECT * FROM read_parquet(?)", [str(parquet)])
    return path


def snapshot(con, tables=USER_TABLES, like: dict[str, list[str]] | None = None) -> dict[str, list[tuple]]:  # noqa: ANN001
    """Each table's rows, sorted, without the volatile columns; with ``like`` (the columns of an older
    database's snapshot), only those columns and without what later releases add (:data:`ADDED_SINCE_V1`)."""
    frame = con.frame if isinstance(con, Database) else (lambda sql: con.sql(sql).pl())
    out = {}
    for table in tables:
        columns = [c for c in frame(f"SELECT * FROM {table} LIMIT 0").columns if c not in VOLATILE
                   and (like is None or c in like[table])]
        where = f" WHERE {ADDED_SINCE_V1[table]}" if like is not None and table in ADDED_SINCE_V1 else ""
        out[table] = sorted(frame(f"SELECT {', '.join(columns)} FROM {table}{where}").rows(), key=repr)
    return out


def applied_versions(db: Database) -> list[int]:
    return db.frame("SELECT version FROM schema_version ORDER BY 1")["version"].to_list()


def columns_of(con) -> dict[str, list[str]]:  # noqa: ANN001 - a duckdb connection
    return {table: con.sql(f"SELECT * FROM {table} LIMIT 0").columns for table in USER_TABLES}


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
def v1_answers(tmp_path_factory) -> tuple[dict, list[str], dict[str, list[str]]]:
    path = write_v1_database(tmp_path_factory.mktemp("v1") / "v1.duckdb")
    with duckdb.connect(str(path), read_only=True) as con:
        columns = con.sql("SELECT * FROM ledger LIMIT 0").columns
        return snapshot(con), columns, columns_of(con)


def without_loan_ids(ledger_rows: list[tuple], columns: list[str]) -> list[tuple]:
    entry_type, entry_id = columns.index("entry_type"), columns.index("entry_id")
    return sorted((tuple(None if i == entry_id and r[entry_type] == "loan_repayment" else v for i, v in enumerate(r))
                   for r in ledger_rows), key=repr)


def test_a_schema_1_database_is_migrated_in_place_and_answers_as_before(tmp_path, v1_answers):
    before, columns, v1_columns = v1_answers
    path = write_v1_database(tmp_path / "old.duckdb")
    with Database(path) as db:
        assert db.schema_version() == CURRENT_VERSION
        assert db.frame("SELECT version, description FROM schema_version ORDER BY 1").rows() == [
            (2, "002_wide_postings_and_balance_state"), (3, "003_distributions_and_rmd"),
            (4, "004_reports_and_calculators"), (5, "005_import_profiles_and_withheld_amounts"),
            (6, "006_unrecognised_files"), (7, "007_pay_dates_and_unkeyed_state")]
        after = snapshot(db, like=v1_columns)
        # Migration 3 adds the mailing address, empty until a census brings one.
        assert db.frame("SELECT count(*) FROM participants WHERE address_line1 IS NOT NULL").item() == 0
        assert run_checks(db) == []  # every invariant, the new balance state among them, over every year
        tables = dict(db.frame("SELECT table_name, table_type FROM information_schema.tables").rows())
    assert tables["ledger"] == tables["payroll_lines"] == "VIEW"
    assert after["ledger"] != before["ledger"]  # loan repayments changed type, as intended...
    assert without_loan_ids(after["ledger"], columns) == as_loan_repayments(before["ledger"], columns)
    for table in USER_TABLES:  # ...and nothing else changed
        if table != "ledger":
            assert after[table] == before[table], table


@pytest.mark.usefixtures("prefect_harness")
def test_a_schema_2_database_is_migrated_to_3_answers_as_before_and_runs_the_next_night(tmp_path):
    # The release before migration 3 wrote fixtures/migrations/v2_demo (`make demo`'s first night).
    path = write_v1_database(tmp_path / "v2.duckdb", V2_EXPORT)
    tables = ("ledger", "payroll_lines", "batches", "rejections", "notices", "participants", "ytd_totals",
              "balance_by_year", "terminations", "true_ups")
    with duckdb.connect(str(path), read_only=True) as con:
        columns = {t: con.sql(f"SELECT * FROM {t} LIMIT 0").columns for t in tables}
        before = snapshot(con, tables)
    with Database(path) as db:
        assert applied_versions(db) == list(range(2, CURRENT_VERSION + 1))
        assert snapshot(db, tables, like=columns) == before
        assert db.frame("SELECT count(*) FROM distributions").item() == 0
        assert run_checks(db) == []
    # The demo's second night (retirees, distributions, RMD notices) on the migrated file.
    night = REPO / "fixtures/demo/INBOX-2026-01-31"
    result = CliRunner().invoke(app, ["run", "--inbox", str(night), "--plans", str(REPO / "fixtures/demo/PLANS"),
                                      "--db", str(path), "--as-of", "2026-01-31"])
    assert result.exit_code == 0, result.output
    assert "RMD notices acme (2025-2026): 4 due, 1 overdue, 1 satisfied" in result.output


def test_a_fresh_database_has_the_schema_a_migrated_one_has(tmp_path):
    def shape(path: Path) -> list[tuple]:
        with Database(path) as db:
            columns = db.frame(
                "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns "
                "WHERE table_schema = 'main' ORDER BY ALL").rows()
            # Keys too, in order: balance_by_year's is year first (migration 3 rebuilds an older one).
            keys = db.frame("SELECT table_name, constraint_text FROM duckdb_constraints() "
                            "WHERE constraint_type = 'PRIMARY KEY' ORDER BY ALL").rows()
            return columns + keys

    assert shape(tmp_path / "fresh.duckdb") == shape(write_v1_database(tmp_path / "old.duckdb"))
    assert shape(tmp_path / "fresh.duckdb") == shape(write_v1_database(tmp_path / "v2.duckdb", V2_EXPORT))
    assert shape(tmp_path / "fresh.duckdb") == shape(write_v1_database(tmp_path / "v3.duckdb", V3_EXPORT))
    assert shape(tmp_path / "fresh.duckdb") == shape(write_v1_database(tmp_path / "v4.duckdb", V4_EXPORT))
    assert shape(tmp_path / "fresh.duckdb") == shape(write_v1_database(tmp_path / "v5.duckdb", V5_EXPORT))
    assert shape(tmp_path / "fresh.duckdb") == shape(write_v1_database(tmp_path / "v6.duckdb", V6_EXPORT))


@pytest.mark.usefixtures("prefect_harness")
def test_a_schema_3_database_is_migrated_to_4_answers_as_before_and_its_reports_run(tmp_path):
    # The release before migration 4 wrote fixtures/migrations/v3_demo (`make demo`'s first night).
    path = write_v1_database(tmp_path / "v3.duckdb", V3_EXPORT)
    tables = ("ledger", "payroll_lines", "batches", "rejections", "notices", "participants", "ytd_totals",
              "balance_by_year", "terminations", "true_ups", "rmd_notices", "rollover_eligibility", "distributions")
    with duckdb.connect(str(path), read_only=True) as con:
        columns = {t: con.sql(f"SELECT * FROM {t} LIMIT 0").columns for t in tables}  # later schemas add some
        before = snapshot(con, tables, like=columns)
    with pytest.raises(SchemaVersionError, match="run `planadmin run` once"):
        Database(path, read_only=True)  # a report cannot read it before a run upgrades it
    with Database(path) as db:
        assert applied_versions(db) == list(range(3, CURRENT_VERSION + 1))
        assert snapshot(db, tables, like=columns) == before  # nothing stored changed
        # the new tables wait for the next run; the report views exist at once
        assert db.frame("SELECT (SELECT count(*) FROM plans) + (SELECT count(*) FROM match_windows) "
                        "+ (SELECT count(*) FROM projections) AS n").item() == 0
        assert db.frame("SELECT count(*) FROM report_deposits_due").item() > 0
        assert run_checks(db) == []
    night = REPO / "fixtures/demo/INBOX-2026-01-31"
    result = CliRunner().invoke(app, ["run", "--inbox", str(night), "--plans", str(REPO / "fixtures/demo/PLANS"),
                                      "--db", str(path), "--as-of", "2026-01-31"])
    assert result.exit_code == 0, result.output
    with Database(path, read_only=True) as db:
        # every plan file of PLANS is loaded (initech's too); initech has nobody in this database: no windows
        assert db.frame("SELECT count(*) FROM plans").item() == 3
        assert db.frame("SELECT count(DISTINCT plan_id) FROM match_windows").item() == 2


@pytest.mark.usefixtures("prefect_harness")
def test_a_schema_4_database_is_migrated_to_5_answers_as_before_and_takes_withheld_amounts(tmp_path, limits):
    # The release before migration 5 wrote fixtures/migrations/v4_demo (`make demo`'s first night, main at 613de69).
    path = write_v1_database(tmp_path / "v4.duckdb", V4_EXPORT)
    tables = ("ledger", "payroll_lines", "batches", "rejections", "notices", "limit_events", "participants",
              "ytd_totals", "balance_by_year", "census_lines", "terminations", "rmd_notices", "rollover_eligibility",
              "match_windows", "report_balances", "report_contributions_ytd")
    with duckdb.connect(str(path), read_only=True) as con:
        columns = {t: con.sql(f"SELECT * FROM {t} LIMIT 0").columns for t in tables}
        before = snapshot(con, tables, like=columns)
        lines = con.sql("SELECT count(*) FROM payroll_postings").fetchall()[0][0]
    with Database(path) as db:
        assert applied_versions(db) == list(range(4, CURRENT_VERSION + 1))
        assert snapshot(db, tables, like=columns) == before  # nothing stored changed, no answer either
        # Every line kept its percents and posted nothing in the new source; the new table is empty.
        assert db.frame("SELECT count(*) FILTER (WHERE excess_deferral <> 0 OR pretax_deferral_amount IS NOT NULL "
                        "OR pretax_deferral_pct IS NULL) AS n, count(*) AS lines FROM payroll_postings").row(0) == (0, lines)
        assert db.frame("SELECT count(*) FROM match_variances").item() == 0
        assert run_checks(db) == []
        # A withheld-amount line posts into the migrated table (its percent NULL): acme's A00001 in 2026.
        inbox = tmp_path / "INBOX" / "acme" / "payroll"
        inbox.mkdir(parents=True)
        (inbox / "amounts.csv").write_text(
            "employee_id,date_of_birth,hire_date,pay_date,gross_pay,pretax_deferral_amount\n"
            "A00001,1980-01-01,2020-01-01,2026-01-09,2000.00,100.00\n")
        result = process_payroll_file(db, plan_id="acme", plan=load_plan(REPO / "fixtures/demo/PLANS/acme.toml"),
                                      path=inbox / "amounts.csv", file_name="acme/payroll/amounts.csv",
                                      run_id="test", limits=limits, as_of=date(2026, 1, 15))
        assert result.status == "posted", result.error
        assert db.frame("SELECT pretax_deferral_pct, pretax_deferral_amount::VARCHAR FROM payroll_lines "
                        "WHERE pay_date = DATE '2026-01-09'").row(0) == (None, "100.00")
    night = REPO / "fixtures/demo/INBOX-2026-01-31"
    result = CliRunner().invoke(app, ["run", "--inbox", str(night), "--plans", str(REPO / "fixtures/demo/PLANS"),
                                      "--db", str(path), "--as-of", "2026-01-31"])
    assert result.exit_code == 0, result.output


@pytest.mark.usefixtures("prefect_harness")
def test_a_schema_5_database_is_migrated_to_6_and_answers_as_before(tmp_path):
    # The release before migration 6 wrote fixtures/migrations/v5_demo (`make demo`'s first night, main at f49b4f9):
    # the first with initech's files and withheld amounts.
    path = write_v1_database(tmp_path / "v5.duckdb", V5_EXPORT)
    tables = ("ledger", "payroll_lines", "batches", "rejections", "notices", "limit_events", "participants",
              "ytd_totals", "balance_by_year", "census_lines", "terminations", "true_ups", "rmd_notices",
              "rollover_eligibility", "match_windows", "match_variances", "report_balances",
              "report_contributions_ytd")
    with duckdb.connect(str(path), read_only=True) as con:
        columns = {t: con.sql(f"SELECT * FROM {t} LIMIT 0").columns for t in tables}
        before = snapshot(con, tables, like=columns)
    with Database(path) as db:
        assert applied_versions(db) == list(range(5, CURRENT_VERSION + 1))
        assert snapshot(db, tables, like=columns) == before  # nothing stored changed, no answer either
        # The new table is there and empty: the runs before it did not record what they did not read.
        assert db.frame("SELECT count(*) FROM unrecognised_files").item() == 0
        assert run_checks(db) == []
    night = REPO / "fixtures/demo/INBOX-2026-01-31"
    result = CliRunner().invoke(app, ["run", "--inbox", str(night), "--plans", str(REPO / "fixtures/demo/PLANS"),
                                      "--db", str(path), "--as-of", "2026-01-31"])
    assert result.exit_code == 0, result.output


@pytest.mark.usefixtures("prefect_harness")
def test_a_schema_6_database_is_migrated_to_7_its_calendar_answers_as_before_and_it_runs_the_next_night(tmp_path):
    # The release before migration 7 wrote fixtures/migrations/v6_demo (`make demo`'s first night, main at 32c834c);
    # its pay calendar read every payroll line, the migrated one reads the new pay_dates state.
    path = write_v1_database(tmp_path / "v6.duckdb", V6_EXPORT)
    tables = ("ledger", "payroll_lines", "ytd_totals", "balance_by_year", "participants", "match_windows",
              "projections", "pay_schedules", "expected_pay_dates", "report_missing_payrolls", "report_limit_watch")
    with duckdb.connect(str(path), read_only=True) as con:
        columns = {t: con.sql(f"SELECT * FROM {t} LIMIT 0").columns for t in tables}
        before = snapshot(con, tables, like=columns)
        lines_per_date = sorted(con.sql(
            "SELECT plan_id, pay_date, count(*) FROM payroll_postings GROUP BY ALL").fetchall())
    with Database(path) as db:
        assert applied_versions(db) == list(range(6, CURRENT_VERSION + 1))
        assert snapshot(db, tables, like=columns) == before  # the calendar views answer as they did
        stored = sorted(db.frame("SELECT plan_id, pay_date, payroll_lines FROM pay_dates").rows())
        assert stored == lines_per_date and len(stored) > 0
        # The state tables lost their keys (rebuilt, same rows): their writes are MERGEs, a check proves the grain.
        keyed = db.frame("SELECT table_name FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY'")
        assert not {"ytd_totals", "balance_by_year", "participants", "pay_dates"} & set(keyed["table_name"])
        assert run_checks(db) == []
    night = REPO / "fixtures/demo/INBOX-2026-01-31"
    result = CliRunner().invoke(app, ["run", "--inbox", str(night), "--plans", str(REPO / "fixtures/demo/PLANS"),
                                      "--db", str(path), "--as-of", "2026-01-31"])
    assert result.exit_code == 0, result.output
    with duckdb.connect(str(path), read_only=True) as con:  # the night's lines are counted into the state
        assert sorted(con.sql("SELECT plan_id, pay_date, payroll_lines FROM pay_dates").fetchall()) == sorted(
            con.sql("SELECT plan_id, pay_date, count(*) FROM payroll_postings GROUP BY ALL").fetchall())


@pytest.mark.usefixtures("prefect_harness")
def test_the_demo_run_today_answers_as_the_release_before_it(tmp_path, v1_answers):
    # The release before wrote fixtures/migrations/v1_demo from `make demo` (as of 2026-01-15); this code runs the
    # same command on the same inbox into a new database: acme's and globex's (initech came later).
    before, columns, v1_columns = v1_answers
    db_path = tmp_path / "demo.duckdb"
    inbox, plans = tmp_path / "INBOX", tmp_path / "PLANS"
    shutil.copytree(REPO / "fixtures/demo/INBOX", inbox, ignore=shutil.ignore_patterns("initech"))
    shutil.copytree(REPO / "fixtures/demo/PLANS", plans, ignore=shutil.ignore_patterns("initech*", "profiles"))
    result = CliRunner().invoke(app, ["run", "--inbox", str(inbox), "--plans", str(plans), "--db", str(db_path),
                                      "--as-of", "2026-01-15"])
    assert result.exit_code == 0, result.output
    with Database(db_path, read_only=True) as db:
        after = snapshot(db, like=v1_columns)
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
    newer = f"schema version 99, newer than this planadmin's {CURRENT_VERSION}: upgrade planadmin"
    with pytest.raises(SchemaVersionError, match=newer):
        Database(path)
    assert contents() == before  # not even the seeds were reloaded
    result = CliRunner().invoke(app, ["check", "--db", str(path)])
    assert result.exit_code == 2 and "upgrade planadmin" in result.output


def test_reading_an_older_database_asks_for_a_run_to_upgrade_it(tmp_path):
    path = write_v1_database(tmp_path / "old.duckdb")
    older = f"schema version 1; this planadmin reads version {CURRENT_VERSION}: run `planadmin run`"
    with pytest.raises(SchemaVersionError, match=older):
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


# -- the code lists, the balance state and the write-ahead log -----------------------------------------------
def test_money_sources_are_one_list_for_python_and_sql(ledger):
    from schemas.sources import MONEY_SOURCES, PAYROLL_SOURCES

    in_sql = {r[0]: r[1:] for r in ledger.frame(
        "SELECT source, owner, counts_402g, counts_415c, from_payroll FROM money_sources").rows()}
    assert in_sql == {s: (m.owner, m.counts_402g, m.counts_415c, m.from_payroll) for s, m in MONEY_SOURCES.items()}
    columns = ledger.frame("SELECT * FROM payroll_postings LIMIT 0").columns
    assert set(PAYROLL_SOURCES) <= set(columns)  # one amount column per source payroll posts
    # The ledger view and the balance check list the payroll sources one branch each: every source has its branch.
    view = (REPO / "sql/views/010_ledger.sql").read_text()
    check = (REPO / "sql/checks/balance_by_year_matches_ledger.sql").read_text()
    assert set(re.findall(r"SELECT \*, '(\w+)'", view)) == set(PAYROLL_SOURCES)
    assert set(re.findall(r"year, '(\w+)'", check)) == set(PAYROLL_SOURCES)


def test_a_loan_repayment_is_its_own_entry_type_and_no_contribution(post, ledger):
    from conftest import make_csv, row

    # $1,000 pay at 5% pre-tax: $50.00 deferred; match 100% of the first 3% ($30) + 50% of the next 2% ($10) =
    # $40.00; a $25.50 loan repayment passes through as money returning to the account.
    columns = ("employee_id", "date_of_birth", "hire_date", "pay_date", "gross_pay", "pretax_deferral_pct",
               "loan_repayment")
    post("p1.csv", make_csv([row(loan_repayment="25.50")], columns))
    assert ledger.frame("SELECT entry_type, source, amount::VARCHAR FROM ledger ORDER BY source").rows() == [
        ("loan_repayment", "loan_repayment", "25.50"), ("contribution", "match", "40.00"),
        ("contribution", "pretax", "50.00")]
    # Contributions per person-year count the deferral and the match, not the repayment: 50.00 + 40.00 = 90.00.
    assert ledger.frame("SELECT regular_deferral::VARCHAR, employer_match::VARCHAR, annual_additions::VARCHAR "
                        "FROM contributions_by_person_year").row(0) == ("50.00", "40.00", "90.00")
    # The balance state holds all three sources for 2025: 25.50, 40.00 and 50.00, one entry each.
    assert ledger.frame("SELECT source, net_change::VARCHAR, entries FROM balance_by_year ORDER BY source").rows() == [
        ("loan_repayment", "25.50", 1), ("match", "40.00", 1), ("pretax", "50.00", 1)]
    assert run_checks(ledger) == []


def test_year_end_balances_run_the_state_forward(post, post_kind, ledger):
    from conftest import make_csv, row

    post_kind("census", "c.csv", "employee_id,date_of_birth,hire_date\nE1,1980-06-15,2020-01-01\n", as_of="2025-01-02")
    post_kind("balances", "b.csv", "employee_id,as_of_date,source,balance\nE1,2024-12-31,pretax,1000.00\n",
              as_of="2025-01-02")
    post("p1.csv", make_csv([row(pay_date="2025-01-10")]))  # $1,000 pay at 5%: $50.00 pre-tax
    # End of 2024: the opening balance, 1000.00; end of 2025: 1000.00 + 50.00 = 1050.00.
    assert ledger.frame("SELECT year, balance::VARCHAR FROM year_end_balances WHERE source = 'pretax' "
                        "ORDER BY year").rows() == [(2024, "1000.00"), (2025, "1050.00")]


def test_the_checks_hold_notices_and_sources_to_their_code_lists(post, ledger):
    from conftest import make_csv, row

    post("p1.csv", make_csv([row()]))
    ledger.execute("INSERT INTO notices VALUES ('b', 'acme', 'f', NULL, 'E1', 'no_such_code', 'm')")
    ledger.execute("INSERT INTO ledger_entries SELECT 'z', 'acme', 'E1', DATE '2025-01-10', 2025, 'earnings', "
                   "'no_such_source', 0.01, batch_id, NULL FROM batches LIMIT 1")
    failed = {f.check: f.rows for f in run_checks(ledger)}
    assert failed["notice_code_accepted"]["code"].to_list() == ["no_such_code"]
    assert failed["ledger_source_accepted"]["source"].to_list() == ["no_such_source"]


def test_after_a_run_the_database_file_alone_holds_everything(tmp_path):
    # A backup copies planadmin.duckdb: the write-ahead log must have been checkpointed into it on close.
    path = tmp_path / "w.duckdb"
    with Database(path) as db:
        db.execute("INSERT INTO runs VALUES ('r1', DATE '2025-01-01', now()::TIMESTAMP, NULL, 'running')")
    wal = Path(f"{path}.wal")
    assert not wal.exists() or wal.stat().st_size == 0
    copy = tmp_path / "backup.duckdb"
    copy.write_bytes(path.read_bytes())
    with Database(copy, read_only=True) as db:
        assert db.frame("SELECT run_id FROM runs").rows() == [("r1",)]
