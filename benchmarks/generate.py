"""Deterministic generator of realistic payroll inboxes for benchmarks (polars, vectorised, no randomness
beyond integer hashes of the row position, so the same arguments always give the same bytes).

People are spread over ``plans`` plans. Each has a date of birth (ages 21-72 in the first year, so catch-up
and the 60-63 catch-up occur), a hire date, pay that varies a little by pay date (the top earners reach 402(g)
and 401(a)(17) mid-year), pre-tax and Roth elections (some at zero, some above the 402(g) pace), hours, and
about 4% a year leave (their last row carries the termination). About one row in ``bad_every`` has a value the
validation rejects (a ``$`` in the pay). One file per plan and pay date:
``INBOX/<plan>/payroll/<plan>_<YYYY-MM-DD>.csv``.

    .venv/bin/python benchmarks/generate.py --employees 100000 --plans 4 --years 2023 2024 --out /tmp/inbox
"""

from __future__ import annotations

import argparse
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl

PERIODS = {"biweekly": 14, "weekly": 7}
PLAN_TOML = """plan_id = "{plan_id}"
name = "Benchmark plan {plan_id}"
[match]
tiers = [ {{ up_to_pct = 3, rate_pct = 100 }}, {{ up_to_pct = 5, rate_pct = 50 }} ]
[true_up]
enabled = true
on = "01-31"
[vesting]
schedule = [0, 0, 20, 40, 60, 80, 100]
"""


@dataclass(frozen=True)
class Inbox:
    root: Path
    plans_dir: Path
    #: (pay date, path) per plan, in pay-date order
    files: dict[str, list[tuple[dt.date, Path]]]

    def paths(self, years: tuple[int, ...] | None = None) -> list[Path]:
        return [p for files in self.files.values() for d, p in files if years is None or d.year in years]


def _hash(column: pl.Expr, salt: int, modulo: int) -> pl.Expr:
    """A deterministic pseudo-random integer in [0, modulo) from an integer column."""
    return ((column * 2_654_435_761 + salt * 40_503) % 4_294_967_291) % modulo


def people(employees: int, first_year: int, years: int = 1) -> pl.DataFrame:
    """One row per person: ids, dates, the base pay and elections (cents, basis points), and for about 4% a
    day within the ``years`` generated when they leave."""
    i = pl.int_range(0, employees, eager=True).alias("i").to_frame()
    born = pl.date(first_year - 72, 1, 1) + pl.duration(days=_hash(pl.col("i"), 1, 51 * 365))
    hired = pl.date(first_year - 25, 1, 1) + pl.duration(days=_hash(pl.col("i"), 2, 25 * 365))
    return i.select(
        "i",
        pl.format("E{}", pl.col("i").cast(pl.Utf8).str.zfill(8)).alias("employee_id"),
        born.alias("born"),
        # Hired at 18 or later.
        pl.max_horizontal(hired, born + pl.duration(days=18 * 366)).alias("hired"),
        # Biweekly base pay $900-$21,000: a few percent pass 401(a)(17).
        (90_000 + _hash(pl.col("i"), 3, 2_010_000)).alias("base_cents"),
        # A fifth defer nothing; the rest 1-20% pre-tax; a third add 1-10% Roth.
        pl.when(_hash(pl.col("i"), 4, 5) == 0).then(0).otherwise(100 + _hash(pl.col("i"), 5, 1_900)).alias("pretax_bp"),
        pl.when(_hash(pl.col("i"), 6, 3) == 0).then(100 + _hash(pl.col("i"), 7, 900)).otherwise(0).alias("roth_bp"),
        # About 4% leave, on a day given by their hash; they are not paid again.
        (_hash(pl.col("i"), 8, 25) == 0).alias("leaves"),
        (pl.date(first_year, 1, 1) + pl.duration(days=_hash(pl.col("i"), 9, 365 * years))).alias("leave_date"),
    )


