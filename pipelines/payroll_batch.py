"""One payroll file, start to finish: hash, read, validate, apply the rules, post (or reject) in one go.

This is plain Python over the ledger gateway and the pure rules, so it is tested without Prefect; the
Prefect task in :mod:`pipelines.flows` only wraps :func:`process_payroll_file`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import polars as pl

from pipelines.ingest import REJECTION_SCHEMA, FileError, read_payroll_bytes, reject_already_posted, validate_payroll
from pipelines.ledger import BatchRecord, Ledger
from pipelines.rules.contributions import compute_contributions, ledger_entries, limit_events, ytd_increments
from schemas.plan import PlanConfig
from schemas.reasons import FileReject

FILE_KIND = "payroll"


@dataclass(frozen=True)
class FileResult:
    """What happened to one file; ``posted_cents`` totals the ledger amounts posted, by source."""

    plan_id: str
    file_name: str
    status: str  # posted | rejected (whole file) | skipped (posted before) | failed (internal error) | not_run
    batch_id: str | None
    rows_read: int = 0
    rows_posted: int = 0
    rows_rejected: int = 0
    error: str | None = None
    posted_cents: dict[str, int] = field(default_factory=dict)
    #: (line_number, employee_id, column_name, reason) per rejection; values stay in the database only.
    rejected: tuple[tuple[int | None, str | None, str | None, str], ...] = ()
    notices: int = 0


def _rejected(rejections: pl.DataFrame) -> tuple[tuple[int | None, str | None, str | None, str], ...]:
    return tuple(rejections.select("line_number", "employee_id", "column_name", "reason").iter_rows())


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def batch_id_for(plan_id: str, file_sha256: str, attempt: int) -> str:
    """Deterministic batch id: the plan, the file's content hash and which attempt at that content."""
    return f"{plan_id}-{file_sha256[:16]}-{attempt}"


def _file_rejection(error: FileError) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "line_number": [None],
            "employee_id": [None],
            "column_name": [error.column],
            "value": [None],
            "reason_code": [error.code.value],
            "reason": [error.message],
        },
        schema=REJECTION_SCHEMA,
    )


def process_payroll_file(
    ledger: Ledger,
    *,
    plan_id: str,
    plan: PlanConfig | None,
    path: Path,
    file_name: str,
    run_id: str,
    limits: pl.DataFrame,
) -> FileResult:
    """Post one payroll file, or record why it was rejected, or skip it when its content was posted before.

    ``plan`` is None when the plan has no plan file: the file is rejected whole.
    """
    started = _now()
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    skip = _seen_before(ledger.last_outcome(plan_id, sha), has_plan=plan is not None)
    if skip is not None:
        return FileResult(plan_id, file_name, "skipped", skip[0], error=skip[1])
    batch_id = batch_id_for(plan_id, sha, ledger.attempts(plan_id, sha) + 1)

    def batch(status: str, read: int, posted: int, rejected: int, blank: int, error: str | None) -> BatchRecord:
        return BatchRecord(
            batch_id, run_id, plan_id, FILE_KIND, file_name, sha, read, posted, rejected, blank, status, error,
            started, _now(),
        )

    try:
        return _process(ledger, plan_id, plan, data, file_name, batch, limits)
    except AssertionError:
        raise  # a broken invariant of our own: stop the run, never record it as the file's fault
    except Exception as exc:  # noqa: BLE001 - any other failure rejects this file, with nothing posted
        # Only the exception's type: its message may quote file content (personal data).
        message = (
            f"internal error ({type(exc).__name__}) while processing; nothing from this file was posted and it "
            "will be tried again on the next run"
        )
        error = FileError(FileReject.INTERNAL_ERROR, message)
        ledger.record_rejected_file(batch("rejected", 0, 0, 0, 0, message), _file_rejection(error))
        return FileResult(plan_id, file_name, "failed", batch_id, error=message, rejected=_rejected(_file_rejection(error)))


def _seen_before(outcome: tuple[str, str, str | None] | None, *, has_plan: bool) -> tuple[str, str] | None:
    """(batch_id, why) when this content was handled before and handling it again would change nothing.

    Posted content is never posted again. Content rejected whole for what is in it gets the same verdict
    every time, so it is recorded once, not once a night (which also makes a re-run after a crash reach the
    same batches as a run that never crashed). A missing plan file may since have been added, and an
    internal error may not recur: those are tried again.
    """
    if outcome is None:
        return None
    batch_id, status, reason = outcome
    if status == "posted":
        return batch_id, f"already posted as {batch_id}"
    if reason == FileReject.INTERNAL_ERROR.value or (reason == FileReject.NO_PLAN_FILE.value and has_plan):
        return None
    return batch_id, f"rejected before as {batch_id} ({reason}); send a corrected file"


