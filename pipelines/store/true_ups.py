"""True-ups: who is still to be trued up for a plan year, and posting a year's true-up once per person."""

from __future__ import annotations

from datetime import date

import polars as pl

from pipelines.store.balances import post_entries
from pipelines.store.convert import dec
from pipelines.store.db import Database
from pipelines.store.payroll import add_to_ytd
from pipelines.store.runs import BatchRecord, insert_batch, insert_limit_events


def pending_years(db: Database, plan_id: str) -> list[int]:
    """Plan years with someone whose true-up has not been computed yet."""
    return db.query("true_ups/pending_years", {"plan_id": plan_id})["plan_year"].to_list()


def candidates(db: Database, plan_id: str, plan_year: int) -> pl.DataFrame:
    """The year's totals (cents) for everyone whose true-up is still to be computed, with the termination
    date that applies to the year (see ``pipelines.rules.true_up.ANNUAL_SCHEMA``)."""
    return db.query("true_ups/candidates", {"plan_id": plan_id, "plan_year": plan_year})


def post_true_up(
    db: Database, b: BatchRecord, results: pl.DataFrame, entries: pl.DataFrame, events: pl.DataFrame, posted_on: date
) -> None:
    """Record a year's true-up computations, post the amounts and mark the people done."""
    insert_batch(db, b)
    db.append("true_ups", results.select(
        pl.lit(b.plan_id).alias("plan_id"),
        "employee_id",
        "plan_year",
        dec("plan_compensation_cents").alias("annual_compensation"),
        dec("counted_compensation_cents").alias("counted_compensation"),
        dec("matchable_deferral_cents").alias("matchable_deferral"),
        dec("formula_match_cents").alias("formula_match"),
        dec("match_cents").alias("period_match"),
        dec("reduced_415c_cents").alias("reduced_415c"),
        dec("true_up_cents").alias("true_up"),
        "ineligible_reason",
        pl.lit(posted_on, pl.Date).alias("posted_on"),
        pl.lit(b.batch_id).alias("batch_id"),
    ))
    post_entries(db, b, entries, entry_type="contribution")
    add_to_ytd(
        db,
        b.plan_id,
        results.select(
            "employee_id",
            "plan_year",
            pl.col("true_up_cents").alias("match_true_up_cents"),
            pl.col("true_up_cents").alias("annual_additions_cents"),
        ),
        true_up_posted_on=posted_on,
    )
    insert_limit_events(db, b, events)
