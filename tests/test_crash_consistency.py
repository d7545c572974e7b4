"""Crash consistency, tested by killing the real process.

The demo inbox (3 plans, 4 census, 78 payroll and 4 balances files, bad rows, a true-up, terminations with
forfeitures) is run once to completion into a reference database. Then ``planadmin run`` is started again and
again against a second database and killed with SIGKILL after a random delay spread over the length of a
whole run; each new run continues where the killed one stopped. A last run completes. Every table that holds
money, audit or derived state must then equal the reference, row for row (run ids and wall-clock timestamps
aside).

``PLANADMIN_KILLS`` sets the number of kills (default 20: the demo has three plans now, and a run takes about
35 s on 2 cores); ``make soak`` runs the soak-marked variant.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "fixtures" / "demo"
AS_OF = "2026-01-15"  # acme's 2025 true-up is due on 15 January: the run posts it too

# Columns that legitimately differ between two runs: which run, and when.
VOLATILE = {"run_id", "started_at", "finished_at", "superseded_by_run"}
TABLES = {
    "ledger": "entry_id",
    "batches": "batch_id",
    "rejections": "batch_id, line_number, column_name, reason_code",
    "payroll_lines": "plan_id, employee_id, pay_date",
    "ytd_totals": "plan_id, employee_id, plan_year",
    "participants": "plan_id, employee_id",
    "limit_events": "plan_id, employee_id, plan_year, limit_name, reached_on, source",
    "notices": "batch_id, line_number, code",
    "true_ups": "plan_id, employee_id, plan_year",
    "census_lines": "batch_id, line_number",
    "balance_statements": "plan_id, employee_id, source, as_of_date",
    "terminations": "plan_id, employee_id, termination_date",
    "termination_reports": "plan_id, employee_id, processed_date, batch_id",
    "rmd_notices": "plan_id, employee_id, distribution_year",
    "rmd_notice_history": "plan_id, employee_id, distribution_year, superseded_on",
    "rollover_eligibility": "plan_id, employee_id",
    "rollover_eligibility_history": "plan_id, employee_id, superseded_on",
    "plans": "plan_id",
    "match_windows": "plan_id, employee_id",
    "projections": "plan_id, employee_id",
    "match_variances": "plan_id, employee_id, pay_date",
}


def _command(db: Path) -> list[str]:
    exe = shutil.which("planadmin", path=str(Path(sys.executable).parent)) or "planadmin"
    return [exe, "run", "--inbox", str(DEMO / "INBOX"), "--plans", str(DEMO / "PLANS"), "--db", str(db),
            "--as-of", AS_OF]


def _env(tmp_path: Path) -> dict[str, str]:
    from prefect.settings import PREFECT_API_URL

    # Share the session's test server: starting a temporary one per run would dominate the test's time.
    return {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), "PREFECT_HOME": str(tmp_path / "prefect")}


def _snapshot(db: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(db), read_only=True) as con:
        snap = {}
        for table, order in TABLES.items():
            columns = [c for (c,) in con.sql(
                f"SELECT column_name FROM information_schema.columns WHERE table_name = '{table}' "
                "ORDER BY ordinal_position").fetchall() if c not in VOLATILE]
            snap[table] = con.sql(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {order}").fetchall()
        return snap


def _kill_and_resume(tmp_path: Path, kills: int, seed: int) -> None:
    """Kill ``kills`` runs at random points. Each episode starts from an empty database and runs until a run
    finishes by itself; its database must then equal the reference. A run's delay is drawn over a whole
    run's length, so kill points fall in start-up, reading, posting, true-up, terminations and checks alike."""
    env = _env(tmp_path)
    reference = tmp_path / "reference.duckdb"
    started = time.monotonic()
    done = subprocess.run(_command(reference), env=env, capture_output=True, text=True, timeout=600)
    whole_run = time.monotonic() - started
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    expected = _snapshot(reference)
    assert sum(len(rows) for rows in expected.values()) > 10_000  # the comparison covers real work

    rng = random.Random(seed)
    killed, episode = 0, 0
    crashed = tmp_path / f"crashed-{episode}.duckdb"
    while True:
        process = subprocess.Popen(_command(crashed), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        delay = rng.uniform(0.2, whole_run) if killed < kills else None
        try:
            output, _ = process.communicate(timeout=delay)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.communicate()
            killed += 1
            continue
        assert process.returncode == 0, output.decode()[-3000:]
        actual = _snapshot(crashed)
        for table in TABLES:
            assert actual[table] == expected[table], f"episode {episode} after {killed} kills: {table} differs"
        if killed >= kills:
            return
        episode += 1
        crashed = tmp_path / f"crashed-{episode}.duckdb"


@pytest.mark.usefixtures("prefect_harness")
def test_killed_at_random_points_a_rerun_reaches_the_uninterrupted_state(tmp_path):
    _kill_and_resume(tmp_path, kills=int(os.environ.get("PLANADMIN_KILLS", "20")), seed=20261123)


@pytest.mark.soak
@pytest.mark.usefixtures("prefect_harness")
def test_soak_many_kills(tmp_path):
    _kill_and_resume(tmp_path, kills=int(os.environ.get("PLANADMIN_SOAK_KILLS", "200")), seed=int(time.time()))


@pytest.mark.usefixtures("prefect_harness")
def test_two_runs_at_once_never_double_post(tmp_path):
    """Two ``planadmin run`` processes on one database: the one that cannot have it exits 1 saying so (or,
    if the first had already finished, skips everything); the ledger is what one run alone makes."""
    env = _env(tmp_path)
    reference, shared = tmp_path / "reference.duckdb", tmp_path / "shared.duckdb"
    assert subprocess.run(_command(reference), env=env, capture_output=True, timeout=600).returncode == 0
    first = subprocess.Popen(_command(shared), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    second = subprocess.Popen(_command(shared), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    results = [(p.wait(timeout=600), *p.communicate()) for p in (first, second)]
    codes = sorted(code for code, _, _ in results)
    assert codes in ([0, 0], [0, 1]), results
    for code, out, err in results:
        if code == 1:
            assert "in use by another process" in out + err
    assert _snapshot(shared) == _snapshot(reference)
