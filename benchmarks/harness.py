"""Benchmark harness: planadmin against the CSV parse floor and a DuckDB-SQL peer, on the same files.

In one process it generates (``benchmarks/generate.py``) three years of payroll plus the first pay date of a
fourth, then measures, each in a child process, the median of ``--repeats`` runs of:

* ``floor``: polars ``read_csv`` of the first year's files (the physical floor of reading them);
* ``planadmin_full_year``: the nightly flow over the first year's inbox into an empty database;
* ``peer_full_year``: the same core rule in DuckDB SQL (read_csv, deferrals capped at 402(g) + catch-up with
  a running sum per person, tiered match, written to a table);
* ``night_floor``: polars ``read_csv`` of one new pay date's files;
* ``night_on_1y`` / ``night_on_3y``: the nightly flow over that one pay date on top of one year, and of three
  years, of history;
* ``night_nothing_new_on_1y``: the nightly flow over an empty inbox on that night, on one year of history: what a
  night costs before its first row (opening, the derived steps over every participant, the checks, Prefect);
* ``planadmin_year_one_file``: the full year again, with each plan's year of files joined into one file (the
  same rows, in the same order, posted as one batch): planadmin with its per-file costs gone, which bounds
  what processing a group's files as one frame could gain (``--no-one-file-year`` leaves it out).

``seconds`` is the work alone, timed inside a warm child (its imports done): for planadmin, a second run of
the flow in a process that has already run it once (``benchmarks/warm_run.py``), as a long-running Prefect
worker serving the nightly deployment runs it. The ratios compare these. ``cli_seconds`` is the whole
process from a cold start (Python and the imports; for planadmin the ``planadmin run`` command, Prefect and
the flow): the ``cold_`` ratios compare those, like for like with measurements before the warm ones existed.
``peak_rss_mib`` is the child's peak RSS. The runs share one Prefect server, as a deployment's runs do.
Prints a table of ratios to the floor and to the peer, and writes it as JSON.

    .venv/bin/python benchmarks/harness.py --employees 100000 --json benchmarks/results-100k.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from generate import Inbox, generate, pay_dates  # noqa: E402

YEARS = (2023, 2024, 2025)
#: Database bytes per payroll row of a full year at 100,000 employees before wide posting rows (main 2d02058,
#: measured on this generator's 2023 files: 212,086,784 bytes after a checkpoint / 2,552,918 rows).
BYTES_PER_ROW_BEFORE = 83.08
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")  # no network here

PEER_SQL = """
CREATE TABLE peer AS
WITH rows AS (
    SELECT employee_id, CAST(date_of_birth AS DATE) AS born, CAST(pay_date AS DATE) AS pay_date,
           TRY_CAST(gross_pay AS DECIMAL(18, 2)) AS pay,
           CAST(pretax_deferral_pct AS DECIMAL(5, 2)) AS pretax_pct, CAST(roth_deferral_pct AS DECIMAL(5, 2)) AS roth_pct
    FROM read_csv({files}, all_varchar = true, header = true)
),
counted AS (  -- 401(a)(17): pay counts up to the year's compensation limit
    SELECT *, CAST(least(cum_pay, {comp_limit}) - least(cum_pay - pay, {comp_limit}) AS DECIMAL(18, 2)) AS comp
    FROM (SELECT *, sum(pay) OVER (PARTITION BY employee_id, year(pay_date) ORDER BY pay_date
                                   ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum_pay
          FROM rows WHERE pay IS NOT NULL)
),
elected AS (
    SELECT *, round(comp * pretax_pct * 0.01, 2) + round(comp * roth_pct * 0.01, 2) AS elected,
           {limit_402g} + CASE WHEN year(pay_date) - year(born) >= 50 THEN {catch_up} ELSE 0 END AS room
    FROM counted
),
running AS (
    SELECT *, sum(elected) OVER (PARTITION BY employee_id, year(pay_date) ORDER BY pay_date
                                 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum_elected
    FROM elected
),
capped AS (  -- deferrals stop at 402(g) plus the catch-up room: a running sum, clipped
    SELECT *, CAST(greatest(least(cum_elected, room) - least(cum_elected - elected, room), 0) AS DECIMAL(18, 2))
               AS deferral
    FROM running
)
-- Exact DECIMAL arithmetic throughout: DuckDB divides decimals into DOUBLE (so percents multiply by 0.01), and
-- mixing a DECIMAL(38,2) (a window sum) with a 4-decimal amount narrows it to 2 decimals (so amounts are cast
-- back to DECIMAL(18,2), and greatest() gets 0.0000, not 0).
SELECT employee_id, pay_date, deferral,  -- match: 100% of the first 3% of pay, 50% of the next 2%
       round(least(deferral, comp * 0.03) + greatest(least(deferral, comp * 0.05) - comp * 0.03, 0.0000) * 0.5, 2) AS match
FROM capped
"""


def peer_sql(files: list[Path], limits: dict) -> str:
    """The DuckDB-SQL peer for one plan year's files; ``limits`` is that year's row of the limits frame."""
    def dollars(cents: int) -> str:  # an exact DECIMAL literal: a float would make the arithmetic DOUBLE
        return f"CAST('{cents // 100}.{cents % 100:02d}' AS DECIMAL(18, 2))"

    return PEER_SQL.format(
        files=[str(f) for f in files], comp_limit=dollars(limits["compensation_401a17_cents"]),
        limit_402g=dollars(limits["elective_deferral_402g_cents"]), catch_up=dollars(limits["catchup_50plus_cents"]),
    )


#: A child's last line of output: the seconds its work took, timed inside it after its imports.
TIMED = "import json, time\nstarted = time.perf_counter()\n{work}\nprint(json.dumps({{'seconds': time.perf_counter() - started}}))"


def child(imports: str, work: str, env: dict[str, str] | None = None) -> tuple[float, float, float]:
    """Run Python code in a child process: (its wall seconds, the seconds of ``work`` after ``imports``, its
    peak RSS in MiB)."""
    return run([sys.executable, "-c", imports + "\n" + TIMED.format(work=work)], env)


def run(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float | None, float]:
    """Run a command: (wall seconds, the seconds it reports as JSON on its last line if any, its peak RSS MiB)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)  # this child's own peak RSS
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        if os.waitstatus_to_exitcode(status) != 0:
            # planadmin exits 0 with rejected rows; anything else is a failed measurement.
            raise RuntimeError(f"{command[:3]} failed ({os.waitstatus_to_exitcode(status)}): "
                               f"{err.read().decode()[-2000:]}")
        lines = out.read().decode().strip().splitlines()
    reported = json.loads(lines[-1])["seconds"] if lines and lines[-1].startswith("{") else None
    return wall, reported, usage.ru_maxrss / 1024


def read_floor(paths: list[Path]) -> tuple[str, str]:
    return "import polars as pl", f"for p in {[str(p) for p in paths]!r}: pl.read_csv(p, infer_schema=False)"


def planadmin(inbox: Path, plans: Path, db: Path, as_of: str, env: dict[str, str]) -> list[str]:
    exe = shutil.which("planadmin", path=str(Path(sys.executable).parent)) or "planadmin"
    return [exe, "run", "--inbox", str(inbox), "--plans", str(plans), "--db", str(db), "--as-of", as_of]


def planadmin_warm(inbox: Path, plans: Path, db: Path, as_of: str) -> list[str]:
    return [sys.executable, str(HERE / "warm_run.py"), "--inbox", str(inbox), "--plans", str(plans), "--db", str(db),
            "--as-of", as_of]


def subset(inbox: Inbox, target: Path, keep) -> Path:  # noqa: ANN001 - keep: (date) -> bool
    """A new inbox folder holding hard links to the files whose pay date ``keep`` accepts."""
    for plan_id, files in inbox.files.items():
        folder = target / plan_id / "payroll"
        folder.mkdir(parents=True, exist_ok=True)
        for day, path in files:
            if keep(day):
                os.link(path, folder / path.name)
    return target


def one_file_per_plan(inbox: Inbox, target: Path, years: tuple[int, ...]) -> Path:
    """A new inbox folder with one payroll file per plan: the header of its first file of ``years``, then the
    rows of each of those files in pay-date order (every generated file has the same header)."""
    for plan_id, files in inbox.files.items():
        paths = [path for day, path in files if day.year in years]
        if not paths:
            continue
        folder = target / plan_id / "payroll"
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / f"{plan_id}_{'-'.join(map(str, years))}.csv", "wb") as out:
            for i, path in enumerate(paths):
                header, _, body = path.read_bytes().partition(b"\n")
                out.write(header + b"\n" if i == 0 else b"")
                out.write(body)
    return target


