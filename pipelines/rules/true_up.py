"""The year-end match true-up, a pure function of a plan year's totals per person.

The year's plan compensation (capped by 401(a)(17)) and deferrals (catch-up only when ``match_catch_up``)
go through the same tier formula as each period's match; the true-up is what that formula gives beyond the
match the periods already paid, if positive. It is subject to eligibility (employed on the last day of the
year, a minimum of hours) and to the 415(c) room left after the year's other annual additions.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from pipelines.rules.contributions import employer_match
from schemas.plan import PlanConfig

ANNUAL_SCHEMA = {
    "employee_id": pl.Utf8,
    "plan_year": pl.Int32,
    "plan_compensation_cents": pl.Int64,
    "regular_deferral_cents": pl.Int64,
    "catch_up_deferral_cents": pl.Int64,
    "match_cents": pl.Int64,
    "annual_additions_cents": pl.Int64,
    "hours_worked_hundredths": pl.Int64,
    "termination_date": pl.Date,
}


def compute_true_up(annual: pl.DataFrame, limits: pl.DataFrame, plan: PlanConfig) -> pl.DataFrame:
    """Add ``counted_compensation_cents``, ``matchable_deferral_cents``, ``formula_match_cents``,
    ``ineligible_reason``, ``reduced_415c_cents`` and ``true_up_cents`` to one row per person and year.

    Examples
    --------
    >>> import polars as pl
    >>> from pipelines.limits import load_irs_limits
    >>> from schemas.plan import parse_plan_text
    >>> plan = parse_plan_text('plan_id = "p"\\nname = "P"\\n[match]\\ntiers = [{ up_to_pct = 4, '
    ...                        'rate_pct = 100 }]\\n[true_up]\\nenabled = true', "p.toml")
    >>> # $100,000 pay, $10,000 deferred by June; the periods matched 4% of the first half's pay only: $2,000.
    >>> # Annual formula: 4% of $100,000 = $4,000, so the true-up is $2,000.
    >>> annual = pl.DataFrame([("E1", 2025, 10_000_000, 1_000_000, 0, 200_000, 1_200_000, 0, None)],
    ...                       schema=ANNUAL_SCHEMA, orient="row")
    >>> compute_true_up(annual, load_irs_limits(), plan)["true_up_cents"].item()
    200000
    """
    config = plan.true_up
    joined = annual.join(
        limits.select("plan_year", "compensation_401a17_cents", "annual_additions_415c_cents"), on="plan_year", how="left"
    )
    if joined["compensation_401a17_cents"].null_count():
        raise AssertionError("a plan year without IRS limits reached the true-up")
    deferral = pl.col("regular_deferral_cents") + (
        pl.col("catch_up_deferral_cents") if plan.match.match_catch_up else pl.lit(0, pl.Int64)
    )
    formula = employer_match(
        joined.with_columns(
            pl.min_horizontal("plan_compensation_cents", "compensation_401a17_cents").alias("counted_compensation_cents"),
            deferral.alias("matchable_deferral_cents"),
            # employer_match reads these four deferral columns; the annual deferral goes in as one of them.
            deferral.alias("pretax_cents"),
            pl.lit(0, pl.Int64).alias("roth_cents"),
            pl.lit(0, pl.Int64).alias("pretax_catchup_cents"),
            pl.lit(0, pl.Int64).alias("roth_catchup_cents"),
        ).rename({"match_cents": "period_match_cents"}),
        plan.match.model_copy(update={"match_catch_up": True}),
        "counted_compensation_cents",
    ).rename({"match_cents": "formula_match_cents"})
    year_end = pl.date(pl.col("plan_year"), 12, 31)
    ineligible = (
        pl.when(pl.lit(config.requires_last_day_employment) & (pl.col("termination_date") < year_end))
        .then(pl.lit("terminated_before_year_end"))
        .when(pl.col("hours_worked_hundredths") < config.min_hours_hundredths)
        .then(pl.lit("below_min_hours"))
    )
    owed = pl.max_horizontal(pl.col("formula_match_cents") - pl.col("period_match_cents"), pl.lit(0, pl.Int64))
    room = pl.max_horizontal(
        pl.min_horizontal("annual_additions_415c_cents", "plan_compensation_cents") - pl.col("annual_additions_cents"),
        pl.lit(0, pl.Int64),
    )
    return (
        formula.with_columns(ineligible.alias("ineligible_reason"))
        .with_columns(pl.when(pl.col("ineligible_reason").is_null()).then(owed).otherwise(0).alias("_owed"))
        .with_columns(
            pl.min_horizontal("_owed", room).alias("true_up_cents"),
            (pl.col("_owed") - pl.min_horizontal("_owed", room)).alias("reduced_415c_cents"),
        )
        .drop("_owed", "pretax_cents", "roth_cents", "pretax_catchup_cents", "roth_catchup_cents",
              "compensation_401a17_cents")
        .rename({"period_match_cents": "match_cents"})
    )


def is_due(plan: PlanConfig, plan_year: int, as_of: dt.date) -> bool:
    """A plan year's true-up is due from its ``on`` date in the following year."""
    return plan.true_up.enabled and as_of >= plan.true_up.due_date(plan_year)
