"""One inbox file of any kind, start to finish: hash, skip what was handled before, read, validate, then let
the kind's handler post it (or record why it was rejected), all in one transaction.

Plain Python over the store, so it is tested without Prefect. A kind's handler
(:mod:`pipelines.payroll_batch`, :mod:`pipelines.census_batch`, :mod:`pipelines.balances_batch`) gets the file
read and validated against its :class:`~schemas.kinds.FileSpec` and only adds what the kind means.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import polars as pl

from pipelines.ingest import (
    REJECTION_SCHEMA, FileError, ReadResult, Validated, read_csv_bytes, reject_rows, validate_rows,
)
from pipelines.profiles import read_export
from pipelines.store import BatchRecord, Database, GroupAborted, participants, runs
from schemas.kinds import FileSpec, ValidationContext
from schemas.plan import PlanConfig
from schemas.reasons import FileReject, RowReject

Rejected = tuple[tuple[int | None, str | None, str | None, str], ...]


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
    rejected: Rejected = ()
    notices: int = 0
    #: A later run reads this content again (rejected for a missing plan file, which may be added; an internal
    #: error, which may not recur): it is not final, so a remote inbox keeps the file where it is.
    tried_again: bool = False

    @property
    def all_rows_rejected(self) -> bool:
        """Posted as a batch, but every row it read was rejected: nothing of it reached the ledger."""
        return self.status == "posted" and self.rows_read > 0 and self.rows_posted == 0

    @property
    def content_rejected(self) -> bool:
        """Rejected whole, tonight or (skipped now) on an earlier night: the file's content was never posted."""
        return self.status == "rejected" or (self.status == "skipped" and (self.error or "").startswith("rejected before"))

    @property
    def outcome(self) -> str:
        """The status an administrator reads: ``status``, except ``all rows rejected`` for such a file."""
        return "all rows rejected" if self.all_rows_rejected else self.status


@dataclass(frozen=True)
class FileContext:
    """What every handler may need besides the file: the plan, the IRS limits, the run."""

    plan_id: str
    plan: PlanConfig
    file_name: str
    run_id: str
    as_of: date | None
    limits: pl.DataFrame


#: A batch row for this file: (status, rows read, posted, rejected, blank lines, error) -> BatchRecord.
MakeBatch = Callable[[str, int, int, int, int, "str | None"], BatchRecord]
#: A kind's handler: post the accepted rows (rows read = posted + rejected) and say what happened.
Handler = Callable[[Database, FileContext, ReadResult, Validated, MakeBatch], FileResult]


def rejected_rows(rejections: pl.DataFrame) -> Rejected:
    return tuple(rejections.select("line_number", "employee_id", "column_name", "reason").iter_rows())


def now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def batch_id_for(plan_id: str, file_sha256: str, attempt: int, file_kind: str = "payroll") -> str:
    """Deterministic batch id: the plan, the kind (payroll files carry none), the file's content hash and
    which attempt at that content."""
    kind = "" if file_kind == "payroll" else f"{file_kind}-"
    return f"{plan_id}-{kind}{file_sha256[:16]}-{attempt}"


def file_rejection(error: FileError) -> pl.DataFrame:
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


def reject_unknown_people(db: Database, ctx: FileContext, validated: Validated, text: pl.DataFrame,
                          spec: FileSpec) -> Validated:
    """Stage 3 for kinds that name people the plan must already know (statements, distributions): a row for an
    employee_id no census or payroll row brought is rejected ``unknown_participant``."""
    known = participants.known(db, ctx.plan_id, validated.accepted["employee_id"])
    unknown = validated.accepted.filter(~pl.col("employee_id").is_in(known.implode()))["line_number"]
    return reject_rows(
        validated, unknown, RowReject.UNKNOWN_PARTICIPANT, "employee_id",
        "no census or payroll row for this employee_id in this plan: send the census first", text, spec,
    )


def check_conserved(file_name: str, read: ReadResult, posted: int, rejected: int) -> None:
    if posted + rejected != read.rows_read:
        raise AssertionError(f"{file_name}: {read.rows_read} rows read but {posted} + {rejected} accounted")


