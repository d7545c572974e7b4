"""Pandera schemas for payroll files, generated from the field dictionary in :mod:`schemas.fields`.

Two schemas, run in order on materialized polars frames with ``lazy=True`` so every failure is collected:

* :func:`text_schema` checks each value as text (stage 1 of :mod:`schemas.reasons`);
* :func:`row_schema` checks the typed values of a row together (stage 2).

Each check's ``error`` is ``"<reason_code>|<column>|<message>"`` so a pandera failure case maps back to a
rejection without a lookup table that could drift from the checks.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandera.polars as pa
import polars as pl

from schemas.fields import DEFERRAL_FORMS, MAX_MONEY_INTEGER_DIGITS, PAYROLL_FIELDS, Field
from schemas.reasons import RowReject

DATE_FORMAT = "%Y-%m-%d"
MIN_AGE_AT_PAY_DATE = 14
MAX_AGE_AT_PAY_DATE = 110
MAX_TEXT_CHARS = 64

_MONEY_RE = rf"^[0-9]{{1,{MAX_MONEY_INTEGER_DIGITS}}}(\.[0-9]{{1,2}})?$"
_NEGATIVE_RE = r"^-"
_PCT_RE = r"^[0-9]{1,3}(\.[0-9]{1,2})?$"
_PCT_0_100_RE = r"^(100(\.0{1,2})?|[0-9]{1,2}(\.[0-9]{1,2})?)$"
_HOURS_RE = r"^[0-9]{1,5}(\.[0-9]{1,2})?$"
_SSN_RE = r"^[0-9]{3}-?[0-9]{2}-?[0-9]{4}$"
_COUNT_RE = r"^[0-9]{1,2}$"
#: Years 1900-2199 only: year 0 and the like are not real payroll dates and break date arithmetic.
_DATE_RE = r"^(19|20|21)[0-9]{2}-[0-9]{2}-[0-9]{2}$"


def error_tag(reason: RowReject, column: str, message: str) -> str:
    """Encode a check's reason, column and message in its pandera ``error`` string."""
    return f"{reason.value}|{column}|{message}"


def _select_expr(data: pa.PolarsData, *, expr: pl.Expr) -> pl.LazyFrame:
    return data.lazyframe.select(expr.alias("ok"))


def expr_check(expr: pl.Expr, error: str) -> pa.Check:
    """A pandera check whose verdict per row is the Boolean expression ``expr`` over the frame's columns.

    Every planadmin check is one, so the expression is also the check's statistic ``expr``:
    :func:`pipelines.ingest.screen_rows` evaluates all of a schema's checks in one polars pass, and pandera
    then validates only the rows that fail one (a row's verdict never depends on other rows).
    """
    return pa.Check(_select_expr, error=error, expr=expr)


def _value_check(field: Field, ok: pl.Expr, reason: RowReject, message: str) -> pa.Check:
    """A vectorised check over one text column; empty values pass (missing is checked by nullability)."""
    return expr_check(pl.col(field.name).is_null() | ok, error_tag(reason, field.name, message))