def pay_dates(years: tuple[int, ...], frequency: str) -> list[dt.date]:
    step = dt.timedelta(days=PERIODS[frequency])
    out = []
    for year in years:
        day = dt.date(year, 1, 3)
        day += dt.timedelta(days=(4 - day.weekday()) % 7)  # the first Friday
        while day.year == year:
            out.append(day)
            day += step
    return out


def _money(cents: pl.Expr) -> pl.Expr:
    return pl.format("{}.{}", cents // 100, (cents % 100).cast(pl.Utf8).str.zfill(2))


def night_rows(base: pl.DataFrame, pay_date: dt.date, period: int, bad_every: int) -> pl.DataFrame:
    """The payroll rows of one pay date, as text columns."""
    leave_date = pl.col("leave_date")
    active = base.filter(
        (pl.col("hired") <= pl.lit(pay_date))
        & ~(pl.col("leaves") & (leave_date < pl.lit(pay_date) - pl.duration(days=period)))
    )
    final = pl.col("leaves") & (leave_date <= pl.lit(pay_date))
    row_key = pl.col("i") * 400 + pl.lit(pay_date.toordinal() % 400)
    pay = pl.col("base_cents") + _hash(row_key, 10, 5_000)  # a little variation every period
    gross = pl.when(_hash(row_key, 11, bad_every) == 0).then(pl.lit("$") + _money(pay)).otherwise(_money(pay))
    return active.select(
        "employee_id",
        pl.col("born").dt.strftime("%Y-%m-%d").alias("date_of_birth"),
        pl.col("hired").dt.strftime("%Y-%m-%d").alias("hire_date"),
        pl.lit(pay_date.isoformat()).alias("pay_date"),
        gross.alias("gross_pay"),
        _money(pl.col("pretax_bp")).alias("pretax_deferral_pct"),
        _money(pl.col("roth_bp")).alias("roth_deferral_pct"),
        pl.lit("80.00").alias("hours_worked"),
        pl.when(final).then(leave_date.dt.strftime("%Y-%m-%d")).otherwise(pl.lit("")).alias("termination_date"),
        pl.when(final).then(pl.lit("voluntary")).otherwise(pl.lit("")).alias("termination_reason"),
    )


def generate(out: Path, employees: int, plans: int, years: tuple[int, ...], frequency: str = "biweekly",
             bad_every: int = 20_000) -> Inbox:
    """Write the inbox and plan files under ``out`` (INBOX/, PLANS/) and return where they are."""
    base = people(employees, years[0], len(years))
    plan_ids = [f"plan{k:02d}" for k in range(plans)]
    (out / "PLANS").mkdir(parents=True, exist_ok=True)
    files: dict[str, list[tuple[dt.date, Path]]] = {}
    for k, plan_id in enumerate(plan_ids):
        (out / "PLANS" / f"{plan_id}.toml").write_text(PLAN_TOML.format(plan_id=plan_id), encoding="utf-8")
        members = base.filter(pl.col("i") % plans == k)
        folder = out / "INBOX" / plan_id / "payroll"
        folder.mkdir(parents=True, exist_ok=True)
        files[plan_id] = []
        for day in pay_dates(years, frequency):
            path = folder / f"{plan_id}_{day.isoformat()}.csv"
            night_rows(members, day, PERIODS[frequency], bad_every).write_csv(path)
            files[plan_id].append((day, path))
    return Inbox(out / "INBOX", out / "PLANS", files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--plans", type=int, default=4)
    parser.add_argument("--years", type=int, nargs="+", default=[2025])
    parser.add_argument("--frequency", choices=sorted(PERIODS), default="biweekly")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    inbox = generate(args.out, args.employees, args.plans, tuple(args.years), args.frequency)
    rows = sum(pl.scan_csv(p, infer_schema=False).select(pl.len()).collect().item() for p in inbox.paths())
    print(f"{len(inbox.paths())} files, {rows:,} payroll rows under {args.out}")


if __name__ == "__main__":
    main()
