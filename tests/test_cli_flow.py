"""The ``planadmin run`` command and the ``nightly`` flow: exit codes, summary, the demo inbox."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from tests.conftest import ACME_TOML, make_csv, row

REPO = Path(__file__).resolve().parent.parent
runner = CliRunner()


def make_inbox(tmp_path: Path, files: dict[str, bytes], plan_toml: str | None = ACME_TOML) -> tuple[Path, Path]:
    inbox, plans = tmp_path / "INBOX", tmp_path / "PLANS"
    (inbox / "acme" / "payroll").mkdir(parents=True)
    plans.mkdir()
    for name, data in files.items():
        (inbox / "acme" / "payroll" / name).write_bytes(data)
    if plan_toml is not None:
        (plans / "acme.toml").write_text(plan_toml)
    return inbox, plans


def invoke(inbox: Path, plans: Path, db: Path, *extra: str):
    return runner.invoke(
        app, ["run", "--inbox", str(inbox), "--plans", str(plans), "--db", str(db), "--as-of", "2025-02-01", *extra]
    )


@pytest.mark.usefixtures("prefect_harness")
def test_exit_0_with_rejected_rows_and_rerun_posts_nothing(tmp_path):
    inbox, plans = make_inbox(tmp_path, {
        "2025-01-10.csv": make_csv([row(), row(employee_id="E2", gross_pay="-1.00")]),
        "2025-01-24.csv": make_csv([row(pay_date="2025-01-24")]),
    })
    db = tmp_path / "p.duckdb"
    first = invoke(inbox, plans, db)
    assert first.exit_code == 0, first.output
    assert "2 posted, 0 rejected whole, 0 skipped" in first.output
    assert "3 read, 2 posted, 1 rejected" in first.output
    second = invoke(inbox, plans, db)
    assert second.exit_code == 0, second.output
    assert "0 posted, 0 rejected whole, 2 skipped" in second.output
    with duckdb.connect(str(db), read_only=True) as con:
        # 2 periods × (pre-tax 5% of $1,000 = $50 + match $30 (first 3% at 100%) + $10 (next 2% at 50%)).
        assert con.sql("SELECT count(*), sum(amount)::VARCHAR FROM ledger").fetchall() == [(4, "180.00")]
        assert con.sql("SELECT count(*), min(status) FROM runs").fetchall() == [(2, "completed")]


@pytest.mark.usefixtures("prefect_harness")
def test_exit_1_when_a_file_is_rejected_whole(tmp_path):
    inbox, plans = make_inbox(tmp_path, {
        "good.csv": make_csv([row()]),
        "bad.csv": make_csv([row()], columns=("employee_id", "pay_date")),
    })
    result = invoke(inbox, plans, tmp_path / "p.duckdb")
    assert result.exit_code == 1, result.output
    assert "1 posted, 1 rejected whole" in result.output


@pytest.mark.usefixtures("prefect_harness")
def test_exit_1_when_a_plan_has_no_plan_file(tmp_path):
    inbox, plans = make_inbox(tmp_path, {"good.csv": make_csv([row()])}, plan_toml=None)
    result = invoke(inbox, plans, tmp_path / "p.duckdb")
    assert result.exit_code == 1
    assert "no plan file" in result.output


def test_exit_2_for_a_misspelled_plan_key(tmp_path):
    inbox, plans = make_inbox(tmp_path, {"good.csv": make_csv([row()])}, ACME_TOML.replace("match_catch_up", "match_catchup"))
    result = invoke(inbox, plans, tmp_path / "p.duckdb")
    assert result.exit_code == 2
    assert "unknown key 'match.match_catchup'" in result.output and "acme.toml" in result.output
    assert not (tmp_path / "p.duckdb").exists()  # nothing ran


def test_exit_2_for_plan_id_not_matching_file_name(tmp_path):
    inbox, plans = make_inbox(tmp_path, {"good.csv": make_csv([row()])}, ACME_TOML.replace('"acme"', '"acne"'))
    result = invoke(inbox, plans, tmp_path / "p.duckdb")
    assert result.exit_code == 2 and "'plan_id' is 'acne'" in result.output


@pytest.mark.parametrize("bad", [["--as-of", "2025-13-01"], ["--inbox", "/no/such/folder"], ["--bogus"]])
def test_exit_2_for_usage_errors(tmp_path, bad):
    inbox, plans = make_inbox(tmp_path, {})
    result = invoke(inbox, plans, tmp_path / "p.duckdb", *bad)
    assert result.exit_code == 2, result.output


def demo_generator():
    """fixtures/generate_demo.py as a module (it is a script, not a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("generate_demo", REPO / "fixtures" / "generate_demo.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("generate_demo", module)
    spec.loader.exec_module(module)
    return module


def test_the_shipped_demo_is_what_the_generator_builds():
    """The committed demo inbox is exactly the generator's output, so the expectations below describe it."""
    generator = demo_generator()
    built = {file.path: generator.render_file(file) for demo in generator.build() for file in demo.files}
    built |= {file.path: generator.render_file(file) for file in generator.rmd_night_files()}
    shipped = {*(REPO / "fixtures" / "demo" / "INBOX").rglob("*.csv"), *generator.RMD_NIGHT_DIR.rglob("*.csv")}
    assert shipped == set(built)
    for path, data in built.items():
        assert path.read_bytes() == data, path


def test_demo_through_the_real_command(tmp_path):
    """The README's demo: the installed ``planadmin`` command, Prefect's temporary server, the shipped data."""
    db = tmp_path / "demo.duckdb"
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect")}
    env.pop("PREFECT_API_URL", None)
    exe = shutil.which("planadmin", path=str(Path(sys.executable).parent)) or "planadmin"
    done = subprocess.run(
        [exe, "run", "--inbox", str(REPO / "fixtures/demo/INBOX"), "--plans", str(REPO / "fixtures/demo/PLANS"),
         "--db", str(db), "--as-of", "2026-01-15"],
        capture_output=True, text=True, env=env, timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "rejected whole" in done.stdout
    # The demo's SSNs are 900-NN-NNNN: none may reach the summary or Prefect's logs.
    assert not re.search(r"9[0-9]{2}-?[0-9]{2}-?[0-9]{4}", done.stdout + done.stderr)
    with duckdb.connect(str(db), read_only=True) as con:
        plans = con.sql("SELECT count(DISTINCT plan_id), count(DISTINCT employee_id) FROM participants").fetchall()[0]
        assert plans[0] == 3 and plans[1] >= 240  # acme, globex and initech (read through its import profiles)
        conserved = con.sql("SELECT sum(rows_read) = sum(rows_posted) + sum(rows_rejected) FROM batches").fetchall()
        assert conserved == [(True,)]
        assert con.sql("SELECT count(*) FROM rejections").fetchall()[0][0] > 0
        assert con.sql("SELECT count(*) FROM participants WHERE ssn_last4 IS NOT NULL AND length(ssn_last4) <> 4"
                       ).fetchall() == [(0,)]
        # Every termination processed as the generator, which knows each person's story, expects (its own
        # stdlib implementation of the vesting rules: service, percent and basis).
        processed = con.sql(
            "SELECT employee_id, termination_date, termination_reason, years_of_service, vested_pct::INTEGER, "
            "vesting_basis FROM terminations ORDER BY plan_id, employee_id").fetchall()
        assert processed == [row for demo in demo_generator().build() for row in
                             demo_generator().expected_terminations(demo)]
        # Forfeited + vested = employer balance for each, and the plan's forfeiture account holds the total.
        assert con.sql("SELECT count(*) FROM terminations WHERE forfeited_amount > 0").fetchall()[0][0] >= 2
        assert con.sql("SELECT sum(forfeited_amount) = (SELECT sum(forfeited_amount) FROM forfeiture_account) "
                       "FROM terminations").fetchall() == [(True,)]
        kinds = dict(con.sql("SELECT file_kind, count(*) FROM batches GROUP BY ALL").fetchall())
        # rmd: the deceased with money here listed for a beneficiary review, one batch per plan.
        assert kinds == {"census": 4, "payroll": 78, "balances": 4, "true_up": 1, "terminations": 3, "rmd": 2}
        sources = {s for (s,) in con.sql("SELECT DISTINCT source FROM ledger").fetchall()}
        assert sources == {"pretax", "roth", "pretax_catchup", "roth_catchup", "match", "loan_repayment",
                           "nonelective", "match_true_up", "rollover",  # rollover: only from balance statements
                           "excess_deferral"}  # initech's withheld amounts beyond the limits
        # acme's true-up (due 15 January) was posted by this run, as of its date (other match_true_up entries are
        # the statements' opening balances and earnings, and forfeitures).
        assert con.sql("SELECT DISTINCT effective_date::VARCHAR FROM ledger WHERE source = 'match_true_up' "
                       "AND entry_type = 'contribution'").fetchall() == [("2026-01-15",)]

    # The second night (make demo): retirees, their statements and distributions, then the RMD letters.
    generator = demo_generator()
    night = subprocess.run(
        [exe, "run", "--inbox", str(generator.RMD_NIGHT_DIR), "--plans", str(REPO / "fixtures/demo/PLANS"),
         "--db", str(db), "--as-of", str(generator.RMD_NIGHT)], capture_output=True, text=True, env=env, timeout=600)
    assert night.returncode == 0, night.stdout[-3000:] + night.stderr[-3000:]
    # acme: A80008 2025 satisfied, 2026 due; A80009 both due; A80010 2025 overdue, 2026 due. globex: G80001 2026
    # due (first night), G80007 2025 overdue, 2026 due.
    assert "RMD notices acme (2025-2026): 4 due, 1 overdue, 1 satisfied" in night.stdout
    assert "RMD notices globex (2025-2026): 2 due, 1 overdue, 0 satisfied" in night.stdout
    # The retirees with an RMD due are rmd_first; acme's other leavers as the first night left them.
    assert "Leavers acme: 1 cash-out, 2 automatic rollover, 8 consent required, 3 RMD first" in night.stdout
    assert "Leavers globex: 0 cash-out, 0 automatic rollover, 11 consent required, 2 RMD first" in night.stdout
    with duckdb.connect(str(db), read_only=True) as con:
        notices = {(p, e, y): rest for p, e, y, *rest in con.sql(
            "SELECT plan_id, employee_id, distribution_year, rmd_amount::VARCHAR, taken::VARCHAR, remaining::VARCHAR, "
            "status FROM rmd_notices").fetchall()}
        # The rollover of more than A80008's $36,500 rollover money is the night's one rejection.
        assert con.sql("SELECT employee_id, reason_code FROM rejections r JOIN batches b USING (batch_id) "
                       "WHERE b.file_kind = 'distributions'").fetchall() == [("A80008", "exceeds_balance")]
    for key, expected in generator.EXPECTED_RMD_NOTICES.items():
        assert tuple(notices[key]) == expected, key
    letters = subprocess.run(
        [exe, "notices", "rmd", "--plan", "acme", "--year", "2025", "--out", str(tmp_path / "letters"), "--db",
         str(db), "--plans", str(REPO / "fixtures/demo/PLANS")], capture_output=True, text=True, env=env, timeout=300)
    assert letters.returncode == 0, letters.stdout + letters.stderr
    # 2025 letters: A80009 (due by 1 April 2026) and A80010 (overdue); A80008 took hers.
    assert sorted(p.name for p in (tmp_path / "letters").iterdir()) == [
        "rmd_2025_A80009.pdf", "rmd_2025_A80010.pdf", "summary.csv"]
    assert not re.search(r"9[0-9]{2}-?[0-9]{2}-?[0-9]{4}", night.stdout + night.stderr + letters.stdout)


@pytest.mark.usefixtures("prefect_harness")
def test_exit_1_when_an_invariant_check_fails(tmp_path):
    from pipelines.store import Database

    inbox, plans = make_inbox(tmp_path, {"good.csv": make_csv([row()])})
    db = tmp_path / "p.duckdb"
    with Database(db) as ledger:  # plant an orphan entry: no batch posted it
        ledger.execute("INSERT INTO ledger_entries VALUES ('x', 'acme', 'E1', DATE '2025-01-10', 2025, 'earnings', "
                       "'rollover', 1.00, 'nobody', NULL)")
    result = invoke(inbox, plans, db)
    assert result.exit_code == 1
    assert "invariant check failed: ledger_entry_has_posted_batch" in result.output


def test_exit_1_when_another_process_holds_the_database(tmp_path):
    inbox, plans = make_inbox(tmp_path, {"good.csv": make_csv([row()])})
    db = tmp_path / "p.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, sys, time; c = duckdb.connect({str(db)!r}); print('ok', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ok"
        result = invoke(inbox, plans, db, "--wait", "0")
    finally:
        holder.kill()
        holder.wait()
    assert result.exit_code == 1, result.output
    assert "is in use by process " in result.output and f"(PID {holder.pid})" in result.output


TRUE_UP_PLAN = ACME_TOML + "[true_up]\nenabled = true\n"


def front_loader_files() -> dict[str, bytes]:
    # Two periods of $10,000: 50% ($5,000, matched $300 + $100 = $400), then 0% (no match).
    return {
        "2025-01-10.csv": make_csv([row(pay_date="2025-01-10", gross_pay="10000.00", pretax_deferral_pct="50")]),
        "2025-01-24.csv": make_csv([row(pay_date="2025-01-24", gross_pay="10000.00", pretax_deferral_pct="0")]),
    }


@pytest.mark.usefixtures("prefect_harness")
def test_nightly_posts_the_true_up_once_it_is_due(tmp_path):
    # Period match: $400 + $0. Year: pay $20,000, deferral $5,000 (25%) -> 4% = $800. True-up $400.
    inbox, plans = make_inbox(tmp_path, front_loader_files(), TRUE_UP_PLAN)
    db = tmp_path / "p.duckdb"
    early = runner.invoke(app, ["run", "--inbox", str(inbox), "--plans", str(plans), "--db", str(db), "--as-of", "2026-01-30"])
    assert early.exit_code == 0, early.output
    assert "true-up" not in early.output
    for posted in (inbox / "acme" / "payroll").iterdir():  # the administrator clears the inbox
        posted.unlink()
    due = runner.invoke(app, ["run", "--inbox", str(inbox), "--plans", str(plans), "--db", str(db), "--as-of", "2026-01-31"])
    assert due.exit_code == 0, due.output
    assert "acme/true-up/2025" in due.output
    later = runner.invoke(app, ["run", "--inbox", str(inbox), "--plans", str(plans), "--db", str(db), "--as-of", "2026-03-01"])
    assert later.exit_code == 0 and "true-up" not in later.output
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.sql("SELECT effective_date::VARCHAR, amount::VARCHAR FROM ledger WHERE source = 'match_true_up'"
                       ).fetchall() == [("2026-01-31", "400.00")]


@pytest.mark.usefixtures("prefect_harness")
def test_true_up_command_on_demand_is_idempotent(tmp_path):
    inbox, plans = make_inbox(tmp_path, front_loader_files(), TRUE_UP_PLAN)
    db = tmp_path / "p.duckdb"
    assert invoke(inbox, plans, db).exit_code == 0  # as of 2025-02-01: not due yet
    args = ["true-up", "--plan", "acme", "--year", "2025", "--plans", str(plans), "--db", str(db), "--as-of", "2025-02-02"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "1 people trued up, 400.00 posted" in first.output
    second = runner.invoke(app, args)
    assert second.exit_code == 0 and "nothing to do" in second.output
    with duckdb.connect(str(db), read_only=True) as con:  # each on-demand run is a recorded, checked run
        assert con.sql("SELECT count(*), min(status) FROM runs").fetchall() == [(3, "completed")]


def test_true_up_command_configuration_errors(tmp_path):
    inbox, plans = make_inbox(tmp_path, {})
    db = tmp_path / "p.duckdb"
    db.touch()
    disabled = runner.invoke(app, ["true-up", "--plan", "acme", "--year", "2025", "--plans", str(plans), "--db", str(db)])
    assert disabled.exit_code == 2 and "true_up.enabled is false" in disabled.output
    missing = runner.invoke(app, ["true-up", "--plan", "nope", "--year", "2025", "--plans", str(plans), "--db", str(db)])
    assert missing.exit_code == 2


def fail_payroll_on(monkeypatch, pay_date: str):  # noqa: ANN001, ANN201 - returns the real function
    """Make the payroll file of ``pay_date`` fail with an unexpected error while its contributions are computed;
    returns the real function, to put back."""
    import pipelines.payroll_batch as batch_module

    real = batch_module.compute_contributions

    def fails(payroll, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        if str(payroll["pay_date"].max()) == pay_date:
            raise ValueError("boom")
        return real(payroll, *args, **kwargs)

    monkeypatch.setattr(batch_module, "compute_contributions", fails)
    return real


@pytest.mark.usefixtures("prefect_harness")
def test_a_failure_inside_a_plans_transaction_falls_back_to_one_file_at_a_time(tmp_path, monkeypatch):
    # A plan's files post in one transaction. The second file fails unexpectedly: the transaction is rolled
    # back and the files are posted again one transaction each, so only that file is rejected (to be retried
    # next run), the first is posted, and the third waits (its year-to-date would skip the second's amounts).
    real = fail_payroll_on(monkeypatch, "2025-01-24")
    inbox, plans = make_inbox(tmp_path, {
        "2025-01-10.csv": make_csv([row()]),
        "2025-01-24.csv": make_csv([row(pay_date="2025-01-24")]),
        "2025-02-07.csv": make_csv([row(pay_date="2025-02-07")]),
    })
    db = tmp_path / "p.duckdb"
    result = invoke(inbox, plans, db, "--as-of", "2025-02-08")
    assert result.exit_code == 1, result.output
    with duckdb.connect(str(db), read_only=True) as con:
        batches = con.sql("SELECT file_name, status FROM batches ORDER BY file_name").fetchall()
        assert batches == [("acme/payroll/2025-01-10.csv", "posted"), ("acme/payroll/2025-01-24.csv", "rejected")]
        # Only the first file's money: pre-tax $50 + match $40 on $1,000.00 at 5%.
        assert con.sql("SELECT count(*), sum(amount)::VARCHAR FROM ledger").fetchall() == [(2, "90.00")]
    monkeypatch.setattr("pipelines.payroll_batch.compute_contributions", real)
    again = invoke(inbox, plans, db, "--as-of", "2025-02-08")
    assert again.exit_code == 0, again.output
    assert "2 posted, 0 rejected whole, 1 skipped" in again.output


@pytest.mark.usefixtures("prefect_harness")
def test_a_plans_files_post_in_groups_of_bounded_size_and_a_failed_group_leaves_the_ones_before(tmp_path, monkeypatch):
    # Four files of 197 bytes each (a header line of 147 bytes and a row of 50, with their line ends); at most 400
    # bytes a group makes two groups of two files (394 bytes each). The third file fails unexpectedly: its group is
    # rolled back and posted one file at a time (the third rejected, the fourth waits), and the first group's two
    # files stand.
    import pipelines.flows as flows_module

    files = {f"{d}.csv": make_csv([row(pay_date=d)]) for d in ("2025-01-10", "2025-01-24", "2025-02-07", "2025-02-21")}
    assert {len(data) for data in files.values()} == {197}
    monkeypatch.setattr(flows_module, "GROUP_MAX_BYTES", 400)
    fail_payroll_on(monkeypatch, "2025-02-07")
    inbox, plans = make_inbox(tmp_path, files)
    groups = []
    real_group = flows_module.Database.group

    def counted_group(self):  # noqa: ANN001, ANN202
        groups.append(1)
        return real_group(self)

    monkeypatch.setattr(flows_module.Database, "group", counted_group)
    db = tmp_path / "p.duckdb"
    result = invoke(inbox, plans, db, "--as-of", "2025-02-22")
    assert result.exit_code == 1, result.output
    assert len(groups) == 2
    with duckdb.connect(str(db), read_only=True) as con:
        batches = con.sql("SELECT file_name, status FROM batches ORDER BY file_name").fetchall()
        assert batches == [("acme/payroll/2025-01-10.csv", "posted"), ("acme/payroll/2025-01-24.csv", "posted"),
                           ("acme/payroll/2025-02-07.csv", "rejected")]
        # Two files' money: each pre-tax $50 + match $40 on $1,000.00 at 5%, so 4 entries and $180.00.
        assert con.sql("SELECT count(*), sum(amount)::VARCHAR FROM ledger").fetchall() == [(4, "180.00")]
    assert "Files: 2 posted, 0 rejected whole, 0 skipped (already posted), 1 failed, 1 not run." in result.output


@pytest.mark.usefixtures("prefect_harness")
def test_the_demo_night_in_one_transaction_posts_what_a_transaction_per_batch_posts(tmp_path, monkeypatch):
    # The nightly run posts each plan's files (census, payroll, balances) in one transaction with bulk writes;
    # without that group each file commits on its own. Same tables, true-ups and terminations included.
    from contextlib import contextmanager

    from pipelines.store import Database
    from tests.test_posting import table_rows

    def run_demo(db: Path) -> dict:
        result = runner.invoke(app, ["run", "--inbox", str(REPO / "fixtures/demo/INBOX"), "--plans",
                                     str(REPO / "fixtures/demo/PLANS"), "--db", str(db), "--as-of", "2026-01-15"])
        assert result.exit_code == 0, result.output
        with Database(db, read_only=True) as ledger:
            tables = table_rows(ledger)
            for table in ("true_ups", "terminations", "termination_reports"):
                tables[table] = sorted(ledger.frame(f"SELECT * FROM {table}").rows(), key=repr)
        return tables

    grouped = run_demo(tmp_path / "grouped.duckdb")

    @contextmanager
    def no_group(self):  # noqa: ANN001, ANN202
        yield

    monkeypatch.setattr(Database, "group", no_group)
    separate = run_demo(tmp_path / "separate.duckdb")
    assert grouped == separate
    assert len(grouped["terminations"]) > 0 and len(grouped["true_ups"]) > 0
