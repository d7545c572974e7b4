"""Nightly operations: `planadmin serve` as a scheduled Prefect deployment (the run's as-of date from its schedule,
its artifact, two runs never on one database at once), and an operator's night without noise (a busy database,
misplaced files, a file whose every row was rejected, grouped rejections, not a database, --help and --version)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from tests.conftest import ACME_TOML, make_csv, row

REPO = Path(__file__).resolve().parent.parent
runner = CliRunner()


def inbox_with(tmp_path: Path, files: dict[str, bytes]) -> tuple[Path, Path]:
    """An inbox whose ``files`` are paths under INBOX/ (``acme/payroll/x.csv``), and acme's plan file."""
    inbox, plans = tmp_path / "INBOX", tmp_path / "PLANS"
    plans.mkdir(parents=True)
    (plans / "acme.toml").write_text(ACME_TOML)
    for name, data in files.items():
        (inbox / name).parent.mkdir(parents=True, exist_ok=True)
        if name.endswith("/"):
            continue
        (inbox / name).write_bytes(data)
    return inbox, plans


def run(inbox: Path, plans: Path, db: Path, *extra: str):
    return runner.invoke(app, ["run", "--inbox", str(inbox), "--plans", str(plans), "--db", str(db),
                               "--as-of", "2025-02-01", "--report-dir", str(db.parent / "reports"), *extra])


# -- an operator's night --------------------------------------------------------------------------------------

@pytest.mark.usefixtures("prefect_harness")
def test_misplaced_files_are_reported_each_run_and_recorded(tmp_path):
    inbox, plans = inbox_with(tmp_path, {
        "acme/payroll/2025-01-10.csv": make_csv([row()]),
        "acme/2025-01-24.csv": make_csv([row(pay_date="2025-01-24")]),     # straight into the plan folder
        "acme/Payroll/2025-02-07.csv": make_csv([row(pay_date="2025-02-07")]),  # a kind's name, capitalised
        "acme/payroll/notes.txt": b"sent by Jane",                        # not a CSV
        "stray.csv": b"x",                                                  # outside any plan folder
    })
    db = tmp_path / "p.duckdb"
    result = run(inbox, plans, db)
    # acme has one readable file: the run completes (exit 0) and names each of the four entries it did not read.
    assert result.exit_code == 0, result.output
    for path in ("acme/2025-01-24.csv", "acme/Payroll", "acme/payroll/notes.txt", "stray.csv"):
        assert f"unrecognised_file: {path}" in result.output
    assert "did you mean payroll/?" in result.output
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.sql("SELECT plan_id, path FROM unrecognised_files ORDER BY path").fetchall() == [
            ("acme", "acme/2025-01-24.csv"), ("acme", "acme/Payroll"), ("acme", "acme/payroll/notes.txt"),
            (None, "stray.csv")]
    report = json.loads((tmp_path / "reports" / "2025-02-01.json").read_text())
    assert {u["path"] for u in report["unrecognised"]} == {
        "acme/2025-01-24.csv", "acme/Payroll", "acme/payroll/notes.txt", "stray.csv"}
    # Reported again by the next run while it is still there (one row per run and entry).
    assert run(inbox, plans, db).exit_code == 0
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.sql("SELECT count(*), count(DISTINCT run_id) FROM unrecognised_files").fetchall() == [(8, 2)]


@pytest.mark.usefixtures("prefect_harness")
def test_a_plan_folder_with_nothing_readable_fails_the_run(tmp_path):
    inbox, plans = inbox_with(tmp_path, {"acme/Payroll/2025-01-10.csv": make_csv([row()])})
    result = run(inbox, plans, tmp_path / "p.duckdb")
    assert result.exit_code == 1, result.output
    assert "act on: acme/: nothing in this plan folder is readable" in result.output


