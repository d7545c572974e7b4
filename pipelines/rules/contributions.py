"""Per-period contribution rules: elections, 402(g) and catch-up rooms, employer match.

Every function is pure: a polars frame in, a frame out, money in Int64 cents, percents in basis points.
No function here loops over rows; per-person state is a cumulative sum over ``(employee_id, plan_year)``
windows ordered by ``pay_date`` (then ``line_number``).

Input columns of a payroll frame (see ``pipelines.ingest.to_typed``): ``employee_id``, ``pay_date``,
``line_number``, ``date_of_birth``, ``plan_compensation_cents``, ``pretax_deferral_bp``,
``roth_deferral_bp``, ``loan_repayment_cents``.

Prior year-to-date state (what earlier nights posted) is a frame of ``employee_id``, ``plan_year``,
``ytd_regular_deferral_cents``, ``ytd_catch_up_deferral_cents``; people and years absent from it start at 0.
"""

from __future__ import annotations

import polars as pl

from pipelines.money import BP_PER_UNIT, div_round_half_up, pct_of
from schemas.plan import CatchUpConfig, MatchConfig, PlanConfig

#: First plan year of the SECURE 2.0 §109 higher catch-up for ages 60-63.
FIRST_AGE_60_63_YEAR = 2025
CATCH_UP_MIN_AGE = 50

DEFERRAL_SOURCES = ("pretax", "roth", "pretax_catchup", "roth_catchup")
LEDGER_SOURCES = (*DEFERRAL_SOURCES, "match", "loan_repayment")

PRIOR_YTD_SCHEMA = {
    "employee_id": pl.Utf8,
    "plan_year": pl.Int32,
    "ytd_regular_deferral_cents": pl.Int64,
    "ytd_catch_up_deferral_cents": pl.Int64,
}

_PERSON_YEAR = ("employee_id", "plan_year")


def elect(payroll: pl.DataFrame) -> pl.DataFrame:
    """Add ``plan_year`` and the elected amounts: plan compensation × percent, half-up to the cent.

    Examples
    --------
    >>> import polars as pl, datetime as dt
    >>> df = pl.DataFrame({"pay_date": [dt.date(2025, 1, 10)], "plan_compensation_cents": [384_615],
    ...                    "pretax_deferral_bp": [650], "roth_deferral_bp": [0]})
    >>> # 6.5% of $3,846.15 = $249.99975 -> $250.00
    >>> elect(df).select("plan_year", "pretax_elected_cents", "roth_elected_cents").row(0)
    (2025, 25000, 0)
    """
    return payroll.with_columns(
        pl.col("pay_date").dt.year().cast(pl.Int32).alias("plan_year"),
        pct_of(pl.col("plan_compensation_cents"), pl.col("pretax_deferral_bp")).alias("pretax_elected_cents"),
        pct_of(pl.col("plan_compensation_cents"), pl.col("roth_deferral_bp")).alias("roth_elected_cents"),
    )


def attach_limits(frame: pl.DataFrame, limits: pl.DataFrame, catch_up: CatchUpConfig) -> pl.DataFrame:
    """Add each row's annual rooms: ``regular_limit_cents`` (402(g)) and ``catch_up_limit_cents``.

    Catch-up eligibility follows IRC §414(v): the age attained by 31 December of the plan year. At 50+ the
    room is ``catchup_50plus``; at 60-63 from 2025 (SECURE 2.0 §109) it is ``catchup_60_63`` instead, when
    the plan enables it. A plan with catch-up disabled has no catch-up room. Every ``plan_year`` must have a
    limits row (validation rejected the others), so a missing one here is a broken invariant.
    """
    joined = frame.join(
        limits.select("plan_year", "elective_deferral_402g_cents", "catchup_50plus_cents", "catchup_60_63_cents"),
        on="plan_year",
        how="left",
    )
    if joined["elective_deferral_402g_cents"].null_count():
        raise AssertionError("a plan_year without IRS limits reached the rules; validation must reject it")
    age = (pl.col("plan_year") - pl.col("date_of_birth").dt.year()).cast(pl.Int32)
    is_eligible = pl.lit(catch_up.enabled) & (age >= CATCH_UP_MIN_AGE)
    is_60_63 = (
        pl.lit(catch_up.enabled and catch_up.age_60_63)
        & age.is_between(60, 63)
        & (pl.col("plan_year") >= FIRST_AGE_60_63_YEAR)
        & pl.col("catchup_60_63_cents").is_not_null()
    )
    return joined.with_columns(
        age.alias("age_at_year_end"),
        is_eligible.alias("is_catch_up_eligible"),
        pl.col("elective_deferral_402g_cents").alias("regular_limit_cents"),
        pl.when(is_60_63)
        .then(pl.col("catchup_60_63_cents"))
        .when(is_eligible)
        .then(pl.col("catchup_50plus_cents"))
        .otherwise(0)
        .cast(pl.Int64)
        .alias("catch_up_limit_cents"),
    ).drop("elective_deferral_402g_cents", "catchup_50plus_cents", "catchup_60_63_cents")


