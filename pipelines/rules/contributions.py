"""Per-period contribution rules: 401(a)(17) compensation, elections, 402(g) and catch-up rooms (with the
Roth catch-up rule for high earners), employer match, nonelective, and the 415(c) annual-additions cap.

Every function is pure: a polars frame in, a frame out, money in Int64 cents, percents in basis points.
No function here loops over rows; per-person state is a cumulative sum over ``(employee_id, plan_year)``
windows ordered by ``pay_date`` (then ``line_number``).

Input columns of a payroll frame (see ``pipelines.ingest.to_typed``): ``employee_id``, ``pay_date``,
``line_number``, ``date_of_birth``, ``plan_compensation_cents``, ``pretax_deferral_bp``,
``roth_deferral_bp``, ``loan_repayment_cents``.

An optional ``prior_year_wages_cents`` (FICA wages from this employer in the previous year) decides the
Roth catch-up rule; null means none known.

Prior year-to-date state (what earlier nights posted) is a frame with the columns of ``PRIOR_YTD_SCHEMA``;
people and years absent from it, and columns absent from it, start at 0.
"""

from __future__ import annotations

import polars as pl

from pipelines.money import BP_PER_UNIT, div_round_half_up, pct_of
from schemas.sources import PAYROLL_SOURCES
from schemas.plan import CatchUpConfig, MatchConfig, NonelectiveConfig, PlanConfig

#: First plan year of the SECURE 2.0 §109 higher catch-up for ages 60-63.
FIRST_AGE_60_63_YEAR = 2025
CATCH_UP_MIN_AGE = 50

DEFERRAL_SOURCES = ("pretax", "roth", "pretax_catchup", "roth_catchup")
#: What a payroll line posts, one amount each (the seed sql/seeds/money_sources.csv: sources payroll posts).
LEDGER_SOURCES = PAYROLL_SOURCES
#: 415(c) reductions take employer money first, then deferrals (Roth before pre-tax: the last filled first).
REDUCTION_ORDER = ("match", "nonelective", "roth", "pretax")

PRIOR_YTD_SCHEMA = {
    "employee_id": pl.Utf8,
    "plan_year": pl.Int32,
    # 402(g) room already used: regular deferrals as filled, including any part 415(c) then cut.
    "ytd_regular_deferral_cents": pl.Int64,
    "ytd_catch_up_deferral_cents": pl.Int64,
    "ytd_plan_compensation_cents": pl.Int64,
    "ytd_annual_additions_cents": pl.Int64,
}

_PERSON_YEAR = ("employee_id", "plan_year")


def with_plan_year(payroll: pl.DataFrame) -> pl.DataFrame:
    """``plan_year``: the calendar year of ``pay_date``, which decides every annual limit."""
    return payroll.with_columns(pl.col("pay_date").dt.year().cast(pl.Int32).alias("plan_year"))


def elect(frame: pl.DataFrame) -> pl.DataFrame:
    """The elected amounts: counted compensation × percent, half-up to the cent; or, for a source a row gives as
    a withheld amount (``pretax_deferral_amount_cents``, ``roth_deferral_amount_cents``), that amount (what
    payroll took from the paycheck: 401(a)(17) does not cut it, the limits below do). A percent left empty is 0.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"counted_compensation_cents": [384_615], "pretax_deferral_bp": [650],
    ...                    "roth_deferral_bp": [0]})
    >>> # 6.5% of $3,846.15 = $249.99975 -> $250.00
    >>> elect(df).select("pretax_elected_cents", "roth_elected_cents").row(0)
    (25000, 0)
    """
    comp = pl.col("counted_compensation_cents")

    def elected(source: str) -> pl.Expr:
        by_pct = pct_of(comp, pl.col(f"{source}_deferral_bp").fill_null(0))
        amount = f"{source}_deferral_amount_cents"
        return pl.coalesce(amount, by_pct) if amount in frame.columns else by_pct

    return frame.with_columns(elected("pretax").alias("pretax_elected_cents"),
                              elected("roth").alias("roth_elected_cents"))


