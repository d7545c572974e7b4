"""The RMD seed tables (``sql/seeds/``) as polars frames: the Uniform Lifetime and Joint and Last Survivor tables,
the applicable age by date of birth and the excise rates.

The same files are loaded into DuckDB under the same names at every read-write open, so SQL users see the
figures the rules used. Nothing has a default: a distribution year before the tables are in force, an age or
a pair of ages the table lacks, a date of birth no cohort covers or a year with no excise rate raises
:class:`RmdTableError`, naming the file to fix.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipelines.resources import SEEDS_DIR


class RmdTableError(ValueError):
    """An RMD seed file is malformed, or lacks the row a computation needs."""


@dataclass(frozen=True)
class RmdTables:
    """``uniform``: ``age``, ``period_tenths`` (Int64: 26.5 years is 265). ``joint``: ``owner_age``,
    ``spouse_age``, ``period_tenths``, each pair in both orders. ``applicable_ages``: ``born_on_or_after``,
    ``born_on_or_before``, ``applicable_age_months``, ``applicable_age`` (text as in the law: ``70.5``).
    ``excise``: ``from_year``, ``through_year``, ``excise_pct``, ``corrected_excise_pct``.
    ``in_force_from_year``: the first distribution year both life-expectancy tables apply to."""

    uniform: pl.DataFrame
    joint: pl.DataFrame
    applicable_ages: pl.DataFrame
    excise: pl.DataFrame
    in_force_from_year: int


def _read(path: Path, columns: dict[str, pl.DataType]) -> pl.DataFrame:
    raw = pl.read_csv(path, infer_schema=False)
    missing = [c for c in (*columns, "source") if c not in raw.columns]
    if missing:
        raise RmdTableError(f"{path}: missing columns {missing}")
    if raw["source"].is_null().any():
        raise RmdTableError(f"{path}: every row must cite its source")
    try:
        return raw.select(
            pl.col(c).str.to_date("%Y-%m-%d", strict=True) if t == pl.Date else pl.col(c).cast(t, strict=True)
            for c, t in columns.items()
        )
    except (pl.exceptions.InvalidOperationError, pl.exceptions.ComputeError) as exc:
        raise RmdTableError(f"{path}: a value is not of its column's type: {exc}") from None


def _tenths(column: str) -> pl.Expr:
    """A period written with one decimal (``26.5``) as whole tenths (265), without floats."""
    return (pl.col(column).str.strip_chars().cast(pl.Decimal(6, 1)) * 10).cast(pl.Int64).alias("period_tenths")


@functools.cache
def load_rmd_tables(seeds: Path = SEEDS_DIR) -> RmdTables:
    """Read and check the four seed files (once per process: they are part of the release).

    >>> t = load_rmd_tables()
    >>> t.uniform.filter(pl.col("age") == 73)["period_tenths"].item()  # Table III: 26.5 at 73
    265
    >>> t.joint.filter((pl.col("owner_age") == 75) & (pl.col("spouse_age") == 62))["period_tenths"].item()  # Table II: 26.8
    268
    """
    uniform = _read(seeds / "uniform_lifetime_table.csv",
                    {"age": pl.Int32, "distribution_period": pl.Utf8, "in_force_from_year": pl.Int32})
    joint = _read(seeds / "joint_and_last_survivor_table.csv",
                  {"owner_age": pl.Int32, "spouse_age": pl.Int32, "distribution_period": pl.Utf8,
                   "in_force_from_year": pl.Int32})
    ages = _read(seeds / "rmd_applicable_ages.csv",
                 {"born_on_or_after": pl.Date, "born_on_or_before": pl.Date, "applicable_age_months": pl.Int32,
                  "applicable_age": pl.Utf8})
    excise = _read(seeds / "rmd_excise_rates.csv",
                   {"from_year": pl.Int32, "through_year": pl.Int32, "excise_pct": pl.Int64,
                    "corrected_excise_pct": pl.Int64})
    in_force = set(uniform["in_force_from_year"].to_list()) | set(joint["in_force_from_year"].to_list())
    if len(in_force) != 1:
        raise RmdTableError(f"{seeds}: the life-expectancy tables must share one in_force_from_year, found {in_force}")
    if uniform["age"].is_duplicated().any():
        raise RmdTableError(f"{seeds / 'uniform_lifetime_table.csv'}: an age appears twice")
    joint = joint.select("owner_age", "spouse_age", _tenths("distribution_period"))
    # Stored once per pair (the table is symmetric): add the mirror of each pair the file does not hold itself.
    mirrored = joint.select(pl.col("spouse_age").alias("owner_age"), pl.col("owner_age").alias("spouse_age"),
                            "period_tenths")
    joint = pl.concat([joint, mirrored.join(joint, on=["owner_age", "spouse_age"], how="anti")])
    ages = ages.sort("born_on_or_after")
    gaps = ages.filter(pl.col("born_on_or_after") != pl.col("born_on_or_before").shift(1).dt.offset_by("1d"))
    if gaps.height > 1:  # the first row has no predecessor
        raise RmdTableError(f"{seeds / 'rmd_applicable_ages.csv'}: the cohorts must cover dates of birth without "
                            "gaps or overlaps")
    return RmdTables(uniform.select("age", _tenths("distribution_period")), joint, ages, excise, in_force.pop())
