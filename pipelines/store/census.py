"""Census files: each accepted row kept in ``census_lines``, and the facts merged into ``participants``."""

from __future__ import annotations

import polars as pl

from pipelines.store import participants
from pipelines.store.convert import dec
from pipelines.store.db import Database
from pipelines.store.participants import ParticipantUpdates
from pipelines.store.runs import BatchRecord, insert_batch, insert_rejections
from schemas.fields import ADDRESS_COLUMNS


def post_census(
    db: Database, b: BatchRecord, rows: pl.DataFrame, updates: ParticipantUpdates, rejections: pl.DataFrame
) -> None:
    """A census file's accepted rows (participant columns, ``ownership_bp``, ``facts_as_of``, ``line_number``)
    into ``census_lines`` and ``participants``, with its batch and rejections. A row's ``rehire_date`` (null
    when none) is its latest hire date in ``participants``; its ``hire_date`` the first."""
    lines = rows.with_columns(
        pl.lit(b.plan_id).alias("plan_id"),
        pl.lit(b.batch_id).alias("batch_id"),
        pl.col("line_number").cast(pl.Int32),
        dec("ownership_bp", 5).alias("ownership_pct"),
    ).drop("ownership_bp")
    # A rehire date is the latest hire (it ends an earlier termination); hire_date is then the first hire.
    facts = lines.sort("line_number").drop("plan_id", "batch_id", "line_number").with_columns(
        pl.col("hire_date").alias("first_hire_date"), pl.coalesce("rehire_date", "hire_date").alias("hire_date"),
    ).drop("rehire_date")
    insert_batch(db, b)
    # The mailing address lives in participants only (for letters): one copy of that personal data, not one per file.
    db.append("census_lines", lines.drop(ADDRESS_COLUMNS, strict=False))
    participants.upsert(db, b, facts, updates)
    insert_rejections(db, b, rejections)
