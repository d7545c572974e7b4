"""Posting payroll files into DuckDB (no Prefect): amounts, idempotency, carry-over, atomicity, audit."""

from __future__ import annotations

import os
import stat
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from pipelines.store.checks import run_checks
from pipelines.store import Database
from tests.conftest import biweekly, ledger_amounts, make_csv, row

REPO = Path(__file__).resolve().parent.parent


def test_posts_each_source_as_decimal(post, ledger):
    # Age 55 (born 1970). Pay $2,000.00 at 4% pre-tax + 2% Roth: $80.00 + $40.00. Match on $120 = 6% of pay:
    # tier 1 $60 at 100% + tier 2 ($60-$100 band, $40 of it) at 50% = $80. Loan repayment $25.50 passes through.
    result = post("p1.csv", make_csv([row(date_of_birth="1970-01-01", gross_pay="2000.00", pretax_deferral_pct="4",
                                          roth_deferral_pct="2", loan_repayment="25.50")],
                                     columns=("employee_id", "date_of_birth", "hire_date", "pay_date", "gross_pay",
                                              "pretax_deferral_pct", "roth_deferral_pct", "loan_repayment")))
    assert (result.status, result.rows_read, result.rows_posted, result.rows_rejected) == ("posted", 1, 1, 0)
    assert ledger_amounts(ledger) == {
        ("2025-01-10", "loan_repayment"): "25.50",
        ("2025-01-10", "match"): "80.00",
        ("2025-01-10", "pretax"): "80.00",
        ("2025-01-10", "roth"): "40.00",
    }
    types = dict(ledger.frame("SELECT column_name, data_type FROM information_schema.columns WHERE table_name='ledger'").iter_rows())
    assert types["amount"] == "DECIMAL(18,2)"


def test_zero_amounts_post_no_rows(post, ledger):
    post("p1.csv", make_csv([row(pretax_deferral_pct="0")]))
    assert ledger_amounts(ledger) == {}
    assert ledger.frame("SELECT count(*) n FROM payroll_lines")["n"].item() == 1


def test_same_file_twice_is_skipped(post, ledger):
    data = make_csv([row(), row(employee_id="E2")])
    first = post("p1.csv", data)
    second = post("p1-copy.csv", data)  # same bytes under another name: same sha256
    assert first.status == "posted" and second.status == "skipped"
    assert second.batch_id == first.batch_id
    assert ledger.frame("SELECT count(*) n FROM batches")["n"].item() == 1
    assert ledger.frame("SELECT count(*) n FROM ledger")["n"].item() == 4  # 2 people × (pretax, match)


def test_already_posted_row_in_another_file_is_rejected(post, ledger):
    post("p1.csv", make_csv([row()]))
    # A corrected re-export: same person and pay date (different bytes), plus a new person.
    result = post("p1-fixed.csv", make_csv([row(gross_pay="1000.01"), row(employee_id="E2")]))
    assert (result.rows_read, result.rows_posted, result.rows_rejected) == (2, 1, 1)
    assert ledger.frame("SELECT reason_code FROM rejections")["reason_code"].to_list() == ["already_posted"]
    # E1's pre-tax is still the first file's 5% of $1,000.00 = $50.00, once.
    assert ledger_amounts(ledger, "E1")[("2025-01-10", "pretax")] == "50.00"


def test_year_to_date_carries_across_nights(post, ledger):
    # Age 44. $10,000 at 50% = $5,000 a period; 402(g) 2025 is $23,500.
    dates = biweekly("2025-01-10", 6)
    for i, d in enumerate(dates):
        post(f"p{i}.csv", make_csv([row(date_of_birth="1981-01-01", pay_date=d, gross_pay="10000.00",
                                        pretax_deferral_pct="50")]))
    pretax = [v for (d, s), v in sorted(ledger_amounts(ledger).items()) if s == "pretax"]
    # Four full periods, then the last $3,500, then nothing (no row for a zero amount).
    assert pretax == ["5000.00", "5000.00", "5000.00", "5000.00", "3500.00"]
    assert ledger.frame("SELECT regular_deferral::VARCHAR r FROM ytd_totals")["r"].item() == "23500.00"
    not_deferred = ledger.frame("SELECT not_deferred::VARCHAR n FROM payroll_lines ORDER BY pay_date")["n"].to_list()
    assert not_deferred[-2:] == ["1500.00", "5000.00"]


