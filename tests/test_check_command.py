"""`planadmin check`: the invariant checks against any database, opened read-only."""

from __future__ import annotations

import hashlib

import duckdb
import pytest
from typer.testing import CliRunner

from conftest import make_csv, row
from pipelines.store.checks import check_names, run_checks
from pipelines.cli import app
from pipelines.store import Database


@pytest.fixture()
def posted_db(post, ledger):
    post("p.csv", make_csv([row(), row(employee_id="E2")]))
    path = ledger.path
    ledger.close()
    return path


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_sound_database_passes_and_is_not_written(posted_db):
    before = digest(posted_db)
    result = CliRunner().invoke(app, ["check", "--db", str(posted_db)])
    assert result.exit_code == 0, result.output
    assert f"of {len(check_names())} invariant checks pass" in result.output
    assert digest(posted_db) == before  # opened read-only: not a byte changed


def test_a_violation_exits_1_naming_the_check(posted_db):
    with duckdb.connect(str(posted_db)) as con:  # tamper as an outside writer would (planadmin never updates it)
        con.execute('UPDATE payroll_postings SET "match" = "match" + 0.01 WHERE employee_id = \'E2\'')
    result = CliRunner().invoke(app, ["check", "--db", str(posted_db)])
    assert result.exit_code == 1
    assert "invariant check failed: ytd_totals_match_ledger (1 rows)" in result.output
    assert "invariant check failed: balance_by_year_matches_ledger (1 rows)" in result.output


def test_the_read_only_gateway_cannot_write(posted_db):
    with Database(posted_db, read_only=True) as ledger, pytest.raises(duckdb.Error, match="read-only"):
        ledger.execute("DELETE FROM payroll_postings")


def test_a_missing_database_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(app, ["check", "--db", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 2
    assert not (tmp_path / "none.duckdb").exists()


def test_a_runs_checks_look_at_the_years_it_posted_to_and_planadmin_check_at_all(post, ledger):
    # Two years posted by two runs; then a 2024 entry is tampered with (never done by planadmin).
    post("p24.csv", make_csv([row(pay_date="2024-06-14")]))
    ledger.execute("UPDATE batches SET run_id = 'run-2024'")
    post("p25.csv", make_csv([row(pay_date="2025-06-13")]))  # run id "test-run" (conftest)
    ledger.execute('UPDATE payroll_postings SET "match" = "match" + 0.01 WHERE plan_year = 2024')
    # The 2025 run's checks read 2025 only; the full checks (no run id) find the 2024 damage.
    damaged = ["balance_by_year_matches_ledger", "ytd_totals_match_ledger"]
    assert run_checks(ledger, "test-run") == []
    assert [f.check for f in run_checks(ledger)] == damaged
    assert [f.check for f in run_checks(ledger, "run-2024")] == damaged
    # And the scope is dropped afterwards: the view over every year is back.
    assert ledger.frame("SELECT count(*) FROM check_years").item() == 2  # 2024 and 2025
