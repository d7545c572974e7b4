"""Benchmark: the participant calculators' pure rules at nightly scale, each timed on its own.

Builds ``--people`` synthetic active participants (deterministic, ``--seed``): pay $500-$15,000 a period, total
deferral rates 0-30% (some split pre-tax/Roth), ages 22-70 (those 50+ with a catch-up room, 60-63 the higher
one), rooms partly used year to date, a few high earners near 401(a)(17). Then, for each demo plan
(``fixtures/demo/PLANS/acme.toml`` and ``globex.toml``), times

* ``match_window(people, plan)`` with ``--remaining`` pay dates left (default 26), and
* ``project_years(...)`` + ``summarize(...)`` under the default assumptions,

as the median of ``--repeats`` runs after one warm-up run, and prints the seconds. Not part of the test suite.

    .venv/bin/python benchmarks/bench_calculators.py --people 100000

``--save DIR`` also writes each output to ``DIR/<plan>_<output>.parquet`` (to compare two versions' outputs).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.limits import load_irs_limits
from pipelines.rules.match_window import match_window
from pipelines.rules.projection import Assumptions, project_years, summarize
from schemas.plan import PlanConfig, load_plan

ROOT = Path(__file__).resolve().parent.parent
PLANS = ("acme", "globex")
AS_OF = date(2026, 1, 31)
PLAN_YEAR = 2026
PERIODS_PER_YEAR = 26


def build_people(n: int, seed: int = 20260131) -> pl.DataFrame:
    """``n`` participants with everything both calculators need (and a little more)."""
    rng = np.random.default_rng(seed)
    # Ages 22-70 on the as-of date: born that many years (and up to a year more) before it.
    age = rng.integers(22, 71, n)
    birth = (np.datetime64(AS_OF.isoformat(), "D")
             - np.round(age * 365.25 + rng.uniform(0, 365, n)).astype("timedelta64[D]"))
    year_end_age = PLAN_YEAR - birth.astype("datetime64[Y]").astype(np.int64) - 1970  # IRC §414(v)(5)
    # Pay $500-$15,000 a period, skewed low as payrolls are (a log-uniform spread).
    pay = np.round(np.exp(rng.uniform(np.log(50_000), np.log(1_500_000), n))).astype(np.int64)
    total_bp = rng.integers(0, 3_001, n)
    total_bp[rng.random(n) < 0.15] = 0  # some elect nothing
    round_pct = rng.random(n) < 0.6  # most elect whole percents
    total_bp[round_pct] = total_bp[round_pct] // 100 * 100
    roth_share = np.where(rng.random(n) < 0.25, rng.uniform(0, 1, n), 0.0)
    roth_bp = np.floor(total_bp * roth_share).astype(np.int64)
    pretax_bp = total_bp - roth_bp
    # Rooms left this year (2026 limits): most untouched, some partly or wholly used (rehires, transfers in).
    regular_limit, catch_up_50, catch_up_60_63, comp_limit = 2_450_000, 800_000, 1_125_000, 36_000_000
    used_share = np.where(rng.random(n) < 0.3, rng.uniform(0, 1.05, n), 0.0).clip(0, 1)
    regular_left = (regular_limit * (1 - used_share)).astype(np.int64)
    catch_up = np.where((year_end_age >= 60) & (year_end_age <= 63), catch_up_60_63,
                        np.where(year_end_age >= 50, catch_up_50, 0))
    catch_up_left = (catch_up * np.where(rng.random(n) < 0.2, rng.uniform(0, 1, n), 1.0)).astype(np.int64)
    comp_used = np.where(rng.random(n) < 0.1, rng.uniform(0, 1.02, n), 0.0).clip(0, 1)
    comp_left = (comp_limit * (1 - comp_used)).astype(np.int64)
    balance = np.round(np.exp(rng.uniform(np.log(100), np.log(200_000_000), n))).astype(np.int64)
    return pl.DataFrame({
        "employee_id": [f"E{i:07d}" for i in range(n)],
        "date_of_birth": birth,
        "plan_year": np.full(n, PLAN_YEAR, np.int32),
        "period_compensation_cents": pay,
        "pretax_deferral_bp": pretax_bp.astype(np.int64),
        "roth_deferral_bp": roth_bp,
        "regular_room_left_cents": regular_left,
        "catch_up_room_left_cents": catch_up_left,
        "compensation_room_left_cents": comp_left,
        "balance_cents": balance,
    }).with_columns(pl.col("date_of_birth").cast(pl.Date))


def window_people(people: pl.DataFrame, remaining: int) -> pl.DataFrame:
    return people.select(
        "employee_id", "plan_year", "period_compensation_cents", "pretax_deferral_bp", "roth_deferral_bp",
        pl.lit(remaining, pl.Int64).alias("remaining_periods"),
        "regular_room_left_cents", "catch_up_room_left_cents", "compensation_room_left_cents",
    )


def projection_people(people: pl.DataFrame) -> pl.DataFrame:
    return people.select(
        "employee_id", "date_of_birth", "balance_cents",
        (pl.col("period_compensation_cents") * PERIODS_PER_YEAR).alias("annual_compensation_cents"),
        "pretax_deferral_bp", "roth_deferral_bp",
    )


def timed(fn: Callable[[], object], repeats: int) -> tuple[float, object]:
    """The median of ``repeats`` timed runs after one untimed warm-up, and the last result."""
    result = fn()
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--remaining", type=int, default=26, help="pay dates left this year")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20260131)
    parser.add_argument("--plans", nargs="+", default=list(PLANS), choices=PLANS)
    parser.add_argument("--save", type=Path, help="write each output to DIR/<plan>_<output>.parquet")
    args = parser.parse_args()

    people = build_people(args.people, args.seed)
    windows_in = window_people(people, args.remaining)
    projection_in = projection_people(people)
    limits = load_irs_limits()
    assumptions = Assumptions()
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)

    print(f"{args.people:,} people, {args.remaining} pay dates left, as of {AS_OF}; "
          f"median of {args.repeats} after a warm-up, pl {pl.__version__}, {pl.thread_pool_size()} threads")
    for name in args.plans:
        plan: PlanConfig = load_plan(ROOT / "fixtures" / "demo" / "PLANS" / f"{name}.toml")
        window_s, windows = timed(lambda: match_window(windows_in, plan), args.repeats)

        def projection() -> tuple[pl.DataFrame, pl.DataFrame]:
            years = project_years(projection_in, plan, limits, assumptions, AS_OF)
            return years, summarize(projection_in, years, assumptions, AS_OF)

        years_s, years = timed(lambda: project_years(projection_in, plan, limits, assumptions, AS_OF), args.repeats)
        both_s, (years, summary) = timed(projection, args.repeats)
        print(f"{name:7s} match_window                  {window_s:7.3f} s  ({windows.height:,} rows)")
        print(f"{name:7s} project_years                 {years_s:7.3f} s  ({years.height:,} rows)")
        print(f"{name:7s} project_years + summarize     {both_s:7.3f} s  ({summary.height:,} rows)")
        if args.save:
            windows.write_parquet(args.save / f"{name}_match_window.parquet")
            years.write_parquet(args.save / f"{name}_years.parquet")
            summary.write_parquet(args.save / f"{name}_summary.parquet")


if __name__ == "__main__":
    main()
