"""Payroll: each accepted payroll line posted once, as one wide ``payroll_postings`` row holding what the
employer sent, what the rules made of it and its amount per money source (the ``ledger`` view unpivots them),
with the year-to-date and balance state kept in the same transaction."""

from __future__ import annotations

from datetime import date

import polars as pl

from pipelines.store import participants
from pipelines.store.balances import add_balance_changes
from pipelines.store.convert import dec
from pipelines.store.db import Database
from pipelines.store.participants import ParticipantUpdates
from pipelines.store.runs import BatchRecord, insert_batch, insert_limit_events, insert_notices, insert_rejections
from schemas.sources import PAYROLL_SOURCES

#: prior_ytd's cents columns and the ytd_totals columns they come from (see sql/queries/payroll/prior_ytd.sql).
_PRIOR_YTD_CENTS = {
    "ytd_regular_deferral_cents": "regular_room_used",
    "ytd_catch_up_deferral_cents": "catch_up_deferral",
    "ytd_plan_compensation_cents": "plan_compensation",
    "ytd_annual_additions_cents": "annual_additions",
    "ytd_gross_pay_cents": "gross_pay",
}
_YTD_MONEY = ("regular_deferral", "regular_room_used", "catch_up_deferral", "match", "nonelective", "match_true_up",
              "annual_additions", "plan_compensation", "gross_pay")


def fold_ytd(rows: pl.DataFrame, keys: list[str], last_pay_date: str) -> pl.DataFrame:
    """One row per ``keys`` from many year-to-date rows, as the ``ytd_totals`` upsert folds them row by row:
    amounts add up, ``last_pay_date`` is the latest, the first ``true_up_posted_on`` stands."""
    dates = (last_pay_date, "true_up_posted_on")
    return (
        rows.group_by(keys, maintain_order=True)
        .agg(
            pl.col(last_pay_date).max(),
            pl.col("true_up_posted_on").drop_nulls().first(),
            *[pl.col(c).sum() for c in rows.columns if c not in (*keys, *dates)],
        )
        .select(rows.columns)
        .cast(rows.schema)
    )


def _fold_increments(increments: pl.DataFrame) -> pl.DataFrame:
    return fold_ytd(increments, ["plan_id", "employee_id", "plan_year"], "last_pay_date")


def prior_ytd(db: Database, plan_id: str, keys: pl.DataFrame) -> pl.DataFrame:
    """Year-to-date totals already posted for the (employee_id, plan_year) pairs in ``keys``, in cents
    (see ``pipelines.rules.contributions.PRIOR_YTD_SCHEMA``), plus ``ytd_gross_pay_cents``,
    ``ytd_last_pay_date`` and ``true_up_posted_on``, including increments a group holds."""
    wanted = keys.select("employee_id", pl.col("plan_year").cast(pl.Int32)).unique()
    stored = db.query("payroll/prior_ytd", {"plan_id": plan_id}, wanted_keys=wanted)
    held = db.held("ytd_totals")
    if not held:
        return stored
    in_group = (
        pl.concat(held, how="diagonal_relaxed")
        .filter(pl.col("plan_id") == plan_id)
        .with_columns(pl.col("plan_year").cast(pl.Int32))
        .join(wanted, on=["employee_id", "plan_year"], how="semi")
        .select(
            "employee_id",
            "plan_year",
            *[(pl.col(column) * 100).cast(pl.Int64).alias(name) for name, column in _PRIOR_YTD_CENTS.items()],
            pl.col("last_pay_date").alias("ytd_last_pay_date"),
            "true_up_posted_on",
        )
    )
    # The stored row first: its true-up date wins, as coalesce(stored, new) does in the upsert.
    return fold_ytd(pl.concat([stored, in_group.cast(stored.schema)]), ["employee_id", "plan_year"], "ytd_last_pay_date")


def already_posted(db: Database, plan_id: str, keys: pl.DataFrame) -> pl.DataFrame:
    """The (employee_id, pay_date) pairs of ``keys`` already posted for the plan (lines a group holds too)."""
    if keys.height == 0:
        return keys.select("employee_id", "pay_date").clear()
    wanted = keys.select("employee_id", "pay_date").unique()
    low, high = wanted["pay_date"].min(), wanted["pay_date"].max()
    stored = db.query("payroll/already_posted", {"plan_id": plan_id, "low": low, "high": high}, wanted_keys=wanted)
    in_range = (pl.col("plan_id") == plan_id) & pl.col("pay_date").is_between(low, high)
    held = [f.filter(in_range).select("employee_id", "pay_date") for f in db.held("payroll_postings")]
    return (
        pl.concat([stored, *held]).join(wanted, on=["employee_id", "pay_date"], how="semi")
        .unique().sort("employee_id", "pay_date")
    )


def add_to_ytd(db: Database, plan_id: str, ytd: pl.DataFrame, true_up_posted_on: date | None = None) -> None:
    """Add a batch's per person-year amounts (cents; absent columns count 0) to ``ytd_totals``."""
    names = {"match": "employer_match"}
    increments = ytd.select(
        pl.lit(plan_id).alias("plan_id"),
        "employee_id",
        "plan_year",
        *[
            (dec(f"{m}_cents") if f"{m}_cents" in ytd.columns else pl.lit(0).cast(pl.Decimal(18, 2)))
            .alias(names.get(m, m))
            for m in _YTD_MONEY
        ],
        (dec("hours_worked_hundredths", 12) if "hours_worked_hundredths" in ytd.columns
         else pl.lit(0).cast(pl.Decimal(12, 2))).alias("hours_worked"),
        pl.col("last_pay_date") if "last_pay_date" in ytd.columns else pl.lit(None, pl.Date).alias("last_pay_date"),
        pl.lit(true_up_posted_on, pl.Date).alias("true_up_posted_on"),
    )
    db.write("payroll/add_to_ytd", increments, combine=_fold_increments)