def _ledger_rows(db: Database):
    return db.frame(
        "SELECT entry_id, employee_id, effective_date, source, amount FROM ledger ORDER BY entry_id"
    ).rows()


def test_two_nights_equal_one_night_with_both_files(tmp_path, limits, acme_plan):
    from pipelines.payroll_batch import process_payroll_file

    files = {
        f"2025-{m:02d}.csv": make_csv([
            row(employee_id=e, date_of_birth="1970-01-01", pay_date=f"2025-{m:02d}-15", gross_pay="20000.00",
                pretax_deferral_pct="40", roth_deferral_pct="10")
            for e in ("A", "B")
        ])
        for m in range(1, 5)
    }
    inbox = tmp_path / "in"
    inbox.mkdir()
    for name, data in files.items():
        (inbox / name).write_bytes(data)

    def run(db: Database, names):
        for n in names:
            process_payroll_file(db, plan_id="acme", plan=acme_plan, path=inbox / n, file_name=n, run_id="r", limits=limits)

    names = sorted(files)
    with Database(tmp_path / "one.duckdb") as one, Database(tmp_path / "two.duckdb") as two:
        run(one, names)
        run(two, names[:2])
        run(two, names[2:])
        run(two, names)  # and a third night re-running everything posts nothing
        assert _ledger_rows(one) == _ledger_rows(two)
        assert two.frame("SELECT count(*) n FROM batches")["n"].item() == 4
        assert run_checks(one) == [] and run_checks(two) == []


def test_file_rejected_whole_posts_nothing_and_is_recorded(post, ledger):
    result = post("bad.csv", make_csv([row(), row(employee_id="E2")], columns=("employee_id", "date_of_birth")))
    assert (result.status, result.rows_read, result.rows_posted, result.rows_rejected) == ("rejected", 2, 0, 2)
    batch = ledger.frame("SELECT status, error, rows_read, rows_rejected FROM batches").row(0)
    assert batch == ("rejected", "required column 'hire_date' is missing", 2, 2)
    assert ledger.frame("SELECT reason_code, column_name, line_number FROM rejections").rows() == [
        ("missing_column", "hire_date", None)
    ]
    assert ledger_amounts(ledger) == {}


def test_plan_without_plan_file_rejects_its_files(post, ledger):
    result = post("p1.csv", make_csv([row()]), plan=None, plan_id="initech")
    assert result.status == "rejected"
    assert "no plan file" in result.error
    assert ledger.frame("SELECT reason_code FROM rejections")["reason_code"].to_list() == ["no_plan_file"]


def test_rejected_file_is_retried_as_a_new_attempt(post, ledger, acme_plan):
    data = make_csv([row()])
    first = post("p1.csv", data, plan=None)
    second = post("p1.csv", data, plan=acme_plan)  # the plan file was added; same bytes
    assert (first.status, second.status) == ("rejected", "posted")
    assert first.batch_id.endswith("-1") and second.batch_id.endswith("-2")


def test_a_failed_post_leaves_nothing_behind(post, ledger, monkeypatch):
    # Break the last statement of the transaction: the batch, lines and ledger rows must all roll back.
    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("pipelines.store.payroll.insert_rejections", boom)
    assert post("p1.csv", make_csv([row()])).status == "failed"
    for table in ("ledger", "payroll_lines", "ytd_totals", "balance_by_year", "participants"):
        assert ledger.frame(f"SELECT count(*) n FROM {table}")["n"].item() == 0, table
    # Only the record of the failure is left: a rejected batch and its internal_error rejection, retried next run.
    assert ledger.frame("SELECT b.status, r.reason_code FROM batches b JOIN rejections r USING (batch_id)").rows() == [
        ("rejected", "internal_error")]


