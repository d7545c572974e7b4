"""RMD notices: who and what the rules read (participants, year-end balances, distributions), and replacing a
plan's current notices for the years a run computes, keeping the earlier figures in ``rmd_notice_history``."""

from __future__ import annotations

from datetime import date

import polars as pl

from pipelines.store.convert import dec
from pipelines.store.db import Database
from pipelines.store.runs import BatchRecord, insert_batch, insert_notices


def people(db: Database, plan_id: str, year: int) -> pl.DataFrame:
    """Participants old enough for an RMD by the end of ``year``, and the deceased (``sql/queries/rmd/people.sql``)."""
    return db.query("rmd/people", {"plan_id": plan_id, "year": year})


def year_end_balances(db: Database, plan_id: str, employee_ids: pl.Series, first: int, last: int) -> pl.DataFrame:
    """Per person and year end ``first``..``last``: ``balance_cents`` and ``roth_cents`` on 31 December."""
    return db.query("rmd/year_end_balances", {"plan_id": plan_id, "first_year_end": first, "last_year_end": last},
                    wanted_ids=employee_ids.unique().to_frame("employee_id"))


def paid_since(db: Database, plan_id: str, since: date, as_of: date) -> pl.DataFrame:
    """The plan's distributions paid from ``since`` to ``as_of``."""
    return db.query("rmd/paid_since", {"plan_id": plan_id, "since": since, "as_of": as_of})


def beneficiary_reviews(db: Database, plan_id: str, deceased: pl.DataFrame) -> pl.DataFrame:
    """The deceased of ``deceased`` (``employee_id``, ``termination_date``) with money here, not listed yet."""
    return db.query("rmd/beneficiary_reviews", {"plan_id": plan_id},
                    wanted_ids=deceased.select("employee_id", "termination_date").unique())


def replace_notices(
    db: Database, plan_id: str, notices: pl.DataFrame, years: tuple[int, int], as_of: date, run_id: str
) -> None:
    """Make ``notices`` (columns of :data:`pipelines.rules.rmd.NOTICE_COLUMNS`) the plan's current notices for
    distribution years ``years`` (first, last), earlier figures that changed or no longer apply kept in history."""
    rows = notices.select(
        pl.lit(plan_id).alias("plan_id"), "employee_id", "distribution_year", "age", "spouse_age", "applicable_age",
        "first_distribution_year", "required_beginning_date", "deadline",
        dec("prior_year_end_balance_cents").alias("prior_year_end_balance"),
        # Tenths of a year to DECIMAL(4,1) exactly (a scale of 0 on the way would drop the tenth).
        (pl.col("distribution_period_tenths").cast(pl.Decimal(38, 1)) / 10).cast(pl.Decimal(4, 1))
        .alias("distribution_period"),
        "table_used",
        *(dec(f"{c}_cents").alias(c) for c in ("rmd", "taken", "remaining", "excise_if_missed", "excise_if_corrected")),
        "status", pl.lit(as_of, pl.Date).alias("computed_on"), pl.lit(run_id).alias("run_id"),
    ).rename({"rmd": "rmd_amount"})
    params = {"plan_id": plan_id, "first_year": years[0], "last_year": years[1]}
    db.run("rmd/keep_history", {**params, "as_of": as_of, "run_id": run_id}, incoming=rows)
    db.run("rmd/clear_years", params)
    db.append("rmd_notices", rows)


def post_reviews(db: Database, b: BatchRecord, notices: pl.DataFrame) -> None:
    """The beneficiary-review notices of one plan's RMD step, with their batch."""
    insert_batch(db, b)
    insert_notices(db, b, notices)


def status_counts(db: Database, first_year: int, last_year: int) -> pl.DataFrame:
    """Per plan and status, the current notices for distribution years ``first_year``..``last_year``."""
    return db.query("rmd/status_counts", {"first_year": first_year, "last_year": last_year})


def letters(db: Database, plan_id: str, year: int) -> pl.DataFrame:
    """The plan's due and overdue notices for ``year`` with name and mailing address (``rmd/letters.sql``)."""
    return db.query("rmd/letters", {"plan_id": plan_id, "year": year})
