"""Terminations: who is due for vesting, what changed since one was processed, employer money reaching a
processed termination later, and posting the night's terminations with their forfeitures."""

from __future__ import annotations

from datetime import date

import polars as pl

from pipelines.store.balances import post_entries
from pipelines.store.convert import dec
from pipelines.store.db import Database
from pipelines.store.runs import BatchRecord, insert_batch, insert_notices


def pending(db: Database, plan_id: str, as_of: date) -> pl.DataFrame:
    """People due for vesting on ``as_of`` (see ``sql/queries/terminations/pending.sql``)."""
    return db.query("terminations/pending", {"plan_id": plan_id, "as_of": as_of})


def changes(db: Database, plan_id: str) -> pl.DataFrame:
    """Processed terminations the participant facts no longer agree with, not reported yet."""
    return db.query("terminations/changes", {"plan_id": plan_id})


def forfeitable_since_processing(db: Database, plan_id: str) -> pl.DataFrame:
    """Per processed termination in force and employer source: vested percent, money subject to it, forfeited
    so far and balance (see ``sql/queries/terminations/forfeitable_since_processing.sql``)."""
    return db.query("terminations/forfeitable_since_processing", {"plan_id": plan_id})


def hours_by_year(db: Database, plan_id: str, employee_ids: pl.Series) -> pl.DataFrame:
    """Payroll hours per person and calendar year (``hours_worked_hundredths``)."""
    return db.query("terminations/hours_by_year", {"plan_id": plan_id},
                    wanted_ids=employee_ids.unique().to_frame("employee_id"))


def post_terminations(
    db: Database, b: BatchRecord, rows: pl.DataFrame, entries: pl.DataFrame, changed: pl.DataFrame,
    notices: pl.DataFrame, processed_on: date,
) -> None:
    """Terminations processed on ``processed_on``, their forfeiture entries, and the changes to earlier
    terminations reported (notices)."""
    terminations = rows.select(
        pl.lit(b.plan_id).alias("plan_id"),
        "employee_id",
        "termination_date",
        "termination_reason",
        "years_of_service",
        dec("vested_bp", 5).alias("vested_pct"),
        "vesting_basis",
        dec("employer_balance_cents").alias("employer_balance"),
        dec("vested_employer_balance_cents").alias("vested_employer_balance"),
        dec("forfeited_cents").alias("forfeited_amount"),
        pl.lit(processed_on, pl.Date).alias("processed_on"),
        pl.lit(b.batch_id).alias("batch_id"),
    )
    forfeitures = entries.select(
        "employee_id",
        pl.lit(processed_on, pl.Date).alias("effective_date"),
        pl.lit(processed_on.year).alias("plan_year"),
        "source",
        "amount_cents",
        pl.lit(None, pl.Int32).alias("line_number"),
    )
    reports = changed.select(
        pl.lit(b.plan_id).alias("plan_id"), "employee_id", "processed_date", "current_termination_date",
        "current_termination_reason",
        pl.lit(processed_on, pl.Date).alias("reported_on"), pl.lit(b.batch_id).alias("batch_id"),
    )
    insert_batch(db, b)
    db.append("terminations", terminations)
    post_entries(db, b, forfeitures, entry_type="forfeiture")
    db.append("termination_reports", reports)
    insert_notices(db, b, notices)