def test_participants_keep_latest_facts_and_only_ssn_last4(post, ledger):
    cols = ("employee_id", "date_of_birth", "hire_date", "pay_date", "gross_pay", "pretax_deferral_pct", "ssn",
            "termination_date", "termination_reason")
    post("p2.csv", make_csv([row(pay_date="2025-01-24", ssn="123-45-6789", termination_date="2025-01-20",
                                 termination_reason="voluntary")], cols))
    post("p1.csv", make_csv([row(pay_date="2025-01-10", ssn="123456789")], cols))  # older facts arrive late
    facts = ledger.frame("SELECT ssn_last4, termination_date::VARCHAR t, facts_as_of::VARCHAR f FROM participants").row(0)
    assert facts == ("6789", "2025-01-20", "2025-01-24")
    dump = str(ledger.frame("SELECT * FROM participants").rows()) + str(ledger.frame("SELECT * FROM payroll_lines").rows())
    assert "123-45-6789" not in dump and "123456789" not in dump


def test_irs_limits_are_a_table_with_sources(ledger):
    rows = ledger.frame("SELECT year, elective_deferral_402g::VARCHAR g, source FROM irs_limits WHERE year = 2025").row(0)
    assert rows == (2025, "23500.00", rows[2]) and rows[2].startswith("IRS Notice 2024-80")


def test_database_file_is_owner_only(ledger):
    assert stat.S_IMODE(os.stat(ledger.path).st_mode) == 0o600


def test_invariant_checks_catch_a_planted_violation(post, ledger):
    post("p1.csv", make_csv([row()]))
    assert run_checks(ledger) == []
    # Plant a payroll line posted twice, an entry no batch posted, and a negative balance kept in the state:
    # each check must name its violation.
    ledger.execute("INSERT INTO payroll_postings SELECT * FROM payroll_postings LIMIT 1")
    ledger.execute("INSERT INTO ledger_entries SELECT 'x', plan_id, employee_id, pay_date, plan_year, 'earnings', "
                   "'rollover', 1.00, 'no-such-batch', NULL FROM payroll_postings LIMIT 1")
    ledger.execute("INSERT INTO balance_by_year VALUES ('acme', 'E9', 'roth', 2025, -1.00, 1, DATE '2025-01-10')")
    ledger.execute("INSERT INTO participants SELECT * FROM participants")  # every person twice
    ledger.execute("INSERT INTO ledger_entries SELECT 'y', 'acme', 'E9', DATE '2025-01-10', 2025, 'contribution', "
                   "'match', 1.00, batch_id, NULL FROM batches LIMIT 1")
    failed = {f.check for f in run_checks(ledger)}
    assert {"ledger_entry_id_unique", "ledger_entry_has_posted_batch", "ytd_totals_match_ledger",
            "no_negative_balance", "balance_by_year_matches_ledger", "pay_dates_match_postings",
            "state_keys_unique"} <= failed


def test_the_pay_date_state_counts_each_dates_lines_as_they_post(post, ledger):
    post("jan10.csv", make_csv([row(), row(employee_id="E2")]))
    # A later file brings the next pay date and, late, one more line for the first (a new hire's).
    post("jan24.csv", make_csv([row(pay_date="2025-01-24"), row(employee_id="E3", pay_date="2025-01-10")]))
    counts = ledger.frame("SELECT pay_date::VARCHAR d, payroll_lines FROM pay_dates ORDER BY 1").rows()
    assert counts == [("2025-01-10", 3), ("2025-01-24", 1)]  # E1, E2 and E3 on the 10th; E1 on the 24th
    assert run_checks(ledger) == []
    # A count the lines do not back (never written by planadmin) is caught, naming the date and both counts.
    ledger.execute("UPDATE pay_dates SET payroll_lines = 4 WHERE pay_date = DATE '2025-01-10'")
    (failure,) = run_checks(ledger)
    assert failure.check == "pay_dates_match_postings"
    assert failure.rows.select(pl.col("pay_date").cast(pl.Utf8), "posted_lines", "stored_lines").rows() == [
        ("2025-01-10", 3, 4)]


