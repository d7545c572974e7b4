"""The year-end match true-up as a derived step: every plan year whose true-up is due by the run's as-of date,
for the people not yet trued up, computed by the pure rule and posted in one transaction as a batch of kind
``true_up``. Running it again posts nothing: each person and year is done once.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from pipelines.file_batch import FileResult, now
from pipelines.rules.true_up import compute_true_up, is_due
from pipelines.store import Database, runs, true_ups
from schemas.plan import PlanConfig

FILE_KIND = "true_up"


def post_true_up(
    db: Database, *, plan_id: str, plan: PlanConfig, plan_year: int, as_of: date, run_id: str, limits: pl.DataFrame
) -> FileResult:
    """Compute and post the ``plan_year`` true-up for everyone not yet trued up; effective on ``as_of``."""
    started = now()
    name = f"{plan_id}/true-up/{plan_year}"
    annual = true_ups.candidates(db, plan_id, plan_year)
    if annual.height == 0:
        return FileResult(plan_id, name, "skipped", None, error=f"the {plan_year} true-up was already posted")
    results = compute_true_up(annual, limits, plan)
    entries = results.filter(pl.col("true_up_cents") > 0).select(
        "employee_id",
        pl.lit(as_of, pl.Date).alias("effective_date"),
        "plan_year",
        pl.lit("match_true_up").alias("source"),
        pl.col("true_up_cents").alias("amount_cents"),
        pl.lit(None, pl.Int32).alias("line_number"),
    )
    events = results.filter(pl.col("reduced_415c_cents") > 0).select(
        "employee_id",
        "plan_year",
        pl.lit("415c").alias("limit_name"),
        pl.lit(as_of, pl.Date).alias("reached_on"),
        pl.col("annual_additions_415c_cents").alias("limit_cents"),
        pl.lit("match_true_up").alias("source"),
        pl.col("reduced_415c_cents").alias("amount_cents"),
        pl.lit(None, pl.Int32).alias("line_number"),
    )
    record = runs.derived_batch(db, run_id=run_id, plan_id=plan_id, kind=FILE_KIND, name=name,
                                label=f"true-up-{plan_year}", rows=results.height, started=started, finished=now())
    with db.transaction():
        true_ups.post_true_up(db, record, results, entries, events, as_of)
    posted = int(entries["amount_cents"].sum()) if entries.height else 0
    return FileResult(plan_id, name, "posted", record.batch_id, results.height, results.height, 0, None,
                      {"match_true_up": posted} if posted else {})


def post_due_true_ups(
    db: Database, plan: PlanConfig, *, as_of: date, run_id: str, limits: pl.DataFrame
) -> list[FileResult]:
    """The derived step: every plan year whose true-up is due by ``as_of`` and not yet done for everyone."""
    return [
        post_true_up(db, plan_id=plan.plan_id, plan=plan, plan_year=year, as_of=as_of, run_id=run_id, limits=limits)
        for year in true_ups.pending_years(db, plan.plan_id)
        if is_due(plan, year, as_of)
    ]