def _fill(room: pl.Expr, used_before: pl.Expr, amount: pl.Expr) -> pl.Expr:
    """The part of ``amount`` that fits in ``room`` after ``used_before`` was taken: clip(room-used, 0, amount)."""
    return pl.min_horizontal(pl.max_horizontal(room - used_before, pl.lit(0, pl.Int64)), amount)


def fill_deferral_rooms(frame: pl.DataFrame, prior_ytd: pl.DataFrame) -> pl.DataFrame:
    """Cap elected amounts at the annual rooms, period by period, in the fixed fill order.

    Within each period: pre-tax into the regular (402(g)) room, then Roth into the regular room, then pre-tax
    into the catch-up room, then Roth into the catch-up room; what is left is ``not_deferred_cents``. Periods
    of a person and year are taken in ``pay_date`` order, after what ``prior_ytd`` says was already posted.

    Because each amount takes as much of a room as is left, the room used before an amount is
    ``min(room, everything offered to that room before it)``, which a cumulative sum gives directly.

    Examples
    --------
    >>> import polars as pl, datetime as dt
    >>> df = pl.DataFrame({
    ...     "employee_id": ["e1", "e1"], "plan_year": [2025, 2025], "line_number": [2, 3],
    ...     "pay_date": [dt.date(2025, 1, 10), dt.date(2025, 1, 24)],
    ...     "pretax_elected_cents": [60_000, 60_000], "roth_elected_cents": [20_000, 20_000],
    ...     "regular_limit_cents": [100_000, 100_000], "catch_up_limit_cents": [50_000, 50_000]})
    >>> # room 1000.00: period 1 takes 600 + 200; period 2 pre-tax gets the last 200, its other 400 pre-tax
    >>> # and 200 Roth go to catch-up (room 500): 400 pre-tax catch-up, 100 Roth catch-up, 100 not deferred.
    >>> out = fill_deferral_rooms(df, pl.DataFrame(schema=PRIOR_YTD_SCHEMA))
    >>> out.select("pretax_cents", "roth_cents", "pretax_catchup_cents", "roth_catchup_cents",
    ...            "not_deferred_cents").rows()
    [(60000, 20000, 0, 0, 0), (20000, 0, 40000, 10000, 10000)]
    """
    by = list(_PERSON_YEAR)
    p, r = pl.col("pretax_elected_cents"), pl.col("roth_elected_cents")
    with_prior = (
        frame.join(prior_ytd.select(PRIOR_YTD_SCHEMA.keys()), on=by, how="left")
        .with_columns(pl.col("ytd_regular_deferral_cents", "ytd_catch_up_deferral_cents").fill_null(0))
        .sort([*by, "pay_date", "line_number"])
    )
    regular_room = pl.max_horizontal(pl.col("regular_limit_cents") - pl.col("ytd_regular_deferral_cents"), 0)
    catch_up_room = pl.max_horizontal(pl.col("catch_up_limit_cents") - pl.col("ytd_catch_up_deferral_cents"), 0)
    offered = p + r
    offered_before = (offered.cum_sum() - offered).over(by)
    regular = with_prior.with_columns(
        _fill(regular_room, offered_before, p).alias("pretax_cents"),
        _fill(regular_room, offered_before + p, r).alias("roth_cents"),
    ).with_columns(
        (p - pl.col("pretax_cents")).alias("_pretax_over"),
        (r - pl.col("roth_cents")).alias("_roth_over"),
    )
    po, ro = pl.col("_pretax_over"), pl.col("_roth_over")
    over_before = ((po + ro).cum_sum() - (po + ro)).over(by)
    return (
        regular.with_columns(
            _fill(catch_up_room, over_before, po).alias("pretax_catchup_cents"),
            _fill(catch_up_room, over_before + po, ro).alias("roth_catchup_cents"),
        )
        .with_columns(
            (
                offered
                - pl.col("pretax_cents")
                - pl.col("roth_cents")
                - pl.col("pretax_catchup_cents")
                - pl.col("roth_catchup_cents")
            ).alias("not_deferred_cents")
        )
        .drop("_pretax_over", "_roth_over", "ytd_regular_deferral_cents", "ytd_catch_up_deferral_cents")
    )


