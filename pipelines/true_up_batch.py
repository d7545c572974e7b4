"""Post a plan year's match true-up: the people not yet trued up, computed by the pure rule, posted in one
transaction as a batch of kind ``true_up``. Running it again posts nothing: each person and year is done once.
"""

from __future__ import annotations

import hashlib
from datetime import date

import polars as pl

from pipelines.ledger import BatchRecord, Ledger
from pipelines.file_batch import FileResult, now
from pipelines.rules.true_up import compute_true_up
from schemas.plan import PlanConfig

FILE_KIND = "true_up"


def post_true_up(
    ledger: Ledger, *, plan_id: str, plan: PlanConfig, plan_year: int, as_of: date, run_id: str, limits: pl.DataFrame
) -> FileResult:
    """Compute and post the ``plan_year`` true-up for everyone not yet trued up; effective on ``as_of``."""
    started = now()
    name = f"{plan_id}/true-up/{plan_year}"
    annual = ledger.true_up_candidates(plan_id, plan_year)
    if annual.height == 0:
        return FileResult(plan_id, name, "skipped", None, error=f"the {plan_year} true-up was already posted")
    results = compute_true_up(annual, limits, plan)
    batch_id = f"{plan_id}-true-up-{plan_year}-{ledger.count_batches(plan_id, name) + 1}"
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
    record = BatchRecord(
        batch_id, run_id, plan_id, FILE_KIND, name, hashlib.sha256(batch_id.encode()).hexdigest(),
        results.height, results.height, 0, 0, "posted", None, started, now(),
    )
    ledger.post_true_up(record, results, entries, events, as_of)
    posted = int(entries["amount_cents"].sum()) if entries.height else 0
    return FileResult(plan_id, name, "posted", batch_id, results.height, results.height, 0, None,
                      {"match_true_up": posted} if posted else {})
