"""A distributions file: money paid out of the plan.

Rows name a person known to the plan, the day paid, the source, the gross amount, why it was paid and the tax
withheld. Each accepted row is kept in ``distributions`` and posts one negative ``distribution`` ledger entry on
its paid date. Rejected at stage 3, in this order: a person the plan does not know; a row whose person, paid
date and source were posted from an earlier file (``already_posted``); more than the source holds on that day or
later (``exceeds_balance``); employer money beyond its vested part (``exceeds_vested``): see
:mod:`pipelines.rules.distributions`. A night posts distributions after its payroll and balances files.
"""

from __future__ import annotations

from functools import partial

import polars as pl

from pipelines.file_batch import (
    FileContext, FileResult, MakeBatch, check_conserved, process_file, reject_unknown_people, rejected_rows,
)
from pipelines.ingest import ReadResult, Validated, reject_rows
from pipelines.rules.distributions import check_distributions, vested_bp_on_paid_date
from pipelines.store import Database, distributions, terminations
from schemas.kinds import DISTRIBUTIONS
from schemas.reasons import RowReject
from schemas.sources import EMPLOYER_SOURCES


def _post_distributions(
    db: Database, ctx: FileContext, read: ReadResult, validated: Validated, batch: MakeBatch
) -> FileResult:
    assert read.text is not None
    plan_id, text = ctx.plan_id, read.values
    validated = reject_unknown_people(db, ctx, validated, text, DISTRIBUTIONS)
    posted = distributions.already_posted(db, plan_id, validated.accepted)
    repeated = validated.accepted.join(posted, on=["employee_id", "paid_date", "source"], how="inner")
    validated = reject_rows(
        validated, repeated["line_number"], RowReject.ALREADY_POSTED, "paid_date",
        "a distribution for this employee_id, source and paid_date was already posted from another file",
        text, DISTRIBUTIONS,
    )
    accepted = validated.accepted
    keys = accepted.select("employee_id", "source", pl.col("paid_date").dt.year().alias("from_year"))
    keys = keys.group_by("employee_id", "source").agg(pl.col("from_year").min())
    # Only employer money vests: the vesting facts of people taking only their own money are not read.
    vesting_ids = accepted.filter(pl.col("source").is_in(EMPLOYER_SOURCES))["employee_id"]
    facts = distributions.vesting_facts(db, plan_id, vesting_ids)
    hours = terminations.hours_by_year(db, plan_id, vesting_ids)
    verdicts = check_distributions(
        accepted, distributions.balance_events(db, plan_id, keys), distributions.paid_from_sources(db, plan_id, keys),
        vested_bp_on_paid_date(accepted, facts, hours, ctx.plan.vesting),
    )
    for verdict, reason, message in (
        ("exceeds_balance", RowReject.EXCEEDS_BALANCE,
         "more than the source holds on paid_date, or would leave it below zero on a later day with entries"),
        ("exceeds_vested", RowReject.EXCEEDS_VESTED,
         "more than the vested part of this employer source on paid_date (the plan's vesting schedule, service "
         "to paid_date, less what was paid from it before)"),
    ):
        validated = reject_rows(validated, verdicts.filter(pl.col("verdict") == verdict)["line_number"], reason,
                                "gross_amount", message, text, DISTRIBUTIONS)
    accepted = validated.accepted
    check_conserved(ctx.file_name, read, accepted.height, validated.rows_rejected)
    record = batch("posted", read.rows_read, accepted.height, validated.rows_rejected, read.blank_lines, None)
    rejections = read.as_exported(validated.rejections)
    with db.transaction():
        distributions.post_distributions(db, record, accepted, rejections)
    totals = dict(
        accepted.group_by(pl.format("distribution {}", "source").alias("what"))
        .agg((0 - pl.col("gross_amount_cents").sum()).alias("cents")).sort("what").iter_rows()
    )
    return FileResult(
        plan_id, ctx.file_name, "posted", record.batch_id, read.rows_read, accepted.height, validated.rows_rejected,
        None, totals, rejected_rows(rejections),
    )


#: Post one distributions file (see the module docstring), or reject it, or skip it when handled before.
process_distributions_file = partial(process_file, spec=DISTRIBUTIONS, handler=_post_distributions)