@pytest.mark.usefixtures("prefect_harness")
def test_a_file_whose_rows_were_all_rejected_is_called_that_and_rejections_are_grouped(tmp_path):
    # Three rows with a negative gross pay, one with a bad date: every row rejected, in two groups.
    rows = [row(employee_id=f"E{i}", gross_pay="-1.00") for i in range(1, 4)] + [row(employee_id="E9",
                                                                                      pay_date="2025-13-01")]
    inbox, plans = inbox_with(tmp_path, {"acme/payroll/2025-01-10.csv": make_csv(rows)})
    db = tmp_path / "p.duckdb"
    result = run(inbox, plans, db)
    assert result.exit_code == 0, result.output  # rows rejected are reported, not fatal
    assert "act on: acme/payroll/2025-01-10.csv: all 4 rows rejected" in result.output
    assert "all rows rejected" in result.output
    # one line per (file, column, reason): gross_pay ×3 (lines 2, 3, 4: line 1 is the header) and pay_date ×1
    assert "acme/payroll/2025-01-10.csv │ gross_pay" in result.output
    assert "│    3 │ 2, 3, 4" in result.output
    report = json.loads((tmp_path / "reports" / "2025-02-01.json").read_text())
    assert report["act_on"][0]["kind"] == "all_rows_rejected"
    # A second run skips the file: one count, no row in the files table.
    second = run(inbox, plans, db)
    assert "0 posted, 0 rejected whole, 1 skipped (already posted)" in second.output
    assert "2025-01-10.csv │ skipped" not in second.output


@pytest.mark.usefixtures("prefect_harness")
def test_a_busy_database_is_waited_for_then_named_in_one_line(tmp_path):
    inbox, plans = inbox_with(tmp_path, {"acme/payroll/2025-01-10.csv": make_csv([row()])})
    db = tmp_path / "p.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); "
         "time.sleep(60)", str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        started = time.monotonic()
        # The real command in its own process (as an operator runs it), reporting to the session's Prefect server:
        # what it prints is what a terminal shows.
        from prefect.settings import PREFECT_API_URL

        done = subprocess.run(
            [sys.executable, "-m", "pipelines.cli", "run", "--inbox", str(inbox), "--plans", str(plans), "--db",
             str(db), "--as-of", "2025-02-01", "--report-dir", str(tmp_path / "reports"), "--wait", "2"],
            capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()})
        waited = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode == 1, done.stdout + done.stderr
    assert waited >= 2
    # one line, naming the holder, and nothing else: no traceback, no Prefect log lines
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"run failed: database {db} is in use by process {done.stderr.split('by process ')[1].split(' (PID')[0]} "
        f"(PID {holder.pid}) after waiting 2 s; try again when it has finished"]
    # Once free, the same command posts.
    assert run(inbox, plans, db).exit_code == 0


def test_check_on_a_file_that_is_not_a_database_exits_2_in_one_line(tmp_path):
    not_db = tmp_path / "notes.duckdb"
    not_db.write_text("not a database\n")
    result = runner.invoke(app, ["check", "--db", str(not_db)])
    assert result.exit_code == 2
    assert result.output.strip() == f"configuration error: {not_db} is not a DuckDB database"


def test_help_and_version():
    from importlib.metadata import version

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"planadmin {version('planadmin')}"
    helped = runner.invoke(app, ["run", "--help"])
    assert helped.exit_code == 0
    text = " ".join(helped.output.split())
    assert "Exit codes: 0 done" in text and "2 a usage or configuration error" in text
    listed = runner.invoke(app, ["--help"]).output
    commands = listed[listed.index("Commands:"):].split("\n\n")[0].splitlines()[1:]
    assert len(commands) == 11 and all(line.rstrip().endswith(".") for line in commands), commands  # whole sentences


def test_bad_settings_file_and_schedule_exit_2(tmp_path):
    settings = tmp_path / "planadmin.toml"
    settings.write_text('[schedule]\ncron = "61 2 * * *"\n')
    result = runner.invoke(app, ["serve", "--settings", str(settings)])
    assert result.exit_code == 2
    assert "schedule.cron" in result.output and "not a cron expression" in result.output
    result = runner.invoke(app, ["serve", "--timezone", "Mars/Olympus"])
    assert result.exit_code == 2 and "not an IANA time zone" in result.output
    result = runner.invoke(app, ["run", "--settings", str(tmp_path / "missing.toml")])
    assert result.exit_code == 2 and "cannot read the settings file" in result.output


