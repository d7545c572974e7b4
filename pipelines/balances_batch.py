"""A balances file: a trustee's or prior recordkeeper's statement, posted so the ledger agrees with it.

Rows name a person known to the plan (from a census or payroll file posted before), a source, a date and the
balance. Each accepted row is kept in ``balance_statements`` and, unless the ledger already agrees, posts one
entry dated ``as_of_date`` (see :mod:`pipelines.rules.balances`). Rejected at stage 3: a person the plan does
not know, and a statement not newer than one already imported for the person and source (it would make the
earlier one untrue), or dated before a forfeiture when the ledger already held money for them then (it would
not show the forfeiture); send a newer statement instead.
"""

from __future__ import annotations

from functools import partial

import polars as pl

from pipelines.file_batch import (
    FileContext, FileResult, MakeBatch, check_conserved, process_file, reject_unknown_people, rejected_rows,
)
from pipelines.ingest import ReadResult, Validated, reject_rows
from pipelines.store import Database, balances
from pipelines.rules.balances import statement_entries
from schemas.kinds import BALANCES
from schemas.reasons import RowReject


def _post_balances(db: Database, ctx: FileContext, read: ReadResult, validated: Validated, batch: MakeBatch) -> FileResult:
    assert read.text is not None
    validated = reject_unknown_people(db, ctx, validated, read.values, BALANCES)
    accepted = validated.accepted
    ledger_on = balances.balances_on(db, ctx.plan_id, accepted)
    # Not newer than the last statement, or dated before a forfeiture while the ledger already held money for
    # them by then (the statement would not show the forfeiture). A first statement for the source may be
    # older than a forfeiture: it brings money the person had, whose non-vested part is then forfeited too.
    stale = (
        accepted.join(balances.latest_statements(db, ctx.plan_id, accepted), on=["employee_id", "source"], how="inner")
        .join(ledger_on, on=["employee_id", "source", "as_of_date"], how="left")
        .filter(
            (pl.col("as_of_date") <= pl.col("latest_statement_date"))
            | ((pl.col("as_of_date") <= pl.col("latest_forfeiture_date")) & pl.col("has_entries").fill_null(False))
        )
    )
    validated = reject_rows(
        validated, stale["line_number"], RowReject.STATEMENT_NOT_NEWER, "as_of_date",
        "a statement for this employee_id and source dated on or after this as_of_date, or a forfeiture after "
        "it, is already in the ledger: send a statement dated after them",
        read.values, BALANCES,
    )
    accepted = validated.accepted
    statements = statement_entries(accepted, ledger_on)
    check_conserved(ctx.file_name, read, statements.height, validated.rows_rejected)
    record = batch("posted", read.rows_read, statements.height, validated.rows_rejected, read.blank_lines, None)
    rejections = read.as_exported(validated.rejections)
    with db.transaction():
        balances.post_statements(db, record, statements, rejections)
    posted = statements.filter(pl.col("amount_cents") != 0)
    totals = dict(
        posted.with_columns(pl.format("{} {}", "entry_type", "source").alias("what"))
        .group_by("what").agg(pl.col("amount_cents").sum()).sort("what").iter_rows()
    )
    return FileResult(
        ctx.plan_id, ctx.file_name, "posted", record.batch_id, read.rows_read, statements.height,
        validated.rows_rejected, None, totals, rejected_rows(rejections),
    )


#: Post one balances file (see the module docstring), or reject it, or skip it when handled before.
process_balances_file = partial(process_file, spec=BALANCES, handler=_post_balances)
