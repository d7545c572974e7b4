"""The rollover-eligibility report as a derived step: every night, for each plan, every leaver with a vested
balance is assessed for its as-of date (:mod:`pipelines.rules.rollover`) and the plan's report replaced in one
transaction (changed rows kept in ``rollover_eligibility_history``). Runs after the terminations (their
forfeitures leave what is vested) and the RMD notices (an RMD due comes out first). Nothing is posted."""

from __future__ import annotations

from datetime import date

import polars as pl

from pipelines.distribution_rules import load_distribution_rules, rules_for_year
from pipelines.file_batch import FileResult
from pipelines.rules.rollover import eligibility, roth_basis_left
from pipelines.rules.vesting import compute_forfeitures
from pipelines.store import Database, balances, rollover, terminations
from schemas.plan import PlanConfig


def leaver_money(db: Database, plan: PlanConfig, as_of: date) -> pl.DataFrame:
    """The leavers with their vested balance, Roth basis and RMD due. A processed termination left only vested
    employer money; for one not processed yet, the employer money is vested as processing would vest it."""
    plan_id = plan.plan_id
    found = rollover.leavers(db, plan_id, as_of)
    pending_ids = found.filter(pl.col("vesting_pending"))["employee_id"]
    vested_employer = pl.DataFrame(schema={"employee_id": pl.Utf8, "vested_employer_cents": pl.Int64})
    if pending_ids.len():
        pending = terminations.pending(db, plan_id, as_of).filter(pl.col("employee_id").is_in(pending_ids.implode()))
        hours = terminations.hours_by_year(db, plan_id, pending["employee_id"])
        rows, _ = compute_forfeitures(pending, hours, balances.employer_balances(db, plan_id, pending["employee_id"]),
                                      plan.vesting)
        vested_employer = rows.select("employee_id", pl.col("vested_employer_balance_cents").alias("vested_employer_cents"))
    basis = rollover.roth_basis(db, plan_id, found.filter(pl.col("roth_balance_cents") != 0))
    return (
        found.join(vested_employer, on="employee_id", how="left")
        .join(basis, on="employee_id", how="left")
        .join(rollover.rmd_due(db, plan_id, as_of.year), on="employee_id", how="left")
        .with_columns(
            pl.when(pl.col("vesting_pending"))
            .then(pl.col("balance_cents") - pl.col("employer_balance_cents")
                  + pl.col("vested_employer_cents").fill_null(pl.col("employer_balance_cents")))
            .otherwise(pl.col("balance_cents")).alias("vested_balance_cents"),
            roth_basis_left(pl.col("gross_basis_cents").fill_null(0), pl.col("distributed_cents").fill_null(0),
                            pl.col("roth_balance_cents")).alias("roth_basis_cents"),
            pl.col("rmd_due_cents").fill_null(0),
        )
    )


def rollover_step(
    db: Database, plan: PlanConfig, *, as_of: date, run_id: str, limits: pl.DataFrame
) -> list[FileResult]:
    """The derived step: rebuild the plan's report; it posts nothing, so it returns no batch."""
    rules = rules_for_year(load_distribution_rules(), as_of.year)
    report = eligibility(leaver_money(db, plan, as_of), as_of, plan.distributions, rules)
    with db.transaction():
        rollover.replace_report(db, plan.plan_id, report, as_of, run_id)
    return []