def employer_match(frame: pl.DataFrame, match: MatchConfig) -> pl.DataFrame:
    """Add ``match_cents``: Σ over tiers of rate × the part of the period's matchable deferral that falls in
    the tier's band of the period's plan compensation, computed exactly and rounded half-up once.

    Matchable deferral is pre-tax + Roth, plus catch-up when ``match_catch_up``. Tier bands are cumulative:
    tiers ``[(3%, 100%), (5%, 50%)]`` match deferrals up to 3% of pay at 100% and from 3% to 5% at 50%.
    Amounts are scaled by 10,000 (basis points) so every band edge is an integer; the products are Int128.

    Examples
    --------
    >>> import polars as pl
    >>> from schemas.plan import MatchConfig, MatchTier
    >>> m = MatchConfig(tiers=(MatchTier(up_to_pct=3, rate_pct=100), MatchTier(up_to_pct=5, rate_pct=50)))
    >>> df = pl.DataFrame({"plan_compensation_cents": [100_001], "pretax_cents": [6_000], "roth_cents": [0],
    ...                    "pretax_catchup_cents": [0], "roth_catchup_cents": [0]})
    >>> # pay $1,000.01; deferral $60: tier 1 band is $0-$30.0003 -> $30.0003 at 100%; tier 2 band
    >>> # $30.0003-$50.0005 -> $20.0002 at 50% = $10.0001. Total $40.0004 -> $40.00.
    >>> employer_match(df, m)["match_cents"].item()
    4000
    """
    deferral = pl.col("pretax_cents") + pl.col("roth_cents")
    if match.match_catch_up:
        deferral = deferral + pl.col("pretax_catchup_cents") + pl.col("roth_catchup_cents")
    i128 = pl.Int128
    deferral_scaled = deferral.cast(i128) * pl.lit(BP_PER_UNIT, i128)
    comp = pl.col("plan_compensation_cents").cast(i128)
    zero = pl.lit(0, i128)
    terms: list[pl.Expr] = []
    lower_bp = 0
    for tier in match.tiers:
        band_low = comp * pl.lit(lower_bp, i128)
        band_width = comp * pl.lit(tier.up_to_bp - lower_bp, i128)
        in_band = pl.min_horizontal(pl.max_horizontal(deferral_scaled - band_low, zero), band_width)
        terms.append(in_band * pl.lit(tier.rate_bp, i128))
        lower_bp = tier.up_to_bp
    if not terms:
        return frame.with_columns(pl.lit(0, pl.Int64).alias("match_cents"))
    return frame.with_columns(div_round_half_up(pl.sum_horizontal(terms), BP_PER_UNIT * BP_PER_UNIT).alias("match_cents"))


def compute_contributions(
    payroll: pl.DataFrame, prior_ytd: pl.DataFrame, limits: pl.DataFrame, plan: PlanConfig
) -> pl.DataFrame:
    """All per-period rules in order: elect, attach rooms, fill rooms, match. One output row per input row."""
    out = employer_match(
        fill_deferral_rooms(attach_limits(elect(payroll), limits, plan.catch_up), prior_ytd), plan.match
    )
    if out.height != payroll.height:
        raise AssertionError(f"rules changed the row count: {payroll.height} in, {out.height} out")
    return out


def ledger_entries(contributions: pl.DataFrame) -> pl.DataFrame:
    """One row per non-zero amount: ``employee_id``, ``effective_date``, ``plan_year``, ``source``,
    ``amount_cents``, ``line_number``, in a stable order."""
    value_columns = {f"{s}_cents": s for s in LEDGER_SOURCES}
    return (
        contributions.select("employee_id", "pay_date", "plan_year", "line_number", *value_columns)
        .unpivot(index=["employee_id", "pay_date", "plan_year", "line_number"], variable_name="source",
                 value_name="amount_cents")
        .filter(pl.col("amount_cents") != 0)
        .with_columns(pl.col("source").replace_strict(value_columns), pl.col("amount_cents").cast(pl.Int64))
        .rename({"pay_date": "effective_date"})
        .sort("line_number", "source")
    )


def ytd_increments(contributions: pl.DataFrame) -> pl.DataFrame:
    """What a batch adds to each person's year-to-date totals (kept in DuckDB's ``ytd_totals``)."""
    return contributions.group_by(_PERSON_YEAR).agg(
        (pl.col("pretax_cents") + pl.col("roth_cents")).sum().alias("regular_deferral_cents"),
        (pl.col("pretax_catchup_cents") + pl.col("roth_catchup_cents")).sum().alias("catch_up_deferral_cents"),
        pl.col("match_cents").sum().alias("match_cents"),
        pl.col("plan_compensation_cents").sum().alias("plan_compensation_cents"),
        pl.col("gross_pay_cents").sum().alias("gross_pay_cents"),
        pl.col("pay_date").max().alias("last_pay_date"),
    )