def test_a_late_file_with_an_earlier_pay_date_posts_with_a_notice(post, ledger):
    post("feb.csv", make_csv([row(pay_date="2025-02-07")]))
    result = post("jan.csv", make_csv([row(pay_date="2025-01-10"), row(employee_id="NEW", pay_date="2025-01-10")]))
    assert (result.rows_posted, result.notices) == (2, 1)
    assert ledger.frame("SELECT line_number, employee_id, code FROM notices").rows() == [(2, "E1", "posted_out_of_order")]
    assert run_checks(ledger) == []


def test_an_unexpected_error_rejects_the_file_posts_nothing_and_is_retried(post, ledger, monkeypatch):
    import pipelines.payroll_batch as batch_module

    real = batch_module.compute_contributions

    def broken(*args, **kwargs):
        raise ValueError("123-45-6789 must never reach the logs")

    monkeypatch.setattr(batch_module, "compute_contributions", broken)
    failed = post("p1.csv", make_csv([row()]))
    assert failed.status == "failed" and "ValueError" in failed.error and "6789" not in failed.error
    assert ledger.frame("SELECT status, rows_read FROM batches").rows() == [("rejected", 0)]
    assert ledger_amounts(ledger) == {}
    monkeypatch.setattr(batch_module, "compute_contributions", real)
    again = post("p1.csv", make_csv([row()]))
    assert again.status == "posted" and again.batch_id.endswith("-2")


def test_a_broken_invariant_stops_the_run(post, monkeypatch):
    import pipelines.payroll_batch as batch_module

    def broken(*args, **kwargs):
        raise AssertionError("rules changed the row count")

    monkeypatch.setattr(batch_module, "compute_contributions", broken)
    with pytest.raises(AssertionError):
        post("p1.csv", make_csv([row()]))


def test_a_file_rejected_for_its_content_is_recorded_once(post, ledger):
    bad = make_csv([row()], columns=("employee_id", "date_of_birth"))
    first = post("bad.csv", bad)
    second = post("bad.csv", bad)  # the next night, still in the inbox: same bytes, same verdict
    assert (first.status, second.status) == ("rejected", "skipped")
    assert "rejected before" in second.error and "missing_column" in second.error
    assert ledger.frame("SELECT count(*) n FROM batches")["n"].item() == 1


# -- many files in one transaction (Database.group, as the nightly run posts a plan's files) --------------------
def table_rows(ledger: Database) -> dict[str, list[tuple]]:
    """Every table a night writes, sorted, minus wall-clock columns and the run's random id."""
    out = {}
    for table in ("batches", "ledger", "payroll_lines", "ytd_totals", "balance_by_year", "participants", "rejections",
                  "notices", "limit_events", "census_lines", "balance_statements"):
        columns = [c for c in ledger.frame(f"SELECT * FROM {table} LIMIT 0").columns
                   if c not in ("started_at", "finished_at", "run_id")]
        out[table] = sorted(ledger.frame(f"SELECT {', '.join(columns)} FROM {table}").rows(), key=repr)
    return out


def post_inbox(ledger: Database, inbox, plans_dir, grouped: bool) -> list[str]:  # noqa: ANN001
    from contextlib import nullcontext

    from pipelines.flows import PROCESSORS, discover, load_plans
    from pipelines.limits import load_irs_limits

    found, limits = discover(inbox, plans_dir), load_irs_limits()
    plans = load_plans(found, plans_dir)
    statuses = []
    for plan_files in found:
        with ledger.group() if grouped else nullcontext():
            for kind, path in plan_files.files:
                result = PROCESSORS[kind](
                    ledger, plan_id=plan_files.plan_id, plan=plans[plan_files.plan_id], path=path,
                    file_name=path.relative_to(inbox).as_posix(), run_id="test-run", limits=limits,
                    as_of=date(2026, 1, 15),
                )
                statuses.append(result.status)
    return statuses


