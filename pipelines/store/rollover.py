"""Rollover eligibility: the leavers and their money (from the balance state), Roth basis, the RMD still due, and
replacing a plan's report rows, keeping the earlier figures in ``rollover_eligibility_history``."""

from __future__ import annotations

from datetime import date

import polars as pl

from pipelines.store.convert import dec
from pipelines.store.db import Database

_AMOUNTS = (
    "vested_balance", "roth_balance", "roth_basis", "rollover_balance", "rmd_due", "eligible_rollover_amount",
    "taxable_if_cashed_out", "withholding_if_cashed_out", "penalty_if_cashed_out", "net_if_cashed_out",
)


def leavers(db: Database, plan_id: str, as_of: date) -> pl.DataFrame:
    """Leavers with money here (``sql/queries/rollover/leavers.sql``)."""
    return db.query("rollover/leavers", {"plan_id": plan_id, "as_of": as_of})


def roth_basis(db: Database, plan_id: str, roth: pl.DataFrame) -> pl.DataFrame:
    """Per person of ``roth`` (``employee_id``, ``roth_balance_cents``): Roth contributions and opening balances."""
    return db.query("rollover/roth_basis", {"plan_id": plan_id},
                    wanted_ids=roth.select("employee_id", "roth_balance_cents").unique())


def rmd_due(db: Database, plan_id: str, year: int) -> pl.DataFrame:
    """Per person: the RMD still to take for ``year`` and the year before (``rmd_due_cents``)."""
    return db.query("rollover/rmd_due", {"plan_id": plan_id, "first_year": year - 1, "last_year": year})


def replace_report(db: Database, plan_id: str, rows: pl.DataFrame, as_of: date, run_id: str) -> None:
    """Make ``rows`` (columns of :data:`pipelines.rules.rollover.REPORT_COLUMNS`) the plan's report."""
    report = rows.select(
        pl.lit(plan_id).alias("plan_id"), "employee_id", pl.lit(as_of, pl.Date).alias("as_of"), "termination_date",
        "termination_reason", "vesting_pending", "age_at_as_of",
        *(dec(f"{c}_cents").alias(c) for c in _AMOUNTS[:5]), dec("eligible_rollover_amount_cents")
        .alias("eligible_rollover_amount"), "category", "early_penalty_applies",
        *(dec(f"{c}_cents").alias(c) for c in _AMOUNTS[6:]), pl.lit(run_id).alias("run_id"),
    )
    db.run("rollover/keep_history", {"plan_id": plan_id, "as_of": as_of, "run_id": run_id}, incoming=report)
    db.run("rollover/clear", {"plan_id": plan_id})
    db.append("rollover_eligibility", report)


def category_counts(db: Database) -> pl.DataFrame:
    """Per plan and category, the leavers in the current report."""
    return db.query("rollover/category_counts")


def one_person(db: Database, plan_id: str, employee_id: str) -> pl.DataFrame:
    """The person's current report row (none when they are not a leaver with a vested balance)."""
    return db.query("rollover/one_person", {"plan_id": plan_id, "employee_id": employee_id})
