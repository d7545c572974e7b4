"""What one run did, read back for the morning report (:mod:`pipelines.morning_report`): the audit rows of the
run's batches (``batches.run_id``), counted and summed per plan. Counts, line numbers, codes and amounts only:
no names, no values, no employee ids."""

from __future__ import annotations

import polars as pl

from pipelines.store.db import Database


def rejected_rows(db: Database, run_id: str) -> pl.DataFrame:
    """``sql/queries/morning/rejected_rows.sql``: per plan, file, reason code and column, the lines rejected
    (``rows``) and the first five line numbers (``first_lines``), with the reason's text."""
    return db.query("morning/rejected_rows", {"run_id": run_id})


def limits_reached(db: Database, run_id: str) -> pl.DataFrame:
    """``sql/queries/morning/limits_reached.sql``: per plan, limit and source, the people and ``amount_cents``."""
    return db.query("morning/limits_reached", {"run_id": run_id})


def notices_by_code(db: Database, run_id: str) -> pl.DataFrame:
    """``sql/queries/morning/notices_by_code.sql``: per plan and notice code (in precedence order), the notices."""
    return db.query("morning/notices_by_code", {"run_id": run_id})


def terminations(db: Database, run_id: str) -> pl.DataFrame:
    """``sql/queries/morning/terminations.sql``: per plan and vesting basis, the terminations processed and
    ``forfeited_cents``."""
    return db.query("morning/terminations", {"run_id": run_id})


def forfeitures(db: Database, run_id: str) -> pl.DataFrame:
    """``sql/queries/morning/forfeitures.sql``: per plan and source, the people and ``forfeited_cents`` (positive)."""
    return db.query("morning/forfeitures", {"run_id": run_id})
