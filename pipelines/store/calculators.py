"""The participant calculators' inputs (active participants, the plan's pay calendar) and their tables
(``match_windows``, ``projections``), each replaced per plan by every run."""

from __future__ import annotations

from datetime import date

import polars as pl

from pipelines.store.db import Database


def active_participants(db: Database, plan_id: str, as_of: date) -> pl.DataFrame:
    """``sql/queries/calculators/active_participants.sql``: who is active, with their latest line and state."""
    return db.query("calculators/active_participants", {"plan_id": plan_id, "as_of": as_of})


def remaining_pay_dates(db: Database, plan_id: str, as_of: date) -> pl.DataFrame:
    """The pay dates the plan still expects in ``as_of``'s year after its latest regular pay date (``pay_date``,
    ``period`` from 1). The calendar views answer for the session's as-of date: read this, like
    :func:`active_participants`, inside :func:`pipelines.store.reports.parameters` with ``as_of``."""
    return db.query("calculators/remaining_pay_dates", {"plan_id": plan_id, "as_of": as_of})


def pay_frequency(db: Database, plan_id: str) -> tuple[str, int | None] | None:
    """The plan's observed frequency and periods a year; None with fewer than two pay dates."""
    found = db.query("calculators/pay_frequency", {"plan_id": plan_id})
    return found.row(0) if found.height else None


def replace_match_windows(db: Database, plan_id: str, rows: pl.DataFrame) -> None:
    db.run("calculators/clear_match_windows", {"plan_id": plan_id})
    db.append("match_windows", rows)


def replace_projections(db: Database, plan_id: str, rows: pl.DataFrame) -> None:
    db.run("calculators/clear_projections", {"plan_id": plan_id})
    db.append("projections", rows)


def status_counts(db: Database) -> pl.DataFrame:
    """Per plan and match-window status, the active participants."""
    return db.query("calculators/status_counts")