# -- served on a schedule -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def served(prefect_harness, tmp_path_factory):  # noqa: ARG001 - the harness is the Prefect server
    """`planadmin serve` in its own process against the session's Prefect server, serving acme's inbox into a
    database of its own; waits for the deployment to be registered."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL

    folder = tmp_path_factory.mktemp("served")
    inbox, plans = inbox_with(folder, {"acme/payroll/2025-01-10.csv": make_csv([row()])})
    db = folder / "served.duckdb"
    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), "PREFECT_RUNNER_POLL_FREQUENCY": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "serve", "--cron", "0 2 * * *", "--timezone", "America/New_York",
         "--inbox", str(inbox), "--plans", str(plans), "--db", str(db), "--report-dir", str(folder / "reports"),
         "--wait", "3"], cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 120
    with get_client(sync_client=True) as client:
        while True:
            try:
                deployment = client.read_deployment_by_name("nightly/planadmin-nightly")
                break
            except Exception:  # noqa: BLE001 - not registered yet
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    pytest.fail(f"planadmin serve did not register its deployment:\n{process.stdout.read()}")
                time.sleep(0.5)
    yield deployment, db, folder
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def run_scheduled(deployment, at: datetime, timeout: float = 180):  # noqa: ANN001, ANN201
    """What the scheduler does at ``at``: a scheduled run of the deployment; waits for its final state."""
    from prefect.client.orchestration import get_client
    from prefect.states import Scheduled

    with get_client(sync_client=True) as client:
        flow_run = client.create_flow_run_from_deployment(deployment.id, state=Scheduled(scheduled_time=at))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            flow_run = client.read_flow_run(flow_run.id)
            if flow_run.state is not None and flow_run.state.is_final():
                return flow_run
            time.sleep(0.5)
    pytest.fail(f"the served run did not finish in {timeout} s: {flow_run.state}")


@pytest.mark.flow
def test_a_served_schedule_runs_the_night_dated_in_its_time_zone(served):
    import httpx
    from prefect.settings import PREFECT_API_URL

    deployment, db, folder = served
    # The deployment carries the schedule and the run options; as_of is left to each run.
    assert [(s.schedule.cron, s.schedule.timezone) for s in deployment.schedules] == [("0 2 * * *", "America/New_York")]
    assert deployment.parameters["db_path"] == str(db) and "as_of" not in deployment.parameters
    # 07:00 UTC on 16 January 2026 is 02:00 in New York (EST, UTC-5): the night of the 16th.
    flow_run = run_scheduled(deployment, datetime(2026, 1, 16, 7, 0, tzinfo=timezone.utc))
    assert flow_run.state.is_completed(), flow_run.state
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.sql("SELECT as_of::VARCHAR, status FROM runs").fetchall() == [("2026-01-16", "completed")]
        # 5% of $1,000.00 = $50.00 pre-tax; match 100% of 3% ($30.00) + 50% of the next 2% ($10.00) = $40.00
        assert con.sql("SELECT sum(amount)::VARCHAR FROM ledger").fetchall() == [("90.00",)]
    # (the API directly: Prefect 3.8's sync client sends nulls the artifacts filter refuses)
    found = httpx.post(f"{PREFECT_API_URL.value()}/artifacts/filter", json={
        "artifacts": {"key": {"any_": ["nightly-2026-01-16"]}}, "limit": 10, "offset": 0, "sort": "CREATED_DESC"}).json()
    assert [a["flow_run_id"] for a in found] == [str(flow_run.id)]
    assert (folder / "reports" / "2026-01-16.md").read_text() == found[0]["data"]
    assert found[0]["data"].startswith("# Nightly report 2026-01-16")


@pytest.mark.flow
def test_a_second_served_run_waits_for_the_database_then_fails_clearly(served):
    from prefect.concurrency.sync import concurrency

    from pipelines.flows import database_lock_name

    deployment, db, _folder = served
    # Another run holds the database's slot (limit 1) for longer than this run's --wait of 3 s.
    with concurrency(database_lock_name(db), occupy=1, strict=True):
        flow_run = run_scheduled(deployment, datetime(2026, 1, 17, 7, 0, tzinfo=timezone.utc))
    assert flow_run.state.is_failed()
    assert flow_run.state.message == f"database {db} is in use by another planadmin run: waited 3 s"
    with duckdb.connect(str(db), read_only=True) as con:  # it never opened the database
        assert con.sql("SELECT count(*) FROM runs WHERE as_of = DATE '2026-01-17'").fetchall() == [(0,)]
    # Free again: the next night runs.
    assert run_scheduled(deployment, datetime(2026, 1, 18, 7, 0, tzinfo=timezone.utc)).state.is_completed()


@pytest.mark.parametrize("command", [
    "check --db {db}",
    "report rejections --db {db} --format csv",
    "withdrawal-cost --plan acme --employee A00014 --db {db}",
    "project --plan acme --employee A00002 --db {db} --plans {plans}",
    "notices rmd --plan acme --year 2025 --out {out} --db {db} --plans {plans}",
])
def test_commands_that_only_read_never_start_prefect(command, demo_db, tmp_path):
    # Prefect's import alone costs seconds and its temporary server 5-15 s more: a command that only reads the
    # database must not pay either. Each runs in a fresh interpreter that reports whether prefect was imported.
    args = command.format(db=demo_db, plans=REPO / "fixtures/demo/PLANS", out=tmp_path / "letters").split()
    probe = ("import sys; from typer.testing import CliRunner; from pipelines.cli import app; "
             "r = CliRunner().invoke(app, sys.argv[1:]); print(r.exit_code, 'prefect' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, cwd=tmp_path, check=True)
    exit_code, imported = done.stdout.split()[-2:]
    assert (exit_code, imported) == ("0", "False"), done.stdout


@pytest.mark.usefixtures("prefect_harness")
def test_deploy_registers_the_night_with_a_work_pool(tmp_path, monkeypatch):
    import httpx
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL

    from pipelines.flows import database_lock_name

    monkeypatch.setenv("PREFECT_API_URL", PREFECT_API_URL.value())
    inbox, plans = inbox_with(tmp_path, {"acme/payroll/2025-01-10.csv": make_csv([row()])})
    db = tmp_path / "team.duckdb"
    # (the API directly: Prefect 3.8's sync client sends nulls the work-pool endpoint refuses)
    created = httpx.post(f"{PREFECT_API_URL.value()}/work_pools/", json={"name": "planadmin-team", "type": "process"})
    assert created.status_code in (201, 409), created.text
    result = runner.invoke(app, ["deploy", "--pool", "planadmin-team", "--cron", "30 1 * * 1-5", "--timezone",
                                 "America/Chicago", "--inbox", str(inbox), "--plans", str(plans), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "to work pool planadmin-team" in result.output
    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name("nightly/planadmin-nightly")
        limit = client.read_global_concurrency_limit_by_name(database_lock_name(db))
    assert deployment.work_pool_name == "planadmin-team"
    assert deployment.entrypoint == "pipelines/flows.py:nightly"
    assert [(s.schedule.cron, s.schedule.timezone) for s in deployment.schedules] == [("30 1 * * 1-5", "America/Chicago")]
    assert deployment.parameters["db_path"] == str(db) and deployment.parameters["timezone"] == "America/Chicago"
    assert limit.limit == 1
    # A pool that does not exist is a configuration error, in one line.
    missing = runner.invoke(app, ["deploy", "--pool", "no-such-pool", "--inbox", str(inbox), "--plans", str(plans),
                                  "--db", str(db)])
    assert missing.exit_code == 2 and "--pool no-such-pool" in missing.output, missing.output


def test_prefect_server_that_does_not_start_is_tried_again_then_named(tmp_path):
    # Prefect's temporary server, for real, with start-up timeouts too short to make it (0.01 s): tried three times,
    # the run exits 1 in one line before touching anything; given a last try long enough, the run goes ahead.
    inbox, plans = inbox_with(tmp_path, {"acme/payroll/2025-01-10.csv": make_csv([row()])})
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"} | {"PREFECT_HOME": str(tmp_path / "prefect")}
    probe = ("import sys; import pipelines.cli as cli; cli.SERVER_START_TIMEOUTS = tuple(map(float, sys.argv[1].split(',')));"
             " from typer.testing import CliRunner; r = CliRunner().invoke(cli.app, sys.argv[2:]); print(r.output);"
             " print('EXIT', r.exit_code)")

    def attempt(timeouts: str, db: Path) -> str:
        return subprocess.run(
            [sys.executable, "-c", probe, timeouts, "run", "--inbox", str(inbox), "--plans", str(plans), "--db",
             str(db), "--as-of", "2025-02-01", "--report-dir", str(tmp_path / "reports")],
            capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300).stdout

    failed = attempt("0.01,0.01,0.01", tmp_path / "never.duckdb")
    assert "EXIT 1" in failed
    assert "run failed: Prefect's temporary server did not start (3 tries, up to 0.01 s each)" in failed
    assert "Traceback" not in failed and not (tmp_path / "never.duckdb").exists()
    recovered = attempt("0.01,0.01,120", tmp_path / "p.duckdb")
    assert "EXIT 0" in recovered, recovered
    with duckdb.connect(str(tmp_path / "p.duckdb"), read_only=True) as con:
        assert con.sql("SELECT sum(amount)::VARCHAR FROM ledger").fetchall() == [("90.00",)]  # $50 + $40, as above


@pytest.mark.usefixtures("prefect_harness")
def test_a_file_url_inbox_is_staged_per_run_archived_by_outcome_and_its_copies_removed(tmp_path):
    remote, plans = inbox_with(tmp_path, {
        "acme/payroll/2025-01-10.csv": make_csv([row()]),
        "acme/payroll/2025-01-24.csv": make_csv([row(pay_date="2025-01-24")], columns=("employee_id", "gross_pay")),
    })
    bad = (remote / "acme/payroll/2025-01-24.csv").read_bytes()
    settings = tmp_path / "planadmin.toml"
    settings.write_text(f'[inbox]\nquiet_seconds = 0\nlook_interval_seconds = 0\nstaging_dir = "{tmp_path / "staging"}"\n')
    db = tmp_path / "p.duckdb"
    # A run killed outright left its copies and an unheld lock; another run is going (it holds its lock).
    staging = tmp_path / "staging"
    (staging / "killed" / "acme" / "payroll").mkdir(parents=True)
    (staging / "killed" / "acme" / "payroll" / "x.csv").write_bytes(make_csv([row()]))
    (staging / "killed.lock").touch()
    (staging / "going").mkdir()
    going = subprocess.Popen([sys.executable, "-c", "import fcntl, sys, time; f = open(sys.argv[1], 'a'); "
                              "fcntl.flock(f, fcntl.LOCK_EX); print('held', flush=True); time.sleep(120)",
                              str(staging / "going.lock")], stdout=subprocess.PIPE, text=True)
    assert going.stdout.readline().strip() == "held"

    def night():  # noqa: ANN202
        return runner.invoke(app, ["run", "--inbox", remote.as_uri(), "--plans", str(plans), "--db", str(db),
                                   "--as-of", "2025-02-01", "--report-dir", str(tmp_path / "reports"), "--archive",
                                   "--settings", str(settings)])

    first = night()
    assert first.exit_code == 1, first.output  # one file rejected whole
    with duckdb.connect(str(db), read_only=True) as con:
        batches = dict(con.sql("SELECT status, batch_id FROM batches").fetchall())
    payroll = remote / "acme" / "payroll"
    assert sorted(p.relative_to(payroll).as_posix() for p in payroll.rglob("*.csv")) == [
        f"processed/2025-01-10.{batches['posted']}.csv", f"rejected/2025-01-24.{batches['rejected']}.csv"]
    # The employer sends the rejected content again: skipped as rejected before, said so, and archived with the
    # rejected. A plan with no plan file yet: its file is rejected, but stays where it is, for the night after.
    (payroll / "2025-01-24.csv").write_bytes(bad)
    (remote / "globex" / "payroll").mkdir(parents=True)
    (remote / "globex" / "payroll" / "2025-01-10.csv").write_bytes(make_csv([row(employee_id="G1")]))
    second = night()
    assert second.exit_code == 1, second.output  # globex's file rejected whole (no plan file)
    assert "act on: acme/payroll/2025-01-24.csv: sent again unchanged, rejected before as" in second.output
    assert "1 skipped (rejected before)" in second.output
    assert (remote / "globex" / "payroll" / "2025-01-10.csv").exists()
    (plans / "globex.toml").write_text(ACME_TOML.replace('"acme"', '"globex"'))
    third = night()
    assert third.exit_code == 0, third.output
    assert [p.name.split(".")[0] for p in (remote / "globex" / "payroll" / "processed").iterdir()] == ["2025-01-10"]
    assert (payroll / f"rejected/2025-01-24.{batches['rejected']}.csv").read_bytes() == bad
    assert not (payroll / "2025-01-24.csv").exists() and not list((payroll / "processed").glob("2025-01-24*"))
    # No night leaves its copies behind (participants' data at rest), and the killed run's were removed; the run
    # still going keeps its folder.
    going.kill()
    going.wait()
    assert sorted(p.name for p in staging.iterdir()) == ["going", "going.lock"]


def test_an_inbox_url_with_a_password_is_refused_before_anything_records_it(tmp_path):
    _inbox, plans = inbox_with(tmp_path, {})
    result = runner.invoke(app, ["run", "--inbox", "sftp://planadmin:hunter2/x@files.example.com/drop", "--plans",
                                 str(plans), "--db", str(tmp_path / "p.duckdb")])
    assert result.exit_code == 2
    assert "hunter2" not in result.output and "a password in the URL is refused" in result.output
    assert "sftp://planadmin:***@files.example.com/drop" in result.output


@pytest.mark.usefixtures("prefect_harness")
def test_an_unreachable_inbox_is_tried_again_then_fails_in_one_line(tmp_path):
    # A real SFTP connection to a port nobody listens on: refused (transient, so tried again), three tries with no
    # delay between them ([inbox] retry_delays_seconds = [0, 0]), then one line. The real command in its own
    # process, so what Prefect itself prints is seen too.
    from prefect.settings import PREFECT_API_URL

    from tests.sftp_server import free_port

    _inbox, plans = inbox_with(tmp_path, {})
    settings = tmp_path / "planadmin.toml"
    settings.write_text("[inbox]\nretry_delays_seconds = [0, 0]\nquiet_seconds = 0\nlook_interval_seconds = 0\n")
    url = f"sftp://planadmin@127.0.0.1:{free_port()}/drop"
    done = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "run", "--inbox", url, "--plans", str(plans), "--db",
         str(tmp_path / "p.duckdb"), "--settings", str(settings)], capture_output=True, text=True, cwd=tmp_path,
        env={**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), "PLANADMIN_SFTP_PASSWORD": "s3cret-pw"},
        timeout=300)
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"run failed: inbox {url}: could not be reached after 3 tries (NoValidConnectionsError); the files stay for "
        "the next run"]
    assert not (tmp_path / "p.duckdb").exists()


def test_serve_without_a_prefect_server_starts_one_with_its_scheduler_and_stops_it(tmp_path):
    # No PREFECT_API_URL: serve starts a real Prefect server (the temporary one has no scheduler), registers the
    # deployment with it, logs the server to PREFECT_HOME, and Ctrl-C stops both.
    import signal

    import httpx

    from tests.sftp_server import free_port

    inbox, plans = inbox_with(tmp_path, {"acme/payroll/2025-01-10.csv": make_csv([row()])})
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"} | {"PREFECT_HOME": str(tmp_path / "home")}
    serving = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "serve", "--port", str(port), "--inbox", str(inbox), "--plans",
         str(plans), "--db", str(tmp_path / "p.duckdb")], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    try:
        deadline, names = time.monotonic() + 180, []
        while not names and time.monotonic() < deadline and serving.poll() is None:
            time.sleep(1)
            try:
                names = [d["name"] for d in httpx.post(f"http://127.0.0.1:{port}/api/deployments/filter",
                                                       json={"limit": 10, "offset": 0}, timeout=5).json()]
            except httpx.HTTPError:
                pass
        assert names == ["planadmin-nightly"], serving.stdout.read() if serving.poll() is not None else names
    finally:
        serving.send_signal(signal.SIGINT)
        output = serving.communicate(timeout=60)[0]
    assert serving.returncode == 0, output
    assert f"Prefect server and UI: http://127.0.0.1:{port}" in output
    assert "Starting temporary server" not in output  # its own server, not Prefect's temporary one
    assert (tmp_path / "home" / "planadmin-server.log").is_file()
    with pytest.raises(httpx.HTTPError):  # the server went with it
        httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=5)
    # A Ctrl-C as soon as serve says it is serving, before Prefect's runner listens for one, is a clean stop too.
    serving = subprocess.Popen(serving.args, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    for line in serving.stdout:
        if line.startswith("Serving nightly"):
            break
    serving.send_signal(signal.SIGINT)
    output = serving.communicate(timeout=60)[0]
    assert serving.returncode == 0, output
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=5)
