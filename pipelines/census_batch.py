"""A census file: facts about people (including those no longer on payroll) into ``participants``.

Each accepted row is kept in ``census_lines`` and updates the person's ``participants`` row, dated by the
run's as-of date: facts dated later win, so a census beats payroll rows paid before it and loses to payroll
rows paid after it, and of two census files the later one wins. Only the columns the file has change. An
empty ``termination_date`` in a file that has the column clears the date (a rehire, or a termination sent
in error): if that termination was already processed, the run reports it (see
:mod:`pipelines.terminations_batch`).
"""

from __future__ import annotations

from functools import partial

import polars as pl

from pipelines.file_batch import FileContext, FileResult, MakeBatch, check_conserved, process_file, rejected_rows
from pipelines.ingest import ReadResult, Validated
from pipelines.store import Database, ParticipantUpdates
from pipelines.store.census import post_census
from schemas.fields import ADDRESS_COLUMNS
from schemas.kinds import CENSUS

#: Census column -> participants column, for the optional columns a census may carry.
_OPTIONAL = {
    "ownership_pct": "ownership_pct",
    "ssn": "ssn_last4",
    "first_name": "first_name",
    "last_name": "last_name",
    "prior_vesting_years": "prior_vesting_years",
    "spouse_date_of_birth": "spouse_date_of_birth",
    "spouse_is_sole_beneficiary": "spouse_is_sole_beneficiary",
}


def census_updates(columns: list[str]) -> ParticipantUpdates:
    """What a census file with these columns changes for a known person: birth and hire dates always; the
    termination (date and reason together) when it has ``termination_date``, where empty clears it; the mailing
    address as one fact (all five columns) when it has ``address_line1``, so a move leaves no old line behind;
    every other column it has, when the row gives a value."""
    address = ADDRESS_COLUMNS if "address_line1" in columns else ()
    return ParticipantUpdates(
        replace=("date_of_birth", "hire_date", *address),
        fill=tuple(target for column, target in _OPTIONAL.items() if column in columns),
        termination="replace" if "termination_date" in columns else "keep",
        has_reason="termination_reason" in columns,
    )


def _post_census(db: Database, ctx: FileContext, read: ReadResult, validated: Validated, batch: MakeBatch) -> FileResult:
    assert read.text is not None and ctx.as_of is not None
    rows = validated.accepted.select(
        "employee_id", "line_number", "date_of_birth", "hire_date", "rehire_date", "termination_date", "termination_reason",
        "ownership_bp", "ssn_last4", "first_name", "last_name", "prior_vesting_years", "spouse_date_of_birth",
        "spouse_is_sole_beneficiary", *ADDRESS_COLUMNS, pl.lit(ctx.as_of, pl.Date).alias("facts_as_of"),
    )
    check_conserved(ctx.file_name, read, rows.height, validated.rows_rejected)
    record = batch("posted", read.rows_read, rows.height, validated.rows_rejected, read.blank_lines, None)
    rejections = read.as_exported(validated.rejections)
    with db.transaction():
        post_census(db, record, rows, census_updates(read.text.columns), rejections)
    return FileResult(
        ctx.plan_id, ctx.file_name, "posted", record.batch_id, read.rows_read, rows.height, validated.rows_rejected,
        rejected=rejected_rows(rejections),
    )


#: Post one census file (see the module docstring), or reject it, or skip it when handled before.
process_census_file = partial(process_file, spec=CENSUS, handler=_post_census)
