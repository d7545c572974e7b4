"""Runs and batches: the operational log of runs, one batch row per file or derived step, and the audit rows
every batch may carry (rejections, notices, limit events)."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from datetime import date, datetime

import polars as pl

from pipelines.store.convert import dec
from pipelines.store.db import Database


@dataclass(frozen=True)
class BatchRecord:
    batch_id: str
    run_id: str
    plan_id: str
    file_kind: str
    file_name: str
    file_sha256: str
    rows_read: int
    rows_posted: int
    rows_rejected: int
    blank_lines: int
    status: str
    error: str | None
    started_at: datetime
    finished_at: datetime


def start_run(db: Database, run_id: str, as_of: date) -> None:
    db.run("runs/start", {"run_id": run_id, "as_of": as_of})


def finish_run(db: Database, run_id: str, status: str) -> None:
    db.run("runs/finish", {"run_id": run_id, "status": status})


def last_outcome(db: Database, plan_id: str, file_kind: str, file_sha256: str) -> tuple[str, str, str | None] | None:
    """(batch_id, status, file-level reason code) of the latest batch for this content and kind, if any."""
    rows = db.query("runs/last_outcome", {"plan_id": plan_id, "file_kind": file_kind, "file_sha256": file_sha256})
    return rows.row(0) if rows.height else None


def attempts(db: Database, plan_id: str, file_kind: str, file_sha256: str) -> int:
    return db.query("runs/attempts", {"plan_id": plan_id, "file_kind": file_kind, "file_sha256": file_sha256}).item()


def count_batches(db: Database, plan_id: str, file_name: str) -> int:
    return db.query("runs/count_batches", {"plan_id": plan_id, "file_name": file_name}).item()


def derived_batch(
    db: Database, *, run_id: str, plan_id: str, kind: str, name: str, label: str, rows: int, started: datetime,
    finished: datetime,
) -> BatchRecord:
    """The batch a derived step posts as (``kind`` true_up, terminations, rmd): named ``name``, with the id
    ``<plan>-<label>-<attempt>`` (a later run that posts under the same name is the next attempt), every row
    posted."""
    batch_id = f"{plan_id}-{label}-{count_batches(db, plan_id, name) + 1}"
    return BatchRecord(batch_id, run_id, plan_id, kind, name, hashlib.sha256(batch_id.encode()).hexdigest(), rows,
                       rows, 0, 0, "posted", None, started, finished)


_BATCH_SCHEMA = {
    "batch_id": pl.Utf8, "run_id": pl.Utf8, "plan_id": pl.Utf8, "file_kind": pl.Utf8, "file_name": pl.Utf8,
    "file_sha256": pl.Utf8, "rows_read": pl.Int32, "rows_posted": pl.Int32, "rows_rejected": pl.Int32,
    "blank_lines": pl.Int32, "status": pl.Utf8, "error": pl.Utf8, "started_at": pl.Datetime("us"),
    "finished_at": pl.Datetime("us"),
}


def insert_batch(db: Database, b: BatchRecord) -> None:
    db.append("batches", pl.DataFrame([asdict(b)], schema=_BATCH_SCHEMA))


def _from_file(b: BatchRecord) -> list[pl.Expr]:
    return [pl.lit(b.batch_id).alias("batch_id"), pl.lit(b.plan_id).alias("plan_id"),
            pl.lit(b.file_name).alias("file_name")]


def insert_rejections(db: Database, b: BatchRecord, rejections: pl.DataFrame) -> None:
    db.append("rejections", rejections.select(
        *_from_file(b), pl.col("line_number").cast(pl.Int32), "employee_id", "column_name", "value", "reason_code",
        "reason",
    ))


def insert_notices(db: Database, b: BatchRecord, notices: pl.DataFrame) -> None:
    db.append("notices", notices.select(
        *_from_file(b), pl.col("line_number").cast(pl.Int32), "employee_id", "code", "message"
    ))


def insert_limit_events(db: Database, b: BatchRecord, events: pl.DataFrame) -> None:
    db.append("limit_events", events.select(
        pl.lit(b.plan_id).alias("plan_id"), "employee_id", "plan_year", "limit_name", "reached_on",
        dec("limit_cents").alias("limit_amount"), "source", dec("amount_cents").alias("amount"),
        pl.lit(b.batch_id).alias("batch_id"), pl.col("line_number").cast(pl.Int32),
    ))


def record_rejected_file(db: Database, batch: BatchRecord, rejection: pl.DataFrame) -> None:
    """A whole file rejected: its batch row and the file-level rejection (the caller's transaction)."""
    insert_batch(db, batch)
    insert_rejections(db, batch, rejection)


def last_as_of(db: Database) -> date | None:
    """The as-of date of the last completed run, None before any."""
    return db.query("runs/last_as_of")["as_of"].item()


def record_unrecognised(db: Database, run_id: str, entries: Sequence[object]) -> None:
    """The inbox entries this run found that no kind reads (each with ``plan_id``, ``path``, ``reason``)."""
    if entries:
        db.append("unrecognised_files", pl.DataFrame(
            {"run_id": [run_id] * len(entries), "plan_id": [e.plan_id for e in entries],
             "path": [e.path for e in entries], "reason": [e.reason for e in entries]},
            schema={"run_id": pl.String, "plan_id": pl.String, "path": pl.String, "reason": pl.String},
        ))