def test_a_group_posts_exactly_what_one_transaction_per_file_posts(tmp_path, monkeypatch):
    # The shipped demo (census, a year of payroll, balances with gains and losses, rejected rows) plus, for
    # acme, a re-export of its first payroll file under another name: inside a group its rows must still be
    # found already posted, though the first file's payroll lines are only staged when it is read. Grouped
    # twice: holding everything to the end, and flushing whenever 500 rows are held (year-to-date upserts
    # then meet rows the same transaction wrote).
    import shutil

    import pipelines.store.db as db_module

    inbox = tmp_path / "INBOX"
    shutil.copytree(REPO / "fixtures/demo/INBOX", inbox)
    first = inbox / "acme/payroll/acme_payroll_2025-01-10.csv"
    (inbox / "acme/payroll/acme_payroll_2025-01-10b.csv").write_bytes(first.read_bytes().replace(b"\n", b"\r\n"))
    results = {}
    for mode, grouped, flush_rows in (("per file", False, None), ("grouped", True, None), ("flushing", True, 500)):
        if flush_rows is not None:
            monkeypatch.setattr(db_module, "STAGE_FLUSH_ROWS", flush_rows)
        with Database(tmp_path / f"{mode}.duckdb") as ledger:
            statuses = post_inbox(ledger, inbox, REPO / "fixtures/demo/PLANS", grouped)
            results[mode] = (statuses, table_rows(ledger))
            assert run_checks(ledger) == []
    assert results["grouped"] == results["per file"]
    assert results["flushing"] == results["per file"]
    statuses, tables = results["grouped"]
    assert statuses.count("posted") > 50 and len(tables["ledger"]) > 1000
    assert any(r[-2] == "already_posted" for r in tables["rejections"])  # reason_code is the 2nd-last column


def test_a_failure_inside_a_group_rolls_the_whole_group_back(post, ledger, monkeypatch):
    from pipelines.store import GroupAborted

    import pipelines.store.payroll as payroll_store

    real = payroll_store.insert_limit_events
    calls = []

    def fails_second_time(*args, **kwargs):  # noqa: ANN002, ANN003
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(payroll_store, "insert_limit_events", fails_second_time)
    with pytest.raises(GroupAborted), ledger.group():
        assert post("p1.csv", make_csv([row()])).status == "posted"
        post("p2.csv", make_csv([row(pay_date="2025-01-24")]))
    assert not ledger.grouped
    for table in ("batches", "ledger", "payroll_lines", "ytd_totals", "balance_by_year", "participants", "rejections"):
        assert ledger.frame(f"SELECT count(*) n FROM {table}")["n"].item() == 0, table


def test_a_failed_bulk_insert_at_the_end_of_a_group_rolls_it_all_back(post, ledger, monkeypatch):
    from pipelines.store import GroupAborted

    # A held notice that breaks a NOT NULL constraint: nothing fails until the group's closing bulk insert.
    bad_notice = pl.DataFrame({"batch_id": ["b"], "plan_id": ["acme"], "file_name": ["f"], "line_number": [None],
                               "employee_id": [None], "code": [None], "message": ["m"]},
                              schema_overrides={"line_number": pl.Int32, "employee_id": pl.Utf8, "code": pl.Utf8})
    with pytest.raises(GroupAborted), ledger.group():
        assert post("p1.csv", make_csv([row()])).status == "posted"
        ledger.append("notices", bad_notice)
        assert ledger.held("notices")  # held, not yet written
    for table in ("batches", "ledger", "payroll_lines", "ytd_totals", "balance_by_year", "participants", "notices"):
        assert ledger.frame(f"SELECT count(*) n FROM {table}")["n"].item() == 0, table


def test_a_failure_inside_a_group_never_carries_the_original_message(post, ledger, monkeypatch):
    # Prefect logs a failed task's whole exception chain: the original message may quote file content.
    import traceback

    import pipelines.payroll_batch as batch_module
    from pipelines.store import GroupAborted

    def broken(*args, **kwargs):  # noqa: ANN002, ANN003
        raise ValueError("123-45-6789 must never reach the logs")

    monkeypatch.setattr(batch_module, "compute_contributions", broken)
    with pytest.raises(GroupAborted) as caught, ledger.group():
        post("p1.csv", make_csv([row()]))
    logged = "".join(traceback.format_exception(caught.value))
    assert "ValueError" in logged and "6789" not in logged
