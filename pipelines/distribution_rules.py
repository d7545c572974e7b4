"""The distribution rules seed table (``sql/seeds/distribution_rules.csv``) as polars, in cents and basis points.

Loaded into DuckDB as ``distribution_rules`` too. A year no row covers is an error naming the file, never a
default.
"""

from __future__ import annotations

import functools
from pathlib import Path

import polars as pl

from pipelines.resources import SEEDS_DIR


class DistributionRulesError(ValueError):
    """The seed file is malformed or covers no row for a year asked for."""


@functools.cache
def load_distribution_rules(path: Path = SEEDS_DIR / "distribution_rules.csv") -> pl.DataFrame:
    """One row per span of years: ``from_year``, ``through_year``, ``involuntary_limit_cents``,
    ``automatic_rollover_threshold_cents``, ``withholding_bp``, ``penalty_bp``, ``early_penalty_age_months``,
    ``separation_from_service_age``, ``roth_qualified_years``.

    >>> rules = load_distribution_rules()
    >>> rules_for_year(rules, 2023)["involuntary_limit_cents"], rules_for_year(rules, 2024)["involuntary_limit_cents"]
    (500000, 700000)
    """
    raw = pl.read_csv(path, infer_schema=False)
    if raw["source"].is_null().any():
        raise DistributionRulesError(f"{path}: every row must cite its source")
    try:
        return raw.select(
            pl.col("from_year").cast(pl.Int32, strict=True),
            pl.col("through_year").cast(pl.Int32, strict=True),
            (pl.col("involuntary_cash_out_limit").cast(pl.Int64, strict=True) * 100).alias("involuntary_limit_cents"),
            (pl.col("automatic_rollover_threshold").cast(pl.Int64, strict=True) * 100)
            .alias("automatic_rollover_threshold_cents"),
            (pl.col("mandatory_withholding_pct").cast(pl.Int64, strict=True) * 100).alias("withholding_bp"),
            (pl.col("early_penalty_pct").cast(pl.Int64, strict=True) * 100).alias("penalty_bp"),
            pl.col("early_penalty_age_months").cast(pl.Int32, strict=True),
            pl.col("separation_from_service_age").cast(pl.Int32, strict=True),
            pl.col("roth_qualified_years").cast(pl.Int32, strict=True),
        ).sort("from_year")
    except pl.exceptions.InvalidOperationError as exc:
        raise DistributionRulesError(f"{path}: a figure is not a whole number: {exc}") from None


def rules_for_year(rules: pl.DataFrame, year: int) -> dict:
    """The row in force for calendar ``year``; none is an error."""
    row = rules.filter((pl.col("from_year") <= year) & (pl.col("through_year") >= year))
    if row.height != 1:
        raise DistributionRulesError(f"no distribution rules for {year}: add the row to sql/seeds/distribution_rules.csv")
    return row.row(0, named=True)
