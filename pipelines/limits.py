"""The IRS limits seed table (``sql/seeds/irs_limits.csv``) as a polars frame of integer cents.

The same file is loaded into DuckDB as ``irs_limits`` by the ledger gateway, so SQL users see the figures
the rules used. There is no default for a missing year: rows of such a year are rejected (see
``schemas.payroll.row_schema``), and :func:`limits_for_years` raises if asked for one.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from pipelines.resources import IRS_LIMITS_CSV

DOLLAR_COLUMNS = (
    "elective_deferral_402g",
    "catchup_50plus",
    "catchup_60_63",
    "annual_additions_415c",
    "compensation_401a17",
    "hce_threshold",
    "key_employee_threshold",
    "roth_catchup_prior_year_wage_threshold",
)
REQUIRED_COLUMNS = ("elective_deferral_402g", "catchup_50plus", "annual_additions_415c", "compensation_401a17")


class LimitsTableError(ValueError):
    """The limits seed file is malformed or lacks a year that was asked for."""


def load_irs_limits(path: Path = IRS_LIMITS_CSV) -> pl.DataFrame:
    """Read the seed CSV: ``plan_year``, one ``<name>_cents`` Int64 column per dollar limit, ``source``.

    Examples
    --------
    >>> limits = load_irs_limits()
    >>> limits.filter(pl.col("plan_year") == 2025).select("elective_deferral_402g_cents").item()
    2350000
    """
    raw = pl.read_csv(path, infer_schema=False)
    missing = [c for c in ("year", *DOLLAR_COLUMNS, "source") if c not in raw.columns]
    if missing:
        raise LimitsTableError(f"{path}: missing columns {missing}")
    try:
        frame = raw.select(
            pl.col("year").cast(pl.Int32, strict=True).alias("plan_year"),
            *[(pl.col(c).cast(pl.Int64, strict=True) * 100).alias(f"{c}_cents") for c in DOLLAR_COLUMNS],
            pl.col("source"),
        )
    except pl.exceptions.InvalidOperationError as exc:
        raise LimitsTableError(f"{path}: a limit is not a whole number of dollars: {exc}") from None
    bad = frame.filter(pl.any_horizontal(pl.col(f"{c}_cents").is_null() for c in REQUIRED_COLUMNS))
    if bad.height:
        raise LimitsTableError(f"{path}: years {bad['plan_year'].to_list()} lack a required limit")
    if frame["plan_year"].is_duplicated().any():
        raise LimitsTableError(f"{path}: a year appears twice")
    if frame["source"].is_null().any():
        raise LimitsTableError(f"{path}: every row must cite its source")
    return frame.sort("plan_year")


def limits_for_years(limits: pl.DataFrame, years: list[int]) -> pl.DataFrame:
    """The rows for ``years``; a year with no row is an error, never a default."""
    missing = sorted(set(years) - set(limits["plan_year"].to_list()))
    if missing:
        raise LimitsTableError(f"no IRS limits for {missing}: add the rows to sql/seeds/irs_limits.csv")
    return limits.filter(pl.col("plan_year").is_in(years))