def attach_limits(frame: pl.DataFrame, limits: pl.DataFrame, catch_up: CatchUpConfig) -> pl.DataFrame:
    """Add each row's annual limits: ``regular_limit_cents`` (402(g)), ``catch_up_limit_cents``,
    ``compensation_limit_cents`` (401(a)(17)), ``additions_limit_cents`` (415(c)) and
    ``is_roth_catch_up_only`` (IRC §414(v)(7): prior-year FICA wages above the year's threshold, strictly).

    Catch-up eligibility follows IRC §414(v): the age attained by 31 December of the plan year. At 50+ the
    room is ``catchup_50plus``; at 60-63 from 2025 (SECURE 2.0 §109) it is ``catchup_60_63`` instead, when
    the plan enables it. A plan with catch-up disabled has no catch-up room. Every ``plan_year`` must have a
    limits row (validation rejected the others), so a missing one here is a broken invariant.
    """
    if "prior_year_wages_cents" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, pl.Int64).alias("prior_year_wages_cents"))
    joined = frame.join(
        limits.select(
            "plan_year", "elective_deferral_402g_cents", "catchup_50plus_cents", "catchup_60_63_cents",
            "compensation_401a17_cents", "annual_additions_415c_cents", "roth_catchup_prior_year_wage_threshold_cents",
        ),
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
        pl.col("compensation_401a17_cents").alias("compensation_limit_cents"),
        pl.col("annual_additions_415c_cents").alias("additions_limit_cents"),
        (
            is_eligible
            & (pl.col("prior_year_wages_cents") > pl.col("roth_catchup_prior_year_wage_threshold_cents"))
        ).fill_null(False).alias("is_roth_catch_up_only"),
    ).drop(
        "elective_deferral_402g_cents", "catchup_50plus_cents", "catchup_60_63_cents", "compensation_401a17_cents",
        "annual_additions_415c_cents", "roth_catchup_prior_year_wage_threshold_cents",
    )


FIRST_IN_YEAR = "is_first_in_year"


def _year_cum_sum(x: pl.Expr) -> pl.Expr:
    """Running total of ``x`` within each person and year of a frame ordered by :func:`join_prior`.

    A plain cumulative sum minus the total before the group's first row: no per-group hashing, which for
    one row per person a night is many times cheaper than ``cum_sum().over(...)``.
    """
    total = x.cum_sum()
    return total - pl.when(pl.col(FIRST_IN_YEAR)).then(total - x).forward_fill()


#: Spacing between person-years in :func:`_year_cum_min`; any running amount here is far below 10**19.
_GROUP_SPACING = 10**20


def _year_cum_min(x: pl.Expr) -> pl.Expr:
    """Running minimum of ``x`` within each person and year (frame ordered by :func:`join_prior`).

    Each later group is shifted ``_GROUP_SPACING`` further down (in Int128), so an earlier group's values
    always exceed the current group's and never win one global running minimum.
    """
    shift = pl.col(FIRST_IN_YEAR).cast(pl.Int64).cum_sum().cast(pl.Int128) * pl.lit(_GROUP_SPACING, pl.Int128)
    return ((x.cast(pl.Int128) - shift).cum_min() + shift).cast(pl.Int64, strict=True)


def _year_previous(x: pl.Expr, first_value: pl.Expr) -> pl.Expr:
    """``x`` of the previous row of the same person and year; ``first_value`` on a group's first row."""
    return pl.when(pl.col(FIRST_IN_YEAR)).then(first_value).otherwise(x.shift(1))


def join_prior(frame: pl.DataFrame, prior_ytd: pl.DataFrame) -> pl.DataFrame:
    """Attach what earlier nights posted (0 where absent), order rows as the rooms are consumed, and mark
    each person-year's first row (``is_first_in_year``) for the running totals."""
    by = list(_PERSON_YEAR)
    prior = prior_ytd.select(by + [c for c in PRIOR_YTD_SCHEMA if c in prior_ytd.columns and c not in by])
    joined = frame.join(prior, on=by, how="left")
    ytd = [c for c in PRIOR_YTD_SCHEMA if c not in by]
    return _in_rule_order(joined.with_columns(
        pl.col(c).fill_null(0).cast(pl.Int64) if c in joined.columns else pl.lit(0, pl.Int64).alias(c) for c in ytd
    ))


def cap_compensation(frame: pl.DataFrame) -> pl.DataFrame:
    """``counted_compensation_cents``: plan compensation counted only up to the year's 401(a)(17) limit, year
    to date; the period that crosses it counts the remainder, later periods count nothing."""
    comp = pl.col("plan_compensation_cents")
    before = pl.col("ytd_plan_compensation_cents") + _year_cum_sum(comp) - comp
    return frame.with_columns(_fill(pl.col("compensation_limit_cents"), before, comp).alias("counted_compensation_cents"))


