"""The benchmark's data and its DuckDB-SQL peer: the peer must compute the same core rule as planadmin, or the
comparison means nothing. Small sizes only; the benchmark itself runs with `make bench`."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

from generate import generate  # noqa: E402
from harness import one_file_per_plan, peer_sql  # noqa: E402

from pipelines.store import Database  # noqa: E402
from pipelines.payroll_batch import process_payroll_file  # noqa: E402
from schemas.plan import load_plan  # noqa: E402


def test_the_generator_is_deterministic(tmp_path):
    first = generate(tmp_path / "a", 300, 2, (2023,))
    second = generate(tmp_path / "b", 300, 2, (2023,))
    a, b = first.paths(), second.paths()
    assert len(a) == 52 and [p.read_bytes() for p in a] == [p.read_bytes() for p in b]


def test_the_peer_posts_what_planadmin_posts(tmp_path, limits):
    # 2023: no 60-63 catch-up and no Roth catch-up rule, which the peer leaves out; everything else it has.
    inbox = generate(tmp_path / "data", 400, 1, (2023,), bad_every=500)
    files = inbox.paths()
    plan = load_plan(inbox.plans_dir / "plan00.toml")
    with Database(tmp_path / "p.duckdb") as ledger:
        for path in files:
            result = process_payroll_file(ledger, plan_id="plan00", plan=plan, path=path, file_name=path.name,
                                          run_id="t", limits=limits)
            assert result.status == "posted"
        ours = ledger.frame(
            "SELECT employee_id, sum(amount) FILTER (WHERE source NOT IN ('match', 'loan_repayment')) AS deferral, "
            "sum(amount) FILTER (WHERE source = 'match') AS match FROM ledger GROUP BY ALL ORDER BY ALL")
        rejected = ledger.frame("SELECT count(DISTINCT (batch_id, line_number)) FROM rejections").item()
    con = duckdb.connect()
    con.execute(peer_sql(files, limits.filter(pl.col("plan_year") == 2023).row(0, named=True)))
    peer = pl.from_arrow(con.sql(
        "SELECT employee_id, sum(deferral) AS deferral, sum(match) AS match FROM peer GROUP BY ALL "
        "HAVING sum(deferral) <> 0 OR sum(match) <> 0 ORDER BY ALL"  # the ledger has no zero entries
    ).to_arrow_table())
    assert rejected > 0  # the planted bad pay values are rejected by both
    assert ours.height == peer.height > 300
    same = [pl.col("deferral", "match").fill_null(0).cast(pl.Decimal(18, 2))]
    assert ours.with_columns(same).equals(peer.with_columns(same))


def test_a_plans_year_joined_into_one_file_posts_what_its_files_post(tmp_path, limits):
    # make bench's planadmin_year_one_file bounds what processing a group's files as one frame could gain: it must
    # post the same money (same rows in the same order: one file per pay date, pay dates increasing), in one batch.
    inbox = generate(tmp_path / "data", 120, 1, (2023, 2024), bad_every=300)
    joined = one_file_per_plan(inbox, tmp_path / "joined", (2023,))
    plan = load_plan(inbox.plans_dir / "plan00.toml")
    per_file = [p for d, p in inbox.files["plan00"] if d.year == 2023]
    (one,) = sorted((joined / "plan00" / "payroll").iterdir())
    # 26 biweekly files a year (a leaver's rows stop): one header, then every file's lines but its header.
    assert len(per_file) == 26
    assert one.read_bytes().count(b"\n") == 1 + sum(p.read_bytes().count(b"\n") - 1 for p in per_file) > 26 * 100

    def posted(paths: list[Path], name: str) -> tuple[pl.DataFrame, int]:
        with Database(tmp_path / f"{name}.duckdb") as db:
            for path in paths:
                process_payroll_file(db, plan_id="plan00", plan=plan, path=path, file_name=path.name, run_id="t",
                                     limits=limits)
            return (db.frame("SELECT employee_id, source, sum(amount) AS amount FROM ledger GROUP BY ALL ORDER BY ALL"),
                    db.frame("SELECT count(*) FROM rejections").item())

    (by_file, rejected_by_file), (by_one, rejected_by_one) = posted(per_file, "by-file"), posted([one], "one")
    assert by_file.height > 120 and rejected_by_file > 0  # every person has money; the planted bad values
    assert by_one.equals(by_file) and rejected_by_one == rejected_by_file


@pytest.mark.usefixtures("prefect_harness")
def test_the_warm_run_script_runs_a_clean_night(tmp_path):
    # What `make bench` times, on a small inbox: it must keep up with the flow's signature (it calls it directly).
    import json
    import os
    import subprocess

    from prefect.settings import PREFECT_API_URL

    inbox = generate(tmp_path / "data", 60, 1, (2023,))
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "warm_run.py"), "--inbox", str(tmp_path / "data" / "INBOX"),
         "--plans", str(tmp_path / "data" / "PLANS"), "--db", str(tmp_path / "b.duckdb"), "--as-of", "2024-01-15"],
        capture_output=True, text=True, env={**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()}, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.splitlines()[-1])["files"] >= len(inbox.paths())  # every file, then the steps