def value_checks(field: Field) -> list[pa.Check]:
    """The stage-1 checks of one field's text values (each an :func:`expr_check`; an empty value passes)."""
    col = pl.col(field.name)
    if field.kind == "text":
        return [
            _value_check(
                field,
                col.str.len_chars() <= MAX_TEXT_CHARS,
                RowReject.OUT_OF_RANGE,
                f"longer than {MAX_TEXT_CHARS} characters",
            ),
            _value_check(
                field,
                # Control and invisible format characters (zero-width space, BOM, ...) would make two
                # different-looking ids for one person.
                ~col.str.contains(r"[\p{Cc}\p{Cf}]"),
                RowReject.BAD_FORMAT,
                "contains a control or invisible character (NUL, line break, zero-width space, ...)",
            ),
        ]
    if field.kind == "date":
        return [
            _value_check(
                field,
                col.str.contains(_DATE_RE) & col.str.to_date(DATE_FORMAT, strict=False).is_not_null(),
                RowReject.BAD_FORMAT,
                "not a date in YYYY-MM-DD form (years 1900-2199)",
            )
        ]
    if field.kind == "money":
        negative = col.str.contains(_NEGATIVE_RE)
        return [
            _value_check(field, ~negative, RowReject.NEGATIVE_MONEY, "money must not be negative"),
            _value_check(
                field,
                negative | col.str.contains(_MONEY_RE),
                RowReject.BAD_FORMAT,
                f"not a plain amount (digits, at most 2 decimals, at most {MAX_MONEY_INTEGER_DIGITS} "
                "integer digits, no $ or thousands separators)",
            ),
        ]
    if field.kind == "pct":
        well_formed = col.str.contains(_PCT_RE)
        return [
            _value_check(field, well_formed, RowReject.BAD_FORMAT, "not a percent (a number, at most 2 decimals)"),
            _value_check(
                field,
                ~well_formed | col.str.contains(_PCT_0_100_RE),
                RowReject.OUT_OF_RANGE,
                "percent outside 0-100",
            ),
        ]
    if field.kind == "hours":
        return [
            _value_check(
                field,
                col.str.contains(_HOURS_RE),
                RowReject.BAD_FORMAT,
                "not a number of hours >= 0 with at most 2 decimals",
            )
        ]
    if field.kind == "ssn":
        return [_value_check(field, col.str.contains(_SSN_RE), RowReject.BAD_FORMAT, "not a 9-digit SSN")]
    if field.kind == "enum":
        return [
            _value_check(
                field,
                col.is_in(list(field.choices)),
                RowReject.BAD_CHOICE,
                f"not one of {', '.join(field.choices)}",
            )
        ]
    if field.kind == "bool":
        return [
            _value_check(
                field, col.str.to_lowercase().is_in(["true", "false"]), RowReject.BAD_FORMAT, "not true or false"
            )
        ]
    if field.kind == "count":
        return [
            _value_check(field, col.str.contains(_COUNT_RE), RowReject.BAD_FORMAT, "not a whole number from 0 to 99")
        ]
    raise ValueError(f"field {field.name!r} has unknown kind {field.kind!r}")


def text_schema(columns: Iterable[str], fields: tuple[Field, ...] = PAYROLL_FIELDS) -> pa.DataFrameSchema:
    """Stage-1 schema for the columns present in a file of any kind, all read as text (empty cells are
    null); ``fields`` is that kind's field dictionary."""
    present = set(columns)
    checks = []
    for f in fields:
        # With both columns, a row must say which form it gives; with only the alternative (a withheld amount), an
        # empty cell means nothing was withheld (see pipelines.ingest.to_typed).
        if f.alternative is not None and f.name in present and f.alternative in present:
            checks.append(expr_check(
                pl.col(f.alternative).is_not_null() | pl.col(f.name).is_not_null(),
                error_tag(RowReject.MISSING_VALUE, f.name, f"required value is missing: give {f.name} or {f.alternative}"),
            ))
    for pct, amount in DEFERRAL_FORMS:
        if pct in present and amount in present and pct in {f.name for f in fields}:
            checks.append(expr_check(
                pl.col(pct).is_null() | pl.col(amount).is_null(),
                error_tag(RowReject.PERCENT_AND_AMOUNT, amount,
                          f"both {pct} and {amount} are given: a row gives one form or the other"),
            ))
    return pa.DataFrameSchema(
        {
            f.name: pa.Column(
                pl.Utf8,
                # With both columns in the file, the pair's check above says which is missing.
                nullable=not f.required or (f.alternative is not None and f.alternative in present),
                checks=value_checks(f),
            )
            for f in fields
            if f.name in present
        },
        checks=checks,
        strict=False,
        name="payroll_text",
    )


def age_at(on: pl.Expr, born: pl.Expr) -> pl.Expr:
    """Completed years of age on a date (a 29 February birthday comes on 1 March in other years).

    Examples
    --------
    >>> import polars as pl, datetime as dt
    >>> pl.select(age_at(pl.lit(dt.date(2025, 6, 1)), pl.lit(dt.date(1975, 6, 2)))).item()
    49
    >>> pl.select(age_at(pl.lit(dt.date(2025, 1, 10)), pl.lit(dt.date(2011, 6, 1)))).item()  # 13, not 14
    13
    """

    def month_day(d: pl.Expr) -> pl.Expr:
        # polars gives month and day as Int8: widen before arithmetic, or 6 * 100 wraps around.
        return d.dt.month().cast(pl.Int32) * 100 + d.dt.day().cast(pl.Int32)

    before_birthday = month_day(on) < month_day(born)
    return (on.dt.year() - born.dt.year() - before_birthday.cast(pl.Int32)).cast(pl.Int32)