def _out_of_order_notices(contributions: pl.DataFrame, prior: pl.DataFrame) -> pl.DataFrame:
    """Rows dated before a pay date already posted for the person and year: posted, but worth knowing, since
    the year's rooms were filled in posting order rather than date order."""
    late = contributions.join(
        prior.select("employee_id", "plan_year", "ytd_last_pay_date"), on=["employee_id", "plan_year"], how="inner"
    ).filter(pl.col("pay_date") < pl.col("ytd_last_pay_date"))
    return late.select(
        "line_number",
        "employee_id",
        pl.lit("posted_out_of_order").alias("code"),
        pl.format(
            "pay_date {} is before {}, already posted for this person and year: the year's limits were applied "
            "in posting order",
            pl.col("pay_date"),
            pl.col("ytd_last_pay_date"),
        ).alias("message"),
    ).sort("line_number")


def with_prior_year_wages(accepted: pl.DataFrame, state: pl.DataFrame) -> pl.DataFrame:
    """``prior_year_wages_cents`` for the Roth catch-up rule: the file's ``prior_year_fica_wages`` when given,
    else the gross pay the ledger holds for the person's previous year plus any previous-year rows of this
    file; null when neither knows of any."""
    in_file = accepted.group_by("employee_id", "plan_year").agg(pl.col("gross_pay_cents").sum().alias("_in_file"))
    posted = state.select("employee_id", "plan_year", pl.col("ytd_gross_pay_cents").alias("_posted"))
    previous = (
        posted.join(in_file, on=["employee_id", "plan_year"], how="full", coalesce=True)
        .select(
            "employee_id",
            (pl.col("plan_year") + 1).alias("plan_year"),
            pl.when(pl.col("_posted").is_null() & pl.col("_in_file").is_null())
            .then(None)
            .otherwise(pl.col("_posted").fill_null(0) + pl.col("_in_file").fill_null(0))
            .alias("_previous_gross"),
        )
    )
    return accepted.join(previous, on=["employee_id", "plan_year"], how="left").with_columns(
        pl.coalesce("prior_year_fica_wages_cents", "_previous_gross").alias("prior_year_wages_cents")
    ).drop("_previous_gross")


def _after_true_up_notices(contributions: pl.DataFrame, prior: pl.DataFrame) -> pl.DataFrame:
    """Payroll for a year whose true-up was already posted: posted, but the true-up will not be redone."""
    late = contributions.join(
        prior.filter(pl.col("true_up_posted_on").is_not_null()).select("employee_id", "plan_year", "true_up_posted_on"),
        on=["employee_id", "plan_year"],
        how="inner",
    )
    return late.select(
        "line_number",
        "employee_id",
        pl.lit("payroll_after_true_up").alias("code"),
        pl.format(
            "the {} true-up was already posted on {}; this payroll is not reflected in it",
            pl.col("plan_year"),
            pl.col("true_up_posted_on"),
        ).alias("message"),
    ).sort("line_number")


def _process(ledger, plan_id, plan, data, file_name, batch, limits) -> FileResult:  # noqa: ANN001
    read = read_payroll_bytes(data)
    error = read.error
    if plan is None:
        error = FileError(FileReject.NO_PLAN_FILE, f"plan '{plan_id}' has no plan file PLANS/{plan_id}.toml")
    if error is not None:
        record = batch("rejected", read.rows_read, 0, read.rows_read, read.blank_lines, error.message)
        ledger.record_rejected_file(record, _file_rejection(error))
        return FileResult(
            plan_id, file_name, "rejected", record.batch_id, read.rows_read, 0, read.rows_read, error.message,
            rejected=_rejected(_file_rejection(error)),
        )

    assert read.text is not None and plan is not None
    validated = validate_payroll(read.text, limits["plan_year"].to_list(), read.malformed)
    validated = reject_already_posted(validated, ledger.already_posted(plan_id, validated.accepted), read.text)
    accepted = validated.accepted.with_columns(pl.col("pay_date").dt.year().cast(pl.Int32).alias("plan_year"))
    keys = accepted.select("employee_id", "plan_year")
    state = ledger.prior_ytd(plan_id, pl.concat([keys, keys.with_columns(pl.col("plan_year") - 1)]))
    payroll = with_prior_year_wages(accepted, state).drop("plan_year")
    contributions = compute_contributions(payroll, state, limits, plan)
    entries = ledger_entries(contributions)
    notices = pl.concat([_out_of_order_notices(contributions, state), _after_true_up_notices(contributions, state)])
    rows_posted, rows_rejected = contributions.height, validated.rows_rejected
    if rows_posted + rows_rejected != read.rows_read:
        raise AssertionError(f"{file_name}: {read.rows_read} rows read but {rows_posted} + {rows_rejected} accounted")
    record = batch("posted", read.rows_read, rows_posted, rows_rejected, read.blank_lines, None)
    ledger.post_batch(
        record, contributions, entries, ytd_increments(contributions), validated.rejections, notices,
        limit_events(contributions),
    )
    totals = dict(entries.group_by("source").agg(pl.col("amount_cents").sum()).sort("source").iter_rows())
    return FileResult(
        plan_id, file_name, "posted", record.batch_id, read.rows_read, rows_posted, rows_rejected, None, totals,
        _rejected(validated.rejections), notices.height,
    )
