"""The input file kinds: for each, its field dictionary, its in-file key and its stage-2 row checks.

``INBOX/<plan_id>/<kind>/*.csv`` holds files of one kind. Every kind is read and validated the same way
(:mod:`pipelines.ingest`): text first, then each value (stage 1), then each row (stage 2, below), then rows
against each other (stage 3: two rows of one file with the same ``key`` are both rejected).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pandera.polars as pa
import polars as pl

from schemas.fields import BALANCE_FIELDS, CENSUS_FIELDS, DISTRIBUTION_FIELDS, PAYROLL_FIELDS, Field
from schemas.payroll import MAX_AGE_AT_PAY_DATE, MIN_AGE_AT_PAY_DATE, age_at, row_check, row_schema, termination_checks
from schemas.reasons import RowReject


@dataclass(frozen=True)
class ValidationContext:
    """What stage 2 needs besides the row: the years the IRS limits table covers, the run's as-of date."""

    limit_years: tuple[int, ...]
    as_of: date | None = None


@dataclass(frozen=True)
class FileSpec:
    """One input file kind."""

    kind: str
    fields: tuple[Field, ...]
    #: Columns that identify a row within a file; two rows with the same key are both rejected.
    key: tuple[str, ...]
    row_schema: Callable[[ValidationContext], pa.DataFrameSchema]

    @property
    def by_name(self) -> dict[str, Field]:
        return {f.name: f for f in self.fields}


def census_row_schema(context: ValidationContext) -> pa.DataFrameSchema:
    age = age_at(pl.col("hire_date"), pl.col("date_of_birth"))
    return pa.DataFrameSchema(
        checks=[
            row_check(
                age.is_between(MIN_AGE_AT_PAY_DATE, MAX_AGE_AT_PAY_DATE),
                RowReject.AGE_OUT_OF_RANGE,
                "date_of_birth",
                f"age at hire_date is under {MIN_AGE_AT_PAY_DATE} or over {MAX_AGE_AT_PAY_DATE}",
            ),
            *termination_checks(),
        ],
        strict=False,
        name="census_row",
    )


def balance_row_schema(context: ValidationContext) -> pa.DataFrameSchema:
    checks = []
    if context.as_of is not None:
        checks.append(
            row_check(
                pl.col("as_of_date") <= pl.lit(context.as_of),
                RowReject.STATEMENT_AFTER_AS_OF,
                "as_of_date",
                f"the statement is dated after the run's as-of date {context.as_of}",
            )
        )
    return pa.DataFrameSchema(checks=checks, strict=False, name="balance_row")


def distribution_row_schema(context: ValidationContext) -> pa.DataFrameSchema:
    withheld = pl.col("federal_withholding_cents").fill_null(0) + pl.col("state_withholding_cents").fill_null(0)
    checks = [
        row_check(pl.col("gross_amount_cents") > 0, RowReject.NOT_POSITIVE, "gross_amount",
                  "a distribution's gross amount must be more than zero"),
        row_check(withheld <= pl.col("gross_amount_cents"), RowReject.WITHHOLDING_OVER_GROSS, "federal_withholding",
                  "federal plus state withholding is more than the gross amount"),
    ]
    if context.as_of is not None:
        checks.append(
            row_check(pl.col("paid_date") <= pl.lit(context.as_of), RowReject.PAID_AFTER_AS_OF, "paid_date",
                      f"paid after the run's as-of date {context.as_of}: send it on or after the day it is paid")
        )
    return pa.DataFrameSchema(checks=checks, strict=False, name="distribution_row")


PAYROLL = FileSpec("payroll", PAYROLL_FIELDS, ("employee_id", "pay_date"), lambda c: row_schema(c.limit_years))
CENSUS = FileSpec("census", CENSUS_FIELDS, ("employee_id",), census_row_schema)
BALANCES = FileSpec("balances", BALANCE_FIELDS, ("employee_id", "source", "as_of_date"), balance_row_schema)
#: One distribution per person, source and paid date: two payments from one source on one day are one row.
DISTRIBUTIONS = FileSpec(
    "distributions", DISTRIBUTION_FIELDS, ("employee_id", "paid_date", "source"), distribution_row_schema
)

#: The kinds in the order a night processes a plan's folders: facts about people first, then the money the
#: payroll rules post, then statements (which state balances including that payroll), then the money paid out
#: (checked against those balances).
FILE_KINDS: tuple[FileSpec, ...] = (CENSUS, PAYROLL, BALANCES, DISTRIBUTIONS)