def fold_pay_dates(counts: pl.DataFrame) -> pl.DataFrame:
    """One row per plan and pay date from many batches' counts, as the ``pay_dates`` upsert adds them.

    >>> import datetime as dt
    >>> d = dt.date(2026, 1, 9)
    >>> fold_pay_dates(pl.DataFrame({"plan_id": ["p", "p"], "pay_date": [d, d], "payroll_lines": [3, 2]})).rows()
    [('p', datetime.date(2026, 1, 9), 5)]
    """
    return counts.group_by("plan_id", "pay_date", maintain_order=True).agg(pl.col("payroll_lines").sum())


def add_pay_dates(db: Database, plan_id: str, lines: pl.DataFrame) -> None:
    """Count a batch's payroll lines (``pay_date`` per line) into ``pay_dates``, the pay calendar's state."""
    counts = lines.group_by("pay_date", maintain_order=True).agg(pl.len().cast(pl.Int64).alias("payroll_lines"))
    db.write("payroll/add_pay_dates", counts.select(pl.lit(plan_id).alias("plan_id"), "pay_date", "payroll_lines"),
             combine=fold_pay_dates)


def run_variances_and_excess(db: Database, run_id: str) -> pl.DataFrame:
    """Per plan, the match variances and excess deferrals a run's payroll files posted (lines and cents)."""
    return db.query("payroll/run_variances_and_excess", {"run_id": run_id})


def posting_rows(b: BatchRecord, contributions: pl.DataFrame) -> pl.DataFrame:
    """The ``payroll_postings`` rows of a batch's computed lines: one per line, one amount column per source."""
    return contributions.select(
        pl.lit(b.plan_id).alias("plan_id"),
        "employee_id",
        "pay_date",
        "plan_year",
        pl.lit(b.batch_id).alias("batch_id"),
        pl.col("line_number").cast(pl.Int32),
        dec("gross_pay_cents").alias("gross_pay"),
        dec("plan_compensation_cents").alias("plan_compensation"),
        dec("counted_compensation_cents").alias("counted_compensation"),
        dec("pretax_deferral_bp", 5).alias("pretax_deferral_pct"),
        dec("roth_deferral_bp", 5).alias("roth_deferral_pct"),
        (dec("pretax_deferral_amount_cents") if "pretax_deferral_amount_cents" in contributions.columns
         else pl.lit(None, pl.Decimal(18, 2))).alias("pretax_deferral_amount"),
        (dec("roth_deferral_amount_cents") if "roth_deferral_amount_cents" in contributions.columns
         else pl.lit(None, pl.Decimal(18, 2))).alias("roth_deferral_amount"),
        dec("pretax_elected_cents").alias("pretax_elected"),
        dec("roth_elected_cents").alias("roth_elected"),
        dec("not_deferred_cents").alias("not_deferred"),
        dec("catch_up_limit_cents").alias("catch_up_limit"),
        dec("prior_year_wages_cents").alias("prior_year_wages_used"),
        "is_roth_catch_up_only",
        dec("hours_worked_hundredths", 9).alias("hours_worked"),
        dec("prior_year_fica_wages_cents").alias("prior_year_fica_wages"),
        dec("ownership_bp", 5).alias("ownership_pct"),
        *[dec(f"{source}_cents").alias(source) for source in PAYROLL_SOURCES],
    )


def post_payroll(
    db: Database,
    b: BatchRecord,
    contributions: pl.DataFrame,
    ytd: pl.DataFrame,
    rejections: pl.DataFrame,
    notices: pl.DataFrame,
    events: pl.DataFrame,
    facts: pl.DataFrame,
    updates: ParticipantUpdates,
    variances: pl.DataFrame | None = None,
) -> None:
    """An accepted payroll file: its batch row, one posting row per line, the year-to-date and balance state,
    participant facts (one row per person: participant columns, ``ownership_bp``, ``facts_as_of``),
    rejections, notices, limit events and match variances (:func:`pipelines.payroll_batch.match_variances`)."""
    insert_batch(db, b)
    db.append("payroll_postings", posting_rows(b, contributions))
    add_pay_dates(db, b.plan_id, contributions)
    add_to_ytd(db, b.plan_id, ytd)
    amounts = contributions.select(
        "employee_id", pl.col("pay_date").alias("effective_date"), *[f"{s}_cents" for s in PAYROLL_SOURCES]
    ).unpivot(index=["employee_id", "effective_date"], variable_name="source", value_name="amount_cents")
    add_balance_changes(db, b.plan_id, amounts.with_columns(pl.col("source").str.strip_suffix("_cents")))
    participants.upsert(
        db, b, facts.with_columns(dec("ownership_bp", 5).alias("ownership_pct")).drop("ownership_bp"), updates
    )
    insert_rejections(db, b, rejections)
    insert_notices(db, b, notices)
    insert_limit_events(db, b, events)
    if variances is not None and variances.height:
        db.append("match_variances", variances.select(
            pl.lit(b.plan_id).alias("plan_id"), "employee_id", "pay_date", "plan_year", pl.lit(b.batch_id).alias("batch_id"),
            pl.col("line_number").cast(pl.Int32), dec("remitted_match_cents").alias("remitted_match"),
            dec("computed_match_cents").alias("computed_match"), dec("difference_cents").alias("difference"),
        ))