def process_file(
    db: Database,
    spec: FileSpec,
    handler: Handler,
    *,
    plan_id: str,
    plan: PlanConfig | None,
    path: Path,
    file_name: str,
    run_id: str,
    limits: pl.DataFrame,
    as_of: date | None = None,
) -> FileResult:
    """Post one file of kind ``spec``, or record why it was rejected, or skip it when its content was handled
    before. ``plan`` is None when the plan has no plan file: the file is rejected whole."""
    started = now()
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    last = runs.last_outcome(db, plan_id, spec.kind, sha)
    skip = _seen_before(last, has_plan=plan is not None)
    if skip is not None:
        # (rejected before for a missing plan file that is still missing: to be tried again once it is added)
        return FileResult(plan_id, file_name, "skipped", skip[0], error=skip[1],
                          tried_again=last is not None and last[2] in {r.value for r in TRIED_AGAIN})
    batch_id = batch_id_for(plan_id, sha, runs.attempts(db, plan_id, spec.kind, sha) + 1, spec.kind)

    def batch(status: str, read: int, posted: int, rejected: int, blank: int, error: str | None) -> BatchRecord:
        return BatchRecord(
            batch_id, run_id, plan_id, spec.kind, file_name, sha, read, posted, rejected, blank, status, error,
            started, now(),
        )

    try:
        profile = plan.profile(spec.kind) if plan is not None else None
        if profile is None:
            read = read_csv_bytes(data, spec.fields)
        else:
            assert plan is not None
            read = read_export(data, spec, profile, getattr(plan.imports, spec.kind), as_of or date.today())
        error = read.error
        if plan is None:
            error = FileError(FileReject.NO_PLAN_FILE, f"plan '{plan_id}' has no plan file PLANS/{plan_id}.toml")
        if error is not None:
            record = batch("rejected", read.rows_read, 0, read.rows_read, read.blank_lines, error.message)
            with db.transaction():
                runs.record_rejected_file(db, record, file_rejection(error))
            return FileResult(
                plan_id, file_name, "rejected", record.batch_id, read.rows_read, 0, read.rows_read, error.message,
                rejected=rejected_rows(file_rejection(error)), tried_again=error.code in TRIED_AGAIN,
            )
        assert read.text is not None and plan is not None
        context = FileContext(plan_id, plan, file_name, run_id, as_of, limits)
        years = tuple(limits["plan_year"].to_list())
        validated = validate_rows(read.text, spec, ValidationContext(years, as_of), read.malformed, read.shown)
        return handler(db, context, read, validated, batch)
    except (AssertionError, GroupAborted):
        raise  # a broken invariant of our own: stop the run, never record it as the file's fault
    except Exception as exc:  # noqa: BLE001 - any other failure rejects this file, with nothing posted
        if db.grouped:
            # The group's transaction may be unusable now: undo the group and post its files one by one.
            # No chained cause: Prefect logs a failed task's exception chain, and a message may quote file content.
            raise GroupAborted(f"{file_name}: {type(exc).__name__} inside a group") from None
        # Only the exception's type: its message may quote file content (personal data).
        message = (
            f"internal error ({type(exc).__name__}) while processing; nothing from this file was posted and it "
            "will be tried again on the next run"
        )
        error = FileError(FileReject.INTERNAL_ERROR, message)
        with db.transaction():
            runs.record_rejected_file(db, batch("rejected", 0, 0, 0, 0, message), file_rejection(error))
        return FileResult(plan_id, file_name, "failed", batch_id, error=message, rejected=rejected_rows(file_rejection(error)))


#: File-level rejections a later run tries again: the file is not at fault, or may not be.
TRIED_AGAIN = frozenset({FileReject.NO_PLAN_FILE, FileReject.INTERNAL_ERROR})


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
    if reason in {r.value for r in TRIED_AGAIN} and (reason != FileReject.NO_PLAN_FILE.value or has_plan):
        return None
    return batch_id, f"rejected before as {batch_id} ({reason}); send a corrected file"