def date_reached(born: pl.Expr, months: pl.Expr) -> pl.Expr:
    """The day an age of ``months`` (an Int expression: 59½ = 714) is reached: the birthday of that many whole
    years (a 29 February birthday on 1 March in other years, as :func:`age_at` counts it), then the remaining
    calendar months (the last day of a shorter month when the day does not exist).

    >>> import polars as pl, datetime as dt
    >>> born = pl.lit(dt.date(1968, 2, 29))
    >>> pl.select(date_reached(born, pl.lit(714))).item()  # 59 on 1 March 2027, 59½ on 1 September 2027
    datetime.date(2027, 9, 1)
    >>> pl.select(date_reached(pl.lit(dt.date(1948, 8, 31)), pl.lit(846))).item()  # 70 on 31 Aug 2018, +6 months
    datetime.date(2019, 2, 28)
    """
    birthday = born.dt.offset_by(pl.format("{}y", months // 12))
    leap_day = (born.dt.month() == 2) & (born.dt.day() == 29) & (birthday.dt.day() == 28)
    birthday = pl.when(leap_day).then(birthday.dt.offset_by("1d")).otherwise(birthday)
    return birthday.dt.offset_by(pl.format("{}mo", months % 12))


def row_check(ok: pl.Expr, reason: RowReject, column: str, message: str) -> pa.Check:
    """A stage-2 check over a typed frame; a null (a value the row does not have) passes."""
    return expr_check(ok.fill_null(True), error_tag(reason, column, message))


def termination_checks() -> list[pa.Check]:
    """Checks on a row's hire and termination facts, shared by payroll and census files (a file without a
    ``rehire_date`` column has it null: its check passes)."""
    return [
        row_check(
            pl.col("rehire_date") > pl.col("hire_date"),
            RowReject.REHIRE_BEFORE_HIRE,
            "rehire_date",
            "rehire_date is not after hire_date (hire_date is the first hire)",
        ),
        row_check(
            pl.col("termination_date") >= pl.col("hire_date"),
            RowReject.TERMINATION_BEFORE_HIRE,
            "termination_date",
            "termination_date is before hire_date",
        ),
        row_check(
            pl.col("termination_reason").is_null() | pl.col("termination_date").is_not_null(),
            RowReject.REASON_WITHOUT_DATE,
            "termination_reason",
            "termination_reason given without termination_date",
        ),
    ]


def row_schema(limit_years: Iterable[int]) -> pa.DataFrameSchema:
    """Stage-2 schema over the typed frame (see :func:`pipelines.ingest.to_typed`).

    ``limit_years`` are the calendar years the IRS limits seed table has a row for.
    """
    years = sorted(set(limit_years))
    age = age_at(pl.col("pay_date"), pl.col("date_of_birth"))
    return pa.DataFrameSchema(
        checks=[
            row_check(
                pl.col("pretax_deferral_bp").fill_null(0) + pl.col("roth_deferral_bp").fill_null(0) <= 10_000,
                RowReject.PCT_SUM_OVER_100,
                "roth_deferral_pct",
                "pretax_deferral_pct + roth_deferral_pct is more than 100",
            ),
            row_check(
                pl.col("pretax_deferral_amount_cents").fill_null(0) + pl.col("roth_deferral_amount_cents").fill_null(0)
                <= pl.col("gross_pay_cents"),
                RowReject.DEFERRAL_OVER_PAY,
                "pretax_deferral_amount",
                "pretax_deferral_amount + roth_deferral_amount is more than gross_pay: payroll cannot withhold more "
                "than the paycheck",
            ),
            row_check(
                pl.col("pay_date") >= pl.col("hire_date"),
                RowReject.PAY_BEFORE_HIRE,
                "pay_date",
                "pay_date is before hire_date",
            ),
            row_check(
                age.is_between(MIN_AGE_AT_PAY_DATE, MAX_AGE_AT_PAY_DATE),
                RowReject.AGE_OUT_OF_RANGE,
                "date_of_birth",
                f"age at pay_date is under {MIN_AGE_AT_PAY_DATE} or over {MAX_AGE_AT_PAY_DATE}",
            ),
            *termination_checks(),
            row_check(
                pl.col("pay_date").dt.year().is_in(years),
                RowReject.NO_LIMITS_FOR_YEAR,
                "pay_date",
                "no IRS limits for this pay_date's year: add the year's row to sql/seeds/irs_limits.csv "
                f"(years present: {years[0]}-{years[-1]})"
                if years
                else "the IRS limits table is empty",
            ),
        ],
        strict=False,
        name="payroll_row",
    )