def median_of(repeats: int, measure) -> dict[str, float]:  # noqa: ANN001 - measure: () -> dict[str, float]
    """Medians of each measured figure over ``repeats`` runs; for peak RSS, the largest."""
    results = [measure() for _ in range(repeats)]
    return {key: (max if key == "peak_rss_mib" else statistics.median)(r[key] for r in results) for key in results[0]}


def timed_child(imports: str, work: str) -> dict[str, float]:
    wall, seconds, rss = child(imports, work)
    return {"seconds": seconds, "peak_rss_mib": rss, "cli_seconds": wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--plans", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, default=HERE / "results.json")
    parser.add_argument("--workdir", type=Path, default=None, help="keep the data here instead of a temp folder")
    parser.add_argument("--one-file-year", action=argparse.BooleanOptionalAction, default=True,
                        help="also time the full year with each plan's files joined into one")
    args = parser.parse_args()

    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    from pipelines.limits import load_irs_limits

    limits = load_irs_limits().filter(pl_year(YEARS[0])).row(0, named=True)
    work = Path(tempfile.mkdtemp(prefix="planadmin-bench-", dir=args.workdir))
    try:
        started = time.perf_counter()
        next_year = YEARS[-1] + 1
        night = pay_dates((next_year,), "biweekly")[0]
        inbox = generate(work / "data", args.employees, args.plans, (*YEARS, next_year))
        year_files = inbox.paths((YEARS[0],))
        night_files = [p for files in inbox.files.values() for d, p in files if d == night]
        print(f"generated {len(inbox.paths())} files in {time.perf_counter() - started:.0f} s")
        inboxes = {
            year: subset(inbox, work / f"inbox-{year}", lambda d, y=year: d.year == y) for year in YEARS
        }
        night_inbox = subset(inbox, work / "inbox-night", lambda d: d == night)
        rows = {"year": count_rows(year_files), "night": count_rows(night_files)}

        with prefect_test_harness(server_startup_timeout=120):
            env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()}
            results: dict[str, dict[str, float]] = {}
            results["floor"] = median_of(args.repeats, lambda: timed_child(*read_floor(year_files)))
            results["night_floor"] = median_of(args.repeats, lambda: timed_child(*read_floor(night_files)))
            peer = peer_sql(year_files, limits)
            results["peer_full_year"] = median_of(args.repeats, lambda: timed_child(
                "import duckdb, os, tempfile",
                f"d = tempfile.mkdtemp()\ncon = duckdb.connect(os.path.join(d, 'p.duckdb'))\ncon.execute({peer!r})\n"
                "con.close()"))

            def planadmin_run(inbox_dir: Path, db: Path, as_of: str, history: Path | None) -> dict[str, float]:
                """The warm run (measured) and the cold command (for information), each on its own copy."""
                figures = {}
                for mode in ("warm", "cli"):
                    db.unlink(missing_ok=True)
                    Path(f"{db}.wal").unlink(missing_ok=True)
                    if history is not None:
                        shutil.copy(history, db)
                    if mode == "warm":
                        _, seconds, rss = run(planadmin_warm(inbox_dir, inbox.plans_dir, db, as_of), env)
                        figures.update(seconds=seconds, peak_rss_mib=rss)
                    else:
                        figures["cli_seconds"] = run(planadmin(inbox_dir, inbox.plans_dir, db, as_of, env), env)[0]
                return figures

            one_year = work / "history-1y.duckdb"
            as_of_year_end = lambda year: f"{year}-12-31"  # noqa: E731

            def full_year() -> dict[str, float]:
                db = work / "full-year.duckdb"
                measured = planadmin_run(inboxes[YEARS[0]], db, as_of_year_end(YEARS[0]), None)
                measured["database_bytes"] = database_bytes(db)
                shutil.copy(db, one_year)
                return measured

            results["planadmin_full_year"] = median_of(args.repeats, full_year)
            if args.one_file_year:
                joined = one_file_per_plan(inbox, work / "inbox-year-one-file", (YEARS[0],))
                results["planadmin_year_one_file"] = median_of(args.repeats, lambda: planadmin_run(
                    joined, work / "one-file.duckdb", as_of_year_end(YEARS[0]), None))
            # The first year's true-up, as the night it falls due posts it: otherwise the night measured on one
            # year of history would also post that overdue true-up, and the night on three years would not.
            empty = work / "inbox-empty"
            empty.mkdir()
            run(planadmin(empty, inbox.plans_dir, one_year, f"{YEARS[0] + 1}-01-31", env), env)
            three_years = work / "history-3y.duckdb"
            shutil.copy(one_year, three_years)
            for year in YEARS[1:]:
                run(planadmin(inboxes[year], inbox.plans_dir, three_years, as_of_year_end(year), env), env)

            def night_on(history: Path) -> dict[str, float]:
                return planadmin_run(night_inbox, work / "night.duckdb", night.isoformat(), history)

            results["night_on_1y"] = median_of(args.repeats, lambda: night_on(one_year))
            results["night_nothing_new_on_1y"] = median_of(args.repeats, lambda: planadmin_run(
                empty, work / "night.duckdb", night.isoformat(), one_year))
            results["night_on_3y"] = median_of(args.repeats, lambda: night_on(three_years))
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)

    report = summarize(results, rows, args)
    args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print_table(report)
    print(f"written to {args.json}")


