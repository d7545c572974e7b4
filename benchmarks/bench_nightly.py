"""Benchmark: a year of biweekly nights for a large plan, timed night by night.

Generates ``--employees`` people × ``--nights`` biweekly payroll files (polars, vectorised) into a temporary
inbox, then posts them one night at a time with the same code the flow runs (``process_payroll_file``,
without Prefect's per-task overhead), and prints rows/s per night. The last nights' cost should match the
first nights': a night's cost follows its new rows, not the ledger's history.

    .venv/bin/python benchmarks/bench_nightly.py --employees 50000 --nights 26
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

import polars as pl

from pipelines.store.checks import run_checks
from pipelines.store import Database
from pipelines.limits import load_irs_limits
from pipelines.payroll_batch import process_payroll_file
from schemas.plan import parse_plan_text

PLAN = parse_plan_text(
    'plan_id = "bench"\nname = "Benchmark"\n[match]\n'
    "tiers = [{ up_to_pct = 3, rate_pct = 100 }, { up_to_pct = 5, rate_pct = 50 }]\n",
    "bench.toml",
)


def people(n: int) -> pl.DataFrame:
    i = pl.int_range(0, n, eager=True)
    return pl.DataFrame({"i": i}).select(
        pl.format("E{}", pl.col("i").cast(pl.Utf8).str.zfill(8)).alias("employee_id"),
        (pl.date(1960, 1, 1) + pl.duration(days=(pl.col("i") * 7919) % 14_000)).dt.strftime("%Y-%m-%d").alias("date_of_birth"),
        pl.lit("2015-03-01").alias("hire_date"),
        # Biweekly pay $1,200-$19,000: the top earners reach the 402(g) limit mid-year.
        (120_000 + (pl.col("i") * 104_729) % 1_780_000).alias("pay_cents"),
        ((pl.col("i") * 31) % 1_600).alias("pretax_bp"),
        ((pl.col("i") * 17) % 500).alias("roth_bp"),
    )


def write_night(base: pl.DataFrame, pay_date: dt.date, path: Path) -> int:
    def money(col: str) -> pl.Expr:
        return pl.format("{}.{}", pl.col(col) // 100, (pl.col(col) % 100).cast(pl.Utf8).str.zfill(2))

    def pct(col: str) -> pl.Expr:
        return pl.format("{}.{}", pl.col(col) // 100, (pl.col(col) % 100).cast(pl.Utf8).str.zfill(2))

    base.select(
        "employee_id", "date_of_birth", "hire_date", pl.lit(pay_date.isoformat()).alias("pay_date"),
        money("pay_cents").alias("gross_pay"), pct("pretax_bp").alias("pretax_deferral_pct"),
        pct("roth_bp").alias("roth_deferral_pct"),
    ).write_csv(path)
    return base.height


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=50_000)
    parser.add_argument("--nights", type=int, default=26)
    args = parser.parse_args()
    limits = load_irs_limits()
    base = people(args.employees)
    with tempfile.TemporaryDirectory() as tmp:
        inbox = Path(tmp) / "INBOX" / "bench" / "payroll"
        inbox.mkdir(parents=True)
        first = dt.date(2025, 1, 10)
        files = []
        for k in range(args.nights):
            path = inbox / f"night_{k:02d}.csv"
            write_night(base, first + dt.timedelta(days=14 * k), path)
            files.append(path)
        timings = []
        with Database(Path(tmp) / "bench.duckdb") as ledger:
            for path in files:
                start = time.perf_counter()
                result = process_payroll_file(
                    ledger, plan_id="bench", plan=PLAN, path=path, file_name=path.name, run_id="bench", limits=limits
                )
                elapsed = time.perf_counter() - start
                timings.append(elapsed)
                print(f"{path.name}: {result.rows_posted:,} rows posted in {elapsed:.2f} s "
                      f"({result.rows_posted / elapsed:,.0f} rows/s)")
            start = time.perf_counter()
            failures = run_checks(ledger)
            checks = time.perf_counter() - start
            entries = ledger.frame("SELECT count(*) n FROM ledger")["n"].item()
        total_rows = args.employees * args.nights
        print(f"total: {total_rows:,} payroll rows, {entries:,} ledger entries in {sum(timings):.1f} s "
              f"({total_rows / sum(timings):,.0f} rows/s); checks {checks:.1f} s, failures: {len(failures)}")
        head, tail = sum(timings[:3]) / 3, sum(timings[-3:]) / 3
        print(f"first three nights {head:.2f} s each, last three {tail:.2f} s each (ratio {tail / head:.2f})")


if __name__ == "__main__":
    main()
