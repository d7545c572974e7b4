"""Vesting on termination, a derived step run by the nightly flow after a plan's files: process every termination dated on or
before the run's as-of date that was not processed yet, and report processed terminations the facts no longer
agree with.

Processing computes years of service and the vested percent (:mod:`pipelines.rules.vesting`) and posts the
non-vested part of each employer source as a negative ``forfeiture`` entry dated the as-of date, with a
``terminations`` row, in one transaction (a batch of kind ``terminations``). A person's termination is
processed once: when the date later changes (a correction, or a new termination after a rehire) or is
withdrawn (a rehire), the change is reported once, as a notice and in ``termination_reports``, and nothing
is re-processed or reversed automatically. Service before a rehire, amounts already vested and forfeiture
restoration need a plan administrator's decision that these files do not carry.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from pipelines.file_batch import FileResult, now
from pipelines.store import Database, balances, runs, terminations
from pipelines.rules.vesting import compute_forfeitures, forfeiture_top_ups
from schemas.plan import PlanConfig
from schemas.reasons import NoticeCode, notice_rows

FILE_KIND = "terminations"


def change_notices(changes: pl.DataFrame) -> pl.DataFrame:
    """One notice per processed termination the participant facts now contradict."""
    processed = pl.format(
        "the termination on {} was processed (forfeited {})", pl.col("processed_date"), pl.col("forfeited_amount")
    )
    withdrawn = pl.col("current_termination_date").is_null()
    return notice_rows(
        changes,
        pl.when(withdrawn).then(pl.lit(NoticeCode.TERMINATION_WITHDRAWN.value))
        .otherwise(pl.lit(NoticeCode.TERMINATION_CHANGED.value)),
        pl.when(withdrawn)
        .then(pl.format("{}; the participant no longer has a termination in force (rehired, or it was sent in "
                        "error): it is not reversed or restored automatically", processed))
        .otherwise(pl.format("{}; the termination is now {} ({}) (a correction, or a new termination after a "
                             "rehire): not processed again, review its vesting and forfeiture", processed,
                             pl.col("current_termination_date"), pl.col("current_termination_reason").fill_null("no reason"))),
    )


def rehired(rows: pl.DataFrame) -> pl.DataFrame:
    return notice_rows(
        rows.filter(pl.col("vesting_basis") == "hire_date_changed"), NoticeCode.TERMINATION_AFTER_REHIRE,
        pl.format(
            "terminated on {} with a hire date later than the first one reported (a rehire, or a corrected date): "
            "service before it and breaks in service need a decision, so nothing was forfeited ({} cents of "
            "employer money kept)", pl.col("termination_date"), pl.col("employer_balance_cents"),
        ),
    )


def processing_notices(rows: pl.DataFrame, hours: pl.DataFrame, method: str) -> pl.DataFrame:
    """Terminations processed tonight that a plan administrator should look at: one that predates the plan's
    records (the prior recordkeeper's vesting stands), and, under hours-based vesting, one with no payroll
    hours on record (only prior service counted)."""
    before_records = notice_rows(
        rows.filter(pl.col("vesting_basis") == "prior_recordkeeper"), NoticeCode.TERMINATION_BEFORE_RECORDS,
        pl.format(
            "terminated on {}, before any money on record here: the prior recordkeeper's vesting stands and the "
            "stated employer balance ({} cents) is kept, nothing forfeited",
            pl.col("termination_date"), pl.col("employer_balance_cents"),
        ),
    )
    if method != "hours":
        return pl.concat([before_records, rehired(rows)])
    with_hours = hours.filter(pl.col("hours_worked_hundredths") > 0)["employee_id"].implode()
    no_hours = notice_rows(
        rows.filter((pl.col("vesting_basis") == "schedule") & ~pl.col("employee_id").is_in(with_hours)),
        NoticeCode.NO_HOURS_REPORTED,
        pl.format(
            "vesting service is counted from payroll hours, and none were reported for this person: {} years "
            "(prior service only) gave {} basis points vested", pl.col("years_of_service"), pl.col("vested_bp"),
        ),
    )
    return pl.concat([before_records, rehired(rows), no_hours])


def top_up_notices(top_ups: pl.DataFrame, forfeitable: pl.DataFrame) -> pl.DataFrame:
    """One notice per person and source whose later employer money was partly forfeited tonight."""
    return notice_rows(
        top_ups.join(forfeitable, on=["employee_id", "source"], how="left"), NoticeCode.FORFEITURE_ADDED,
        pl.format(
            "{} money posted after the termination on {} was processed: its non-vested part, {} cents, is forfeited",
            pl.col("source"), pl.col("termination_date"), 0 - pl.col("amount_cents"),
        ),
    )


def process_terminations(db: Database, *, plan: PlanConfig, as_of: date, run_id: str) -> FileResult | None:
    """Process the plan's pending terminations, forfeit the non-vested part of employer money that reached
    processed ones since, and report changed ones; None when there is nothing to do."""
    started = now()
    plan_id = plan.plan_id
    pending = terminations.pending(db, plan_id, as_of)
    changes = terminations.changes(db, plan_id)
    forfeitable = terminations.forfeitable_since_processing(db, plan_id)
    top_ups = forfeiture_top_ups(forfeitable)
    if pending.height == 0 and changes.height == 0 and top_ups.height == 0:
        return None
    ids = pending["employee_id"]
    hours = terminations.hours_by_year(db, plan_id, ids)
    rows, new_entries = compute_forfeitures(pending, hours, balances.employer_balances(db, plan_id, ids), plan.vesting)
    entries = pl.concat([new_entries, top_ups]).sort("employee_id", "source")
    notices = pl.concat([
        processing_notices(rows, hours, plan.vesting.method), change_notices(changes),
        top_up_notices(top_ups, forfeitable),
    ])
    name = f"{plan_id}/terminations/{as_of}"
    record = runs.derived_batch(db, run_id=run_id, plan_id=plan_id, kind=FILE_KIND, name=name,
                                label=f"terminations-{as_of}", rows=rows.height, started=started, finished=now())
    batch_id = record.batch_id
    with db.transaction():
        terminations.post_terminations(db, record, rows, entries, changes, notices, as_of)
    totals = dict(
        entries.with_columns(pl.format("forfeiture {}", "source").alias("what"))
        .group_by("what").agg(pl.col("amount_cents").sum()).sort("what").iter_rows()
    )
    return FileResult(plan_id, name, "posted", batch_id, rows.height, rows.height, 0, None, totals,
                      notices=notices.height)


def terminations_step(
    db: Database, plan: PlanConfig, *, as_of: date, run_id: str, limits: pl.DataFrame
) -> list[FileResult]:
    """The derived step: :func:`process_terminations`, as a list (empty when there was nothing to do)."""
    result = process_terminations(db, plan=plan, as_of=as_of, run_id=run_id)
    return [] if result is None else [result]
