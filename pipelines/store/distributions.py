"""Distributions: what a distributions file is checked against (the money in a source over time, what was paid
from it before, the vesting facts) and posting its accepted rows with their negative ledger entries."""

from __future__ import annotations

from datetime import date

import polars as pl

from pipelines.store.balances import post_entries
from pipelines.store.convert import dec
from pipelines.store.db import Database
from pipelines.store.runs import BatchRecord, insert_batch, insert_rejections


def balance_events(db: Database, plan_id: str, keys: pl.DataFrame) -> pl.DataFrame:
    """Per (``employee_id``, ``source``) of ``keys`` (with ``from_year``): the balance on 31 December before it,
    then each later day's net entries (``effective_date``, ``amount_cents``); see
    ``sql/queries/distributions/balance_events.sql``."""
    wanted = keys.select("employee_id", "source", pl.col("from_year").cast(pl.Int32)).unique()
    from_date = date(int(wanted["from_year"].min()), 1, 1) if wanted.height else date(1900, 1, 1)
    return db.query("distributions/balance_events", {"plan_id": plan_id, "from_date": from_date},
                    wanted_keys=wanted)


def paid_from_sources(db: Database, plan_id: str, keys: pl.DataFrame) -> pl.DataFrame:
    """Distributions posted before for the (``employee_id``, ``source``) pairs of ``keys``."""
    return db.query("distributions/paid_from_sources", {"plan_id": plan_id},
                    wanted_keys=keys.select("employee_id", "source").unique())


def already_posted(db: Database, plan_id: str, rows: pl.DataFrame) -> pl.DataFrame:
    """The (``employee_id``, ``paid_date``, ``source``) keys of ``rows`` posted from an earlier file."""
    return db.query("distributions/already_posted", {"plan_id": plan_id},
                    wanted_keys=rows.select("employee_id", "paid_date", "source").unique())


def vesting_facts(db: Database, plan_id: str, employee_ids: pl.Series) -> pl.DataFrame:
    """Participant facts for vesting, and ``has_processed_termination``, per person of ``employee_ids``."""
    return db.query("distributions/vesting_facts", {"plan_id": plan_id},
                    wanted_ids=employee_ids.unique().to_frame("employee_id"))


def post_distributions(db: Database, b: BatchRecord, rows: pl.DataFrame, rejections: pl.DataFrame) -> None:
    """A distributions file's accepted rows (``employee_id``, ``paid_date``, ``source``, ``distribution_type``,
    ``gross_amount_cents``, withholding cents, ``line_number``): kept in ``distributions``, each posted as a
    negative ``distribution`` entry on its paid date; with the file's batch and rejections."""
    federal = pl.col("federal_withholding_cents").fill_null(0)
    state = pl.col("state_withholding_cents").fill_null(0)
    kept = rows.with_columns(federal.alias("federal_withholding_cents"), state.alias("state_withholding_cents"))
    kept = kept.select(
        pl.lit(b.plan_id).alias("plan_id"), "employee_id", "paid_date", "source", "distribution_type",
        dec("gross_amount_cents").alias("gross_amount"),
        dec("federal_withholding_cents").alias("federal_withholding"),
        dec("state_withholding_cents").alias("state_withholding"),
        (pl.col("gross_amount_cents") - pl.col("federal_withholding_cents") - pl.col("state_withholding_cents"))
        .alias("_net_cents"),
        pl.lit(b.batch_id).alias("batch_id"), pl.col("line_number").cast(pl.Int32),
    ).with_columns(dec("_net_cents").alias("net_amount")).drop("_net_cents")
    entries = rows.select(
        "employee_id",
        pl.col("paid_date").alias("effective_date"),
        pl.col("paid_date").dt.year().alias("plan_year"),
        "source",
        (0 - pl.col("gross_amount_cents")).alias("amount_cents"),
        "line_number",
    )
    insert_batch(db, b)
    db.append("distributions", kept)
    post_entries(db, b, entries, entry_type="distribution")
    insert_rejections(db, b, rejections)