def _fill(room: pl.Expr, used_before: pl.Expr, amount: pl.Expr) -> pl.Expr:
    """The part of ``amount`` that fits in ``room`` after ``used_before`` was taken: clip(room-used, 0, amount)."""
    return pl.min_horizontal(pl.max_horizontal(room - used_before, pl.lit(0, pl.Int64)), amount)


def fill_deferral_rooms(frame: pl.DataFrame, roth_for_high_earners: str = "convert") -> pl.DataFrame:
    """Cap elected amounts at the annual rooms, period by period, in the fixed fill order.

    Within each period: pre-tax into the regular (402(g)) room, then Roth into the regular room, then pre-tax
    into the catch-up room, then Roth into the catch-up room; what is left is ``not_deferred_cents``. Rows
    must come from :func:`join_prior` (sorted, with the year-to-date columns).

    Because each amount takes as much of a room as is left, the room used before an amount is
    ``min(room, everything offered to that room before it)``, which a cumulative sum gives directly.

    For a person whose catch-up must be Roth (``is_roth_catch_up_only``), pre-tax offered to the catch-up
    room is deemed Roth (``"convert"``: it fills the room as ``roth_catchup``) or not deferred (``"stop"``:
    it is kept out of the room, which Roth may still use). ``roth_catch_up_cents`` records the amount
    converted, or the amount stopped that the room could have taken.

    Examples
    --------
    >>> import polars as pl, datetime as dt
    >>> df = pl.DataFrame({
    ...     "employee_id": ["e1", "e1"], "plan_year": [2025, 2025], "line_number": [2, 3],
    ...     "pay_date": [dt.date(2025, 1, 10), dt.date(2025, 1, 24)],
    ...     "pretax_elected_cents": [60_000, 60_000], "roth_elected_cents": [20_000, 20_000],
    ...     "regular_limit_cents": [100_000, 100_000], "catch_up_limit_cents": [50_000, 50_000],
    ...     "is_roth_catch_up_only": [False, False]})
    >>> # room 1000.00: period 1 takes 600 + 200; period 2 pre-tax gets the last 200, its other 400 pre-tax
    >>> # and 200 Roth go to catch-up (room 500): 400 pre-tax catch-up, 100 Roth catch-up, 100 not deferred.
    >>> out = fill_deferral_rooms(join_prior(df, pl.DataFrame(schema=PRIOR_YTD_SCHEMA)))
    >>> out.select("pretax_cents", "roth_cents", "pretax_catchup_cents", "roth_catchup_cents",
    ...            "not_deferred_cents").rows()
    [(60000, 20000, 0, 0, 0), (20000, 0, 40000, 10000, 10000)]
    """
    if roth_for_high_earners not in ("convert", "stop"):
        raise ValueError(f"roth_for_high_earners must be convert or stop, not {roth_for_high_earners!r}")
    p, r = pl.col("pretax_elected_cents"), pl.col("roth_elected_cents")
    regular_room = pl.max_horizontal(pl.col("regular_limit_cents") - pl.col("ytd_regular_deferral_cents"), 0)
    catch_up_room = pl.max_horizontal(pl.col("catch_up_limit_cents") - pl.col("ytd_catch_up_deferral_cents"), 0)
    offered = p + r
    offered_before = _year_cum_sum(offered) - offered
    is_stopped = pl.col("is_roth_catch_up_only") & pl.lit(roth_for_high_earners == "stop")
    regular = frame.with_columns(
        _fill(regular_room, offered_before, p).alias("pretax_cents"),
        _fill(regular_room, offered_before + p, r).alias("roth_cents"),
    ).with_columns(
        # Pre-tax left over is offered to the catch-up room, unless the Roth rule stops it.
        pl.when(is_stopped).then(0).otherwise(p - pl.col("pretax_cents")).alias("_pretax_over"),
        (r - pl.col("roth_cents")).alias("_roth_over"),
    )
    po, ro = pl.col("_pretax_over"), pl.col("_roth_over")
    over_before = _year_cum_sum(po + ro) - (po + ro)
    filled = regular.with_columns(
        _fill(catch_up_room, over_before, po).alias("pretax_catchup_cents"),
        _fill(catch_up_room, over_before + po, ro).alias("roth_catchup_cents"),
    )
    is_converted = pl.col("is_roth_catch_up_only") & pl.lit(roth_for_high_earners == "convert")
    return (
        filled.with_columns(
            pl.when(is_converted).then(pl.col("pretax_catchup_cents"))
            .when(is_stopped).then(_fill(catch_up_room, over_before, p - pl.col("pretax_cents")))
            .otherwise(0).alias("roth_catch_up_cents"),
            pl.when(is_converted).then(pl.col("roth_catchup_cents") + pl.col("pretax_catchup_cents"))
            .otherwise(pl.col("roth_catchup_cents")).alias("roth_catchup_cents"),
            pl.when(is_converted).then(0).otherwise(pl.col("pretax_catchup_cents")).alias("pretax_catchup_cents"),
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
        .drop("_pretax_over", "_roth_over")
    )


def employer_match(
    frame: pl.DataFrame, match: MatchConfig, compensation: str = "plan_compensation_cents"
) -> pl.DataFrame:
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
    comp = pl.col(compensation).cast(i128)
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


def nonelective(frame: pl.DataFrame, config: NonelectiveConfig) -> pl.DataFrame:
    """``nonelective_cents``: the plan's nonelective percent of the period's counted compensation."""
    return frame.with_columns(pct_of(pl.col("counted_compensation_cents"), pl.lit(config.bp, pl.Int64)).alias("nonelective_cents"))


def limit_annual_additions(frame: pl.DataFrame) -> pl.DataFrame:
    """Cap annual additions (regular deferrals + match + nonelective; catch-up excluded) at the lesser of the
    415(c) limit and 100% of the year's plan compensation so far, reducing employer money first.

    With ``a`` a period's additions, ``S`` their running sum and ``allowed`` the running cap (never below
    what earlier nights posted, ``P0``), posted-to-date follows ``P_t = min(P_{t-1} + a_t, allowed_t)``,
    which unrolls to ``P_t = S_t + min(P0, cummin(allowed - S))``: no row loop. Each period's reduction
    ``a_t - (P_t - P_{t-1})`` comes off ``REDUCTION_ORDER`` in turn; reduced deferrals are not deferred.
    Rows must come from :func:`join_prior`.
    """
    a = pl.col("pretax_cents") + pl.col("roth_cents") + pl.col("match_cents") + pl.col("nonelective_cents")
    prior = pl.col("ytd_annual_additions_cents")
    comp_to_date = pl.col("ytd_plan_compensation_cents") + _year_cum_sum(pl.col("plan_compensation_cents"))
    allowed = pl.max_horizontal(pl.min_horizontal(pl.col("additions_limit_cents"), comp_to_date), prior)
    out = frame.with_columns(a.alias("_a"), allowed.alias("_allowed")).with_columns(
        _year_cum_sum(pl.col("_a")).alias("_s")
    ).with_columns(
        (pl.col("_s") + pl.min_horizontal(prior, _year_cum_min(pl.col("_allowed") - pl.col("_s")))).alias(
            "additions_to_date_cents"
        )
    ).with_columns(
        (pl.col("_a") - (pl.col("additions_to_date_cents") - _year_previous(pl.col("additions_to_date_cents"), prior)))
        .alias("_cut")
    )
    for source in REDUCTION_ORDER:
        amount = pl.col(f"{source}_cents")
        taken = pl.min_horizontal(pl.col("_cut"), amount)
        out = out.with_columns(taken.alias(f"{source}_415c_reduction_cents")).with_columns(
            (pl.col("_cut") - pl.col(f"{source}_415c_reduction_cents")).alias("_cut")
        )
    if out["_cut"].max() not in (None, 0):
        raise AssertionError("a 415(c) reduction was larger than the period's additions")
    return out.with_columns(
        *[(pl.col(f"{s}_cents") - pl.col(f"{s}_415c_reduction_cents")).alias(f"{s}_cents") for s in REDUCTION_ORDER],
        (pl.col("not_deferred_cents") + pl.col("roth_415c_reduction_cents") + pl.col("pretax_415c_reduction_cents"))
        .alias("not_deferred_cents"),
    ).drop("_a", "_allowed", "_s", "_cut")


def compute_contributions(
    payroll: pl.DataFrame, prior_ytd: pl.DataFrame, limits: pl.DataFrame, plan: PlanConfig
) -> pl.DataFrame:
    """All per-period rules in order: limits, 401(a)(17) compensation, elections, rooms (and the Roth
    catch-up rule), match, nonelective, 415(c). One output row per input row, with the prior year-to-date
    columns kept for :func:`limit_events`."""
    frame = join_prior(attach_limits(with_plan_year(payroll), limits, plan.catch_up), prior_ytd)
    frame = fill_deferral_rooms(elect(cap_compensation(frame)), plan.catch_up.roth_for_high_earners)
    frame = employer_match(frame, plan.match, "counted_compensation_cents")
    out = excess_deferrals(limit_annual_additions(nonelective(frame, plan.nonelective)),
                           plan.catch_up.roth_for_high_earners)
    if out.height != payroll.height:
        raise AssertionError(f"rules changed the row count: {payroll.height} in, {out.height} out")
    return out


def excess_deferrals(frame: pl.DataFrame, roth_for_high_earners: str = "convert") -> pl.DataFrame:
    """``excess_deferral_cents``: the part of a withheld amount that is not a deferral.

    Payroll already took a withheld amount from the paycheck, so what the 402(g) and catch-up rooms (or a 415(c)
    cut) leave of it cannot simply not be deferred: it is held for refund (IRC §402(g)(2): by 15 April of the next
    year). An elected percent's remainder was never withheld and stays ``not_deferred_cents``. Per source, the
    remainder is what was elected less what that source's money became: pre-tax is ``pretax`` +
    ``pretax_catchup`` + the pre-tax catch-up deemed Roth (``roth_catch_up_cents`` under ``"convert"``), Roth is
    ``roth`` + ``roth_catchup`` less that conversion. So, per row, elected = deferred + ``not_deferred_cents`` +
    ``excess_deferral_cents``.

    Examples
    --------
    >>> df = pl.DataFrame({"pretax_elected_cents": [50_000], "roth_elected_cents": [10_000],
    ...     "pretax_deferral_amount_cents": [50_000], "roth_deferral_amount_cents": [None],
    ...     "pretax_cents": [20_000], "roth_cents": [0], "pretax_catchup_cents": [0], "roth_catchup_cents": [0],
    ...     "roth_catch_up_cents": [0], "is_roth_catch_up_only": [False], "not_deferred_cents": [40_000]},
    ...     schema_overrides={"roth_deferral_amount_cents": pl.Int64})
    >>> # $200 of the room left: the withheld $500 pre-tax posts $200, $300 is excess; the 10% Roth (never
    >>> # withheld) is not deferred, $100.
    >>> excess_deferrals(df).select("excess_deferral_cents", "not_deferred_cents").row(0)
    (30000, 10000)
    """
    converted = pl.when(pl.col("is_roth_catch_up_only") & pl.lit(roth_for_high_earners == "convert")).then(
        pl.col("roth_catch_up_cents")).otherwise(0)
    left = {
        "pretax": pl.col("pretax_elected_cents") - pl.col("pretax_cents") - pl.col("pretax_catchup_cents") - converted,
        "roth": pl.col("roth_elected_cents") - pl.col("roth_cents") - pl.col("roth_catchup_cents") + converted,
    }
    excess = pl.lit(0, pl.Int64)
    for source, remainder in left.items():
        amount = f"{source}_deferral_amount_cents"
        if amount in frame.columns:
            excess = excess + pl.when(pl.col(amount).is_not_null()).then(remainder).otherwise(0)
    out = frame.with_columns(excess.cast(pl.Int64).alias("excess_deferral_cents")).with_columns(
        (pl.col("not_deferred_cents") - pl.col("excess_deferral_cents")).alias("not_deferred_cents"))
    if out.height and (out["excess_deferral_cents"].min() < 0 or out["not_deferred_cents"].min() < 0):
        raise AssertionError("a deferral source posted more than was elected or withheld")
    return out


def _regular_room_used() -> pl.Expr:
    """A period's use of the 402(g) room: its regular deferrals as filled, before any 415(c) cut."""
    return (
        pl.col("pretax_cents") + pl.col("roth_cents")
        + pl.col("pretax_415c_reduction_cents") + pl.col("roth_415c_reduction_cents")
    )


def _in_rule_order(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame in :func:`join_prior` order with a fresh ``is_first_in_year`` (callers may have re-sorted)."""
    by = list(_PERSON_YEAR)
    ordered = frame.sort([*by, "pay_date", "line_number"])
    changed = pl.any_horizontal(pl.col(k).ne_missing(pl.col(k).shift(1)) for k in by)
    return ordered.with_columns(changed.fill_null(True).alias(FIRST_IN_YEAR))


def limit_events(contributions: pl.DataFrame) -> pl.DataFrame:
    """When each person reached 402(g), the catch-up room, 401(a)(17) and the 415(c) dollar limit, every
    415(c) reduction (by source), every Roth catch-up conversion or stop and every excess deferral (a withheld
    amount the limits turned away; its limit is the 415(c) limit when 415(c) cut the line's deferrals, else the
    402(g) plus catch-up room), one row each.

    Columns: ``employee_id``, ``plan_year``, ``limit_name``, ``reached_on``, ``limit_cents``, ``source``,
    ``amount_cents`` (the reduced or converted amount; null for a limit reached), ``line_number``.
    """
    contributions = _in_rule_order(contributions)
    regular = _regular_room_used()
    catch_up = pl.col("pretax_catchup_cents") + pl.col("roth_catchup_cents")
    comp = pl.col("plan_compensation_cents")
    adds = pl.col("additions_to_date_cents")
    prior_adds = _year_previous(adds, pl.col("ytd_annual_additions_cents"))
    # (name, limit, running total before this period, running total after it)
    limits = [
        ("402g", "regular_limit_cents", pl.col("ytd_regular_deferral_cents") + _year_cum_sum(regular) - regular, regular),
        ("catch_up", "catch_up_limit_cents", pl.col("ytd_catch_up_deferral_cents") + _year_cum_sum(catch_up) - catch_up, catch_up),
        ("401a17", "compensation_limit_cents", pl.col("ytd_plan_compensation_cents") + _year_cum_sum(comp) - comp, comp),
        ("415c", "additions_limit_cents", prior_adds, adds - prior_adds),
    ]
    reached = pl.concat(
        [
            contributions.with_columns(before.alias("_before"), (before + this_period).alias("_after"))
            .filter((pl.col(limit) > 0) & (pl.col("_before") < pl.col(limit)) & (pl.col("_after") >= pl.col(limit)))
            .select(
                "employee_id", "plan_year", "line_number", pl.col("pay_date").alias("reached_on"),
                pl.lit(name).alias("limit_name"), pl.col(limit).alias("limit_cents"),
                pl.lit(None, pl.Utf8).alias("source"), pl.lit(None, pl.Int64).alias("amount_cents"),
            )
            for name, limit, before, this_period in limits
        ]
    )
    amounts = [
        *[(f"{s}_415c_reduction_cents", "415c", s) for s in REDUCTION_ORDER],
        ("roth_catch_up_cents", "roth_catch_up", "pretax_catchup"),
        *([("excess_deferral_cents", "excess_deferral", "excess_deferral")]
          if "excess_deferral_cents" in contributions.columns else []),
    ]
    cut_by_415c = pl.col("pretax_415c_reduction_cents") + pl.col("roth_415c_reduction_cents") > 0
    room = {"415c": pl.col("additions_limit_cents"),
            "excess_deferral": pl.when(cut_by_415c).then(pl.col("additions_limit_cents"))
            .otherwise(pl.col("regular_limit_cents") + pl.col("catch_up_limit_cents"))}
    changes = pl.concat(
        [
            contributions.filter(pl.col(column) > 0).select(
                "employee_id", "plan_year", "line_number", pl.col("pay_date").alias("reached_on"),
                pl.lit(name).alias("limit_name"),
                room.get(name, pl.col("catch_up_limit_cents")).alias("limit_cents"),
                pl.lit(source).alias("source"), pl.col(column).alias("amount_cents"),
            )
            for column, name, source in amounts
        ]
    )
    columns = ["employee_id", "plan_year", "limit_name", "reached_on", "limit_cents", "source", "amount_cents", "line_number"]
    return pl.concat([reached.select(columns), changes.select(columns)]).sort("line_number", "limit_name", "source", nulls_last=True)


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
        _regular_room_used().sum().alias("regular_room_used_cents"),
        (pl.col("pretax_catchup_cents") + pl.col("roth_catchup_cents")).sum().alias("catch_up_deferral_cents"),
        pl.col("match_cents").sum().alias("match_cents"),
        pl.col("nonelective_cents").sum().alias("nonelective_cents"),
        (pl.col("pretax_cents") + pl.col("roth_cents") + pl.col("match_cents") + pl.col("nonelective_cents"))
        .sum().alias("annual_additions_cents"),
        pl.col("plan_compensation_cents").sum().alias("plan_compensation_cents"),
        pl.col("hours_worked_hundredths").fill_null(0).sum().alias("hours_worked_hundredths"),
        pl.col("gross_pay_cents").sum().alias("gross_pay_cents"),
        pl.col("pay_date").max().alias("last_pay_date"),
    )