def database_bytes(db: Path) -> float:
    """The database's size once its write-ahead log is checkpointed into it (what a year of history costs on disk)."""
    import duckdb

    with duckdb.connect(str(db)) as con:
        con.execute("CHECKPOINT")
    return float(db.stat().st_size)


def pl_year(year: int):  # noqa: ANN201
    import polars as pl

    return pl.col("plan_year") == year


def count_rows(paths: list[Path]) -> int:
    import polars as pl

    return sum(pl.scan_csv(p, infer_schema=False).select(pl.len()).collect().item() for p in paths)


def summarize(results: dict[str, dict[str, float]], rows: dict[str, int], args: argparse.Namespace) -> dict:
    floor, night_floor = results["floor"]["seconds"], results["night_floor"]["seconds"]
    peer_ratio = results["peer_full_year"]["seconds"] / floor
    return {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "employees": args.employees, "plans": args.plans, "repeats": args.repeats,
        "rows": rows,
        "phases": results,
        "ratios": {
            "full_year_to_floor": results["planadmin_full_year"]["seconds"] / floor,
            "peer_to_floor": peer_ratio,
            "full_year_to_peer": results["planadmin_full_year"]["seconds"] / results["peer_full_year"]["seconds"],
            "night_on_1y_to_night_floor": results["night_on_1y"]["seconds"] / night_floor,
            "night_on_3y_to_night_floor": results["night_on_3y"]["seconds"] / night_floor,
            "night_3y_to_1y": results["night_on_3y"]["seconds"] / results["night_on_1y"]["seconds"],
            "night_nothing_new_to_night": (
                results["night_nothing_new_on_1y"]["seconds"] / results["night_on_1y"]["seconds"]
            ),
            **({"year_one_file_to_peer": (
                results["planadmin_year_one_file"]["seconds"] / results["peer_full_year"]["seconds"]
            )} if "planadmin_year_one_file" in results else {}),
            "database_bytes_per_payroll_row": results["planadmin_full_year"]["database_bytes"] / rows["year"],
            # The whole processes from a cold start (Python, imports, Prefect): comparable with results before
            # the warm measurement existed.
            "cold_full_year_to_floor": results["planadmin_full_year"]["cli_seconds"] / results["floor"]["cli_seconds"],
            "cold_peer_to_floor": results["peer_full_year"]["cli_seconds"] / results["floor"]["cli_seconds"],
            "cold_night_on_1y_to_night_floor": (
                results["night_on_1y"]["cli_seconds"] / results["night_floor"]["cli_seconds"]
            ),
        },
        # Issue 16's targets: the night in seconds of work, and the full year against the peer on the same files.
        "targets": {
            "full_year_to_peer": 3.0, "night_on_1y_seconds": 1.0, "night_3y_to_1y": 1.2, "peak_rss_mib": 4096,
            "database_bytes_per_payroll_row": BYTES_PER_ROW_BEFORE / 2,
        },
    }


def print_table(report: dict) -> None:
    print(f"{report['employees']:,} employees in {report['plans']} plans; {report['rows']['year']:,} rows a year, "
          f"{report['rows']['night']:,} a night; medians of {report['repeats']}")
    print(f"{'phase':<22}{'seconds':>10}{'peak RSS MiB':>14}{'cold process s':>16}")
    for name, phase in report["phases"].items():
        cold = f"{phase['cli_seconds']:>16.2f}" if "cli_seconds" in phase else ""
        print(f"{name:<22}{phase['seconds']:>10.2f}{phase['peak_rss_mib']:>14.0f}{cold}")
    for name, ratio in report["ratios"].items():
        print(f"{name:<30}{ratio:>8.2f}")


if __name__ == "__main__":
    main()
