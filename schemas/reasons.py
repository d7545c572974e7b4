"""Reject reasons, in precedence order.

A whole file is rejected (nothing posted) for the first file-level reason that applies. Otherwise each row
is checked in stages, and a row is rejected with every reason of the first stage that finds any:

0. the record itself: the header's number of fields, quotes that close;
1. each value on its own (missing, negative, unparseable, out of range, not an allowed choice);
2. the row's values together (percent sum, dates against each other, age, a limits row for the year);
3. the row against other rows and the database (duplicate in the file, already posted from another file; for
   balance statements: a person the plan does not know, a statement not newer than one already imported; for
   distributions: more than the source's balance, or than its vested part).

A row's reasons all go to the ``rejections`` table; ``batches.rows_rejected`` counts rejected lines.
"""

from __future__ import annotations

from enum import Enum

import polars as pl


class FileReject(str, Enum):
    """Reasons a whole file is rejected, checked in this order."""

    NO_PLAN_FILE = "no_plan_file"
    NOT_UTF8 = "not_utf8"
    EMPTY_FILE = "empty_file"
    UNREADABLE_CSV = "unreadable_csv"
    DUPLICATE_COLUMN = "duplicate_column"
    UNKNOWN_COLUMN = "unknown_column"
    MISSING_COLUMN = "missing_column"
    #: Not the file's fault: processing failed unexpectedly; nothing was posted, the next run retries it.
    INTERNAL_ERROR = "internal_error"


class RowReject(str, Enum):
    """Reasons a row is rejected; the stage each belongs to is in ``ROW_REJECT_STAGE``."""

    WRONG_FIELD_COUNT = "wrong_field_count"
    UNCLOSED_QUOTE = "unclosed_quote"
    MALFORMED_RECORD = "malformed_record"
    MISSING_VALUE = "missing_value"
    NEGATIVE_MONEY = "negative_money"
    BAD_FORMAT = "bad_format"
    OUT_OF_RANGE = "out_of_range"
    BAD_CHOICE = "bad_choice"
    PERCENT_AND_AMOUNT = "percent_and_amount"
    PCT_SUM_OVER_100 = "pct_sum_over_100"
    DEFERRAL_OVER_PAY = "deferral_over_pay"
    PAY_BEFORE_HIRE = "pay_before_hire"
    REHIRE_BEFORE_HIRE = "rehire_before_hire"
    AGE_OUT_OF_RANGE = "age_out_of_range"
    TERMINATION_BEFORE_HIRE = "termination_before_hire"
    REASON_WITHOUT_DATE = "termination_reason_without_date"
    NO_LIMITS_FOR_YEAR = "no_irs_limits_for_year"
    STATEMENT_AFTER_AS_OF = "statement_after_as_of"
    PAID_AFTER_AS_OF = "paid_after_as_of"
    NOT_POSITIVE = "not_positive"
    WITHHOLDING_OVER_GROSS = "withholding_over_gross"
    DUPLICATE_IN_FILE = "duplicate_in_file"
    ALREADY_POSTED = "already_posted"
    UNKNOWN_PARTICIPANT = "unknown_participant"
    STATEMENT_NOT_NEWER = "statement_not_newer"
    EXCEEDS_BALANCE = "exceeds_balance"
    EXCEEDS_VESTED = "exceeds_vested"


