"""Rollover eligibility and what cashing out costs, per leaver, as of a date.

Pure functions over polars frames; the figures come from ``sql/seeds/distribution_rules.csv`` and the plan's
``[distributions]`` section.

* **Eligible rollover amount** = vested balance − the RMD still due (an RMD is never an eligible rollover
  distribution, IRC §402(c)(4)(B), and the 20% withholding does not apply to it).
* **Category**: ``rmd_first`` while an RMD of the person is due and not taken in full; otherwise, on the vested
  balance (less rollover money when ``exclude_rollovers_from_force_out``): ``cash_out`` at or below the plan's
  cash-out limit, ``automatic_rollover`` at or below its force-out limit (never above the law's for the year:
  $5,000 before 2024, $7,000 after), else ``consent_required``.
* **Early penalty** (10%, IRC §72(t)): under 59½ on the as-of date (reached six calendar months after the 59th
  birthday), unless the person separated from service in or after the calendar year they reached 55
  (§72(t)(2)(A)(v)) or the termination reason is death or disability.
* **Taxable part**: everything but Roth money; of Roth money, nothing when a distribution would be qualified
  (five taxable years since the year of the person's first Roth entry here, and 59½, death or disability:
  IRC §402A(d)(2)), else only its earnings (Roth balance − ``roth_basis``, where the basis is the Roth
  contributions and opening balances: a prior recordkeeper's Roth statement is taken as all basis).
* **Cash-out**: 20% mandatory withholding (IRC §3405(c)) on the taxable part of the eligible rollover amount,
  the penalty on the taxable part, net = vested balance − withholding − penalty. Withholding is a prepayment
  of income tax, not the tax itself: the tax owed is settled on the person's return.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from pipelines.money import div_round_half_up, pct_of
from schemas.payroll import age_at, date_reached
from schemas.plan import DistributionsConfig

PENALTY_FREE_REASONS = ("death", "disability")
CATEGORIES = ("rmd_first", "cash_out", "automatic_rollover", "consent_required")

REPORT_COLUMNS = (
    "employee_id", "termination_date", "termination_reason", "vesting_pending", "age_at_as_of", "vested_balance_cents",
    "roth_balance_cents", "roth_basis_cents", "rollover_balance_cents", "rmd_due_cents",
    "eligible_rollover_amount_cents", "category", "early_penalty_applies", "taxable_if_cashed_out_cents",
    "withholding_if_cashed_out_cents", "penalty_if_cashed_out_cents", "net_if_cashed_out_cents",
)


def roth_basis_left(gross_basis: pl.Expr, distributed: pl.Expr, balance: pl.Expr) -> pl.Expr:
    """The Roth basis left after distributions: each distribution recovers basis pro rata (IRC §72(e)(8)), taken
    here as the gross basis × balance / (balance + distributed), half-up, never above the balance (exact for
    payments made after the last contribution and earnings; otherwise an estimate).

    >>> # $10,000 opening + $2,000 earnings, $6,000 paid: $10,000 x 6,000 / 12,000 = $5,000 of basis left.
    >>> pl.select(roth_basis_left(pl.lit(1_000_000), pl.lit(600_000), pl.lit(600_000))).item()
    500000
    """
    left = pl.when(distributed > 0).then(
        div_round_half_up(gross_basis.cast(pl.Int128) * balance.clip(lower_bound=0), balance + distributed)
    ).otherwise(gross_basis)
    return pl.min_horizontal(left, balance.clip(lower_bound=0))


def reached(birth: pl.Expr, months: int, on: date) -> pl.Expr:
    """Whether the age of ``months`` (59½ = 714) is reached on ``on`` (the 59th birthday, then six calendar
    months: :func:`schemas.payroll.date_reached`)."""
    return date_reached(birth, pl.lit(months)) <= pl.lit(on)


def eligibility(
    leavers: pl.DataFrame, as_of: date, plan: DistributionsConfig, rules: dict
) -> pl.DataFrame:
    """One row per leaver with a vested balance above zero (columns :data:`REPORT_COLUMNS`).

    ``leavers``: ``employee_id``, ``date_of_birth``, ``termination_date``, ``termination_reason``,
    ``vesting_pending``, ``vested_balance_cents``, ``roth_balance_cents``, ``roth_basis_cents``,
    ``rollover_balance_cents``, ``first_roth_year`` (null: no Roth money), ``rmd_due_cents``. ``rules``: the
    row of :func:`pipelines.distribution_rules.rules_for_year` for the as-of year.
    """
    force_out_cents = min(plan.force_out_limit_cents, rules["involuntary_limit_cents"])
    birth = pl.col("date_of_birth")
    past_59_half = reached(birth, rules["early_penalty_age_months"], as_of)
    separated_at_55 = (
        pl.col("termination_date").dt.year() >= birth.dt.year() + rules["separation_from_service_age"]
    )
    exempt_reason = pl.col("termination_reason").fill_null("").is_in(PENALTY_FREE_REASONS)
    roth_qualified = (
        pl.col("first_roth_year").is_not_null()
        & (pl.lit(as_of.year) - pl.col("first_roth_year") >= rules["roth_qualified_years"])
        & (past_59_half | exempt_reason)
    )
    roth_taxable = pl.when(roth_qualified).then(0).otherwise(
        (pl.col("roth_balance_cents") - pl.col("roth_basis_cents")).clip(lower_bound=0)
    )
    counted = pl.col("vested_balance_cents") - (
        pl.col("rollover_balance_cents") if plan.exclude_rollovers_from_force_out else pl.lit(0)
    )
    category = (
        pl.when(pl.col("rmd_due_cents") > 0).then(pl.lit("rmd_first"))
        .when(counted <= plan.cash_out_limit_cents).then(pl.lit("cash_out"))
        .when(counted <= force_out_cents).then(pl.lit("automatic_rollover"))
        .otherwise(pl.lit("consent_required"))
    )
    rows = leavers.filter(pl.col("vested_balance_cents") > 0).with_columns(
        age_at(pl.lit(as_of), birth).alias("age_at_as_of"),
        pl.min_horizontal("rmd_due_cents", "vested_balance_cents").alias("rmd_due_cents"),
    ).with_columns(
        (pl.col("vested_balance_cents") - pl.col("rmd_due_cents")).alias("eligible_rollover_amount_cents"),
        category.alias("category"),
        (~past_59_half & ~separated_at_55 & ~exempt_reason).alias("early_penalty_applies"),
        (pl.col("vested_balance_cents") - pl.col("roth_balance_cents") + roth_taxable)
        .alias("taxable_if_cashed_out_cents"),
    )
    # The RMD part is paid first and is taxable, but the mandatory withholding applies only to the rest.
    withheld_on = (pl.col("taxable_if_cashed_out_cents") - pl.col("rmd_due_cents")).clip(lower_bound=0)
    rows = rows.with_columns(
        pct_of(withheld_on, pl.lit(rules["withholding_bp"])).alias("withholding_if_cashed_out_cents"),
        pl.when(pl.col("early_penalty_applies"))
        .then(pct_of(pl.col("taxable_if_cashed_out_cents"), pl.lit(rules["penalty_bp"])))
        .otherwise(0).alias("penalty_if_cashed_out_cents"),
    ).with_columns(
        (pl.col("vested_balance_cents") - pl.col("withholding_if_cashed_out_cents")
         - pl.col("penalty_if_cashed_out_cents")).alias("net_if_cashed_out_cents"),
    )
    return rows.select(REPORT_COLUMNS).sort("employee_id")


COST_FIELDS = (
    "amount_cents", "taxable_cents", "withholding_cents", "cash_at_payment_cents", "penalty_cents",
    "federal_tax_cents", "state_tax_cents", "net_after_tax_cents", "rollover_keeps_cents", "rmd_part_cents",
)


def withdrawal_cost(person: dict, amount_cents: int, federal_bp: int, state_bp: int, rules: dict) -> dict:
    """What paying ``amount_cents`` of a leaver's vested balance in cash costs, from their report row (``person``:
    the ``*_cents`` figures and ``early_penalty_applies`` of :func:`eligibility`).

    The RMD still due comes out first and is not an eligible rollover distribution (no mandatory withholding,
    cannot be rolled over). The taxable part is the amount's pro-rata share of the taxable balance (IRC §72(e)(8));
    mandatory withholding is 20% of the taxable part beyond the RMD; the penalty 10% of the taxable part when it
    applies; the income tax estimates are the given rates of the taxable part. ``net_after_tax`` is what the
    person keeps once the return is settled; ``cash_at_payment`` what they receive on the day (withholding is a
    prepayment of the tax, not an extra cost). A direct rollover keeps everything but the RMD part, untaxed now.

    >>> p = {"vested_balance_cents": 1_000_000, "taxable_if_cashed_out_cents": 800_000, "rmd_due_cents": 0,
    ...      "early_penalty_applies": True}
    >>> c = withdrawal_cost(p, 500_000, 2_200, 500, {"withholding_bp": 2_000, "penalty_bp": 1_000})
    >>> # $5,000 of $10,000, 80% taxable: $4,000 taxable; 20% = $800 withheld; 10% = $400 penalty; 22% = $880
    >>> # federal and 5% = $200 state tax; kept after tax: 5,000 - 880 - 200 - 400 = $3,520.
    >>> (c["taxable_cents"], c["withholding_cents"], c["penalty_cents"], c["federal_tax_cents"], c["state_tax_cents"],
    ...  c["net_after_tax_cents"], c["cash_at_payment_cents"], c["rollover_keeps_cents"])
    (400000, 80000, 40000, 88000, 20000, 352000, 420000, 500000)
    """
    vested = person["vested_balance_cents"]
    if not 0 < amount_cents <= vested:
        raise ValueError(f"the amount must be more than zero and at most the vested balance ({vested} cents)")
    frame = pl.DataFrame({"amount": [amount_cents], "vested": [vested], "taxable": [person["taxable_if_cashed_out_cents"]],
                          "rmd": [min(person["rmd_due_cents"], amount_cents)]})
    costs = frame.with_columns(
        div_round_half_up(pl.col("amount").cast(pl.Int128) * pl.col("taxable"), vested).alias("taxable_part"),
    ).select(
        pl.col("amount").alias("amount_cents"),
        pl.col("taxable_part").alias("taxable_cents"),
        pct_of((pl.col("taxable_part") - pl.col("rmd")).clip(lower_bound=0), pl.lit(rules["withholding_bp"]))
        .alias("withholding_cents"),
        (pct_of(pl.col("taxable_part"), pl.lit(rules["penalty_bp"])) if person["early_penalty_applies"]
         else pl.lit(0, pl.Int64)).alias("penalty_cents"),
        pct_of(pl.col("taxable_part"), pl.lit(federal_bp)).alias("federal_tax_cents"),
        pct_of(pl.col("taxable_part"), pl.lit(state_bp)).alias("state_tax_cents"),
        (pl.col("amount") - pl.col("rmd")).alias("rollover_keeps_cents"),
        pl.col("rmd").alias("rmd_part_cents"),
    ).with_columns(
        (pl.col("amount_cents") - pl.col("withholding_cents")).alias("cash_at_payment_cents"),
        (pl.col("amount_cents") - pl.col("federal_tax_cents") - pl.col("state_tax_cents") - pl.col("penalty_cents"))
        .alias("net_after_tax_cents"),
    )
    return costs.select(COST_FIELDS).row(0, named=True)