ROW_REJECT_STAGE: dict[RowReject, int] = {
    RowReject.WRONG_FIELD_COUNT: 0,
    RowReject.UNCLOSED_QUOTE: 0,
    RowReject.MALFORMED_RECORD: 0,
    RowReject.MISSING_VALUE: 1,
    RowReject.NEGATIVE_MONEY: 1,
    RowReject.BAD_FORMAT: 1,
    RowReject.OUT_OF_RANGE: 1,
    RowReject.BAD_CHOICE: 1,
    RowReject.PERCENT_AND_AMOUNT: 1,
    RowReject.PCT_SUM_OVER_100: 2,
    RowReject.DEFERRAL_OVER_PAY: 2,
    RowReject.PAY_BEFORE_HIRE: 2,
    RowReject.REHIRE_BEFORE_HIRE: 2,
    RowReject.AGE_OUT_OF_RANGE: 2,
    RowReject.TERMINATION_BEFORE_HIRE: 2,
    RowReject.REASON_WITHOUT_DATE: 2,
    RowReject.NO_LIMITS_FOR_YEAR: 2,
    RowReject.STATEMENT_AFTER_AS_OF: 2,
    RowReject.PAID_AFTER_AS_OF: 2,
    RowReject.NOT_POSITIVE: 2,
    RowReject.WITHHOLDING_OVER_GROSS: 2,
    RowReject.DUPLICATE_IN_FILE: 3,
    RowReject.ALREADY_POSTED: 3,
    RowReject.UNKNOWN_PARTICIPANT: 3,
    RowReject.STATEMENT_NOT_NEWER: 3,
    RowReject.EXCEEDS_BALANCE: 3,
    RowReject.EXCEEDS_VESTED: 3,
}


class MeaningfulCode(str, Enum):
    """A code list in precedence order whose members each carry a one-line ``meaning``: members are written
    ``NAME = ("code", "meaning")``; ``precedence`` counts from 1 in the order they are written."""

    meaning: str

    def __new__(cls, code: str, meaning: str) -> MeaningfulCode:
        member = str.__new__(cls, code)
        member._value_ = code
        member.meaning = meaning
        return member

    @property
    def precedence(self) -> int:
        return list(type(self)).index(self) + 1


class NoticeCode(MeaningfulCode):
    """What a notice (a posted row or processed termination worth a plan administrator's attention) says, in
    precedence order: the first ones need a decision, the last ones are for information. Loaded into DuckDB as
    ``notice_codes`` (code, precedence, meaning) at every open; a check accepts no other code in ``notices``.

    >>> NoticeCode.FORFEITURE_ADDED.value, NoticeCode.FORFEITURE_ADDED.precedence
    ('forfeiture_added', 7)
    """

    RMD_BENEFICIARY_REVIEW = (
        "rmd_beneficiary_review",
        "a participant with money here died: beneficiaries' RMDs are not computed here; review who must take what",
    )
    EXCESS_DEFERRAL = (
        "excess_deferral",
        "payroll withheld a deferral beyond the 402(g)/catch-up or 415(c) limit: held in excess_deferral, refund it "
        "with its earnings by 15 April of the next year",
    )
    TERMINATION_AFTER_REHIRE = (
        "termination_after_rehire",
        "a person terminated after a rehire (a hire date later than the first): service and forfeiture need a decision",
    )
    TERMINATION_CHANGED = (
        "termination_changed",
        "a processed termination's date or reason changed since: not processed again; review vesting and forfeiture",
    )
    TERMINATION_WITHDRAWN = (
        "termination_withdrawn",
        "a processed termination is no longer in force (withdrawn or rehired): nothing is reversed automatically",
    )
    TERMINATION_BEFORE_RECORDS = (
        "termination_before_records",
        "a termination dated before any money on record here: the prior recordkeeper's vesting stands",
    )
    FORFEITURE_ADDED = (
        "forfeiture_added",
        "employer money posted after a termination was processed: its non-vested part was forfeited",
    )
    NO_HOURS_REPORTED = (
        "no_hours_reported",
        "hours-based vesting with no payroll hours on record: only prior service counted",
    )
    PAYROLL_AFTER_TRUE_UP = (
        "payroll_after_true_up",
        "payroll for a year whose true-up was already posted: the true-up is not redone",
    )
    POSTED_OUT_OF_ORDER = (
        "posted_out_of_order",
        "a pay date before one already posted for the person and year: rooms were filled in posting order",
    )


def notice_rows(people: pl.DataFrame, code: NoticeCode | pl.Expr, message: pl.Expr) -> pl.DataFrame:
    """Notices about a derived step's people (no file line): ``line_number`` (null), ``employee_id``, ``code``
    (one code, or an expression choosing one per row) and ``message``, as ``notices`` keeps them."""
    return people.select(
        pl.lit(None, pl.Int32).alias("line_number"),
        "employee_id",
        (pl.lit(code.value) if isinstance(code, NoticeCode) else code).alias("code"),
        message.alias("message"),
    )
