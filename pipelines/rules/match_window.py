"""The match window: for each active participant, for the rest of their plan year, the deferral rates that earn
the whole employer match without the deferral limit cutting it, where the current rate falls, and what the
current rate earns, loses and leaves behind.

A pure function of one row per person (money Int64 cents, rates Int64 basis points, 100% = 10,000); every match
amount comes from :func:`pipelines.rules.contributions.employer_match`, every deferral from
:func:`pipelines.money.pct_of`, as the per-period engine computes them.

The rules, with ``c`` the period's plan compensation, ``n`` the pay dates left, ``bp`` a total deferral rate:

* **Rooms.** The deferral room that counts for the match is ``regular_room_left``, plus ``catch_up_room_left``
  when the plan matches catch-up (``match_catch_up``); otherwise deferrals past 402(g) go to catch-up unmatched,
  so only the regular room matters here.
* **Period k = 1..n.** Counted compensation (401(a)(17)) ``c_k = clip(compensation_room_left - (k-1)*c, 0, c)``.
  The deferral at ``bp`` is ``a_k = pct_of(c_k, bp)``: on COUNTED compensation, as ``elect`` does, so once the
  401(a)(17) limit is reached deferrals (and room use) stop. Matchable deferral
  ``d_k = clip(room - (a_1 + ... + a_(k-1)), 0, a_k)``. Period match ``employer_match(c_k, d_k)``; the most a
  period can earn, ``max_k = employer_match(c_k, c_k)`` (a deferral of all of ``c_k`` fills every tier band).
  The rate is taken as one election: the engine rounds pre-tax and Roth separately, so a split election can
  differ from these figures by a cent a period.
* **Top band.** ``top_bp``: the ``up_to_bp`` of the last tier with a non-zero rate (no such tier: no match).
* **min_full_match_bp**: the lowest rate, never below ``top_bp``, at which every remaining period with counted
  compensation earns ``max_k``. Usually ``top_bp``; one bp more when ``pct_of`` rounds the deferral at
  ``top_bp`` down below the band and that costs the (once-rounded) match a cent; more on pay of a few dollars.
  Computed per period and the highest taken; on ``c`` alone when no remaining period has counted
  compensation. Null when the plan has no match or ``c = 0``.
* **max_no_limit_bp**: the highest rate (at most 10,000) at which reaching the limit costs no match: every
  remaining period's match equals the match the rate would earn with unlimited room. At rates from
  ``min_full_match_bp`` up, that means the room is not used up before the last pay date with counted
  compensation, AND what is left of it on that date still earns that date's full match (a cent of room left is
  not enough; reaching the limit ON that date is fine). Null when ``n = 0``.
* **Window** = ``[min_full_match_bp, max_no_limit_bp]``; it exists when the plan has a match, ``n >= 1``,
  ``c > 0``, ``compensation_room_left > 0`` and ``min_full_match_bp <= max_no_limit_bp``. Otherwise
  ``status = "no_window"`` with a ``window_note`` (the first that applies): "the plan has no match", "no pay
  dates left this year", "no compensation this period", "the compensation limit (401(a)(17)) is reached: no
  match is left to earn this year", "at the rate that earns the full match, the limit is reached too early to
  earn it on every remaining pay date". With a window, ``window_note`` is null and ``status`` is
  ``below_window`` (current rate < min), ``in_window`` (<= max) or ``above_window``.
* **Money at the current rate** (``current_bp`` = pre-tax + Roth), over the remaining periods, with
  ``e_k = employer_match(c_k, a_k)`` the match the rate earns in period k if the room never ran out:

  - ``full_match_cents = Σ max_k``;
  - ``match_uncaptured_cents = Σ (max_k - e_k)``: left because the rate is below the full-match rate; a
    true-up does not restore it;
  - without a true-up: ``match_at_current_rate_cents = Σ employer_match(c_k, d_k)`` (what the periods pay) and
    ``match_lost_cents = Σ (e_k - employer_match(c_k, d_k))`` (cut by reaching the limit early);
  - with ``true_up.enabled``: the year-end true-up pays back what the limit cut, so ``match_lost_cents = 0``
    and ``match_at_current_rate_cents = Σ e_k`` (the periods' match plus that true-up). This takes the true-up
    to restore exactly the cut, as it does when the year's deferrals reach the rate's matched share of the
    year's counted compensation.

  Always ``full = at_current + lost + uncaptured``, each part >= 0 (checked on every call).
* **projected_limit_period**: at the current rate, the 1-based index of the remaining period whose deferral
  uses up the room (running total below the room before it, at or above it after, as ``limit_events`` dates a
  limit reached); null when that does not happen within ``n`` periods, or the room is already 0.

Examples
--------
>>> from schemas.plan import parse_plan_text
>>> plan = parse_plan_text('plan_id = "p"\\nname = "P"\\n[match]\\n'
...     'tiers = [{ up_to_pct = 3, rate_pct = 100 }, { up_to_pct = 5, rate_pct = 50 }]', "p.toml")
>>> # $10,000 a period, 15%, 10 pay dates left, $10,000 of 402(g) room: $1,500 a period uses it up in period 7
>>> # ($9,000 after 6). Full match $400 a period (3% + half of 2%); periods 8-10 earn none: $1,200 lost.
>>> people = pl.DataFrame({"employee_id": ["E1"], "plan_year": [2025], "period_compensation_cents": [1_000_000],
...     "pretax_deferral_bp": [1_500], "roth_deferral_bp": [0], "remaining_periods": [10],
...     "regular_room_left_cents": [1_000_000], "catch_up_room_left_cents": [0],
...     "compensation_room_left_cents": [100_000_000]}, schema_overrides={"plan_year": pl.Int32})
>>> out = match_window(people, plan)
>>> out.select("min_full_match_bp", "max_no_limit_bp", "status", "projected_limit_period").row(0)
(500, 1055, 'above_window', 7)
>>> out.select("match_at_current_rate_cents", "full_match_cents", "match_lost_cents",
...            "match_uncaptured_cents").row(0)
(280000, 400000, 120000, 0)
"""

from __future__ import annotations

import polars as pl

from pipelines.money import BP_PER_UNIT, pct_of
from pipelines.rules.contributions import employer_match
from schemas.plan import MatchConfig, PlanConfig

STATUSES = ("below_window", "in_window", "above_window", "no_window")

NOTE_NO_MATCH = "the plan has no match"
NOTE_NO_PAY_DATES = "no pay dates left this year"
NOTE_NO_COMPENSATION = "no compensation this period"
NOTE_COMPENSATION_LIMIT = "the compensation limit (401(a)(17)) is reached: no match is left to earn this year"
NOTE_LIMIT = (
    "at the rate that earns the full match, the limit is reached too early to earn it on every remaining pay date"
)

INPUT_COLUMNS = (
    "employee_id", "plan_year", "period_compensation_cents", "pretax_deferral_bp", "roth_deferral_bp",
    "remaining_periods", "regular_room_left_cents", "catch_up_room_left_cents", "compensation_room_left_cents",
)
OUTPUT_COLUMNS = (
    "employee_id", "plan_year", "current_bp", "min_full_match_bp", "max_no_limit_bp", "status", "window_note",
    "remaining_periods", "match_at_current_rate_cents", "full_match_cents", "match_lost_cents",
    "match_uncaptured_cents", "projected_limit_period",
)

_ROW = "_row"
_MATCH_INPUTS = ("pretax_cents", "roth_cents", "pretax_catchup_cents", "roth_catchup_cents")
#: Bisection steps over 0..10,000 bp: 2**14 > 10,001 rates.
_BISECTION_STEPS = 14


def top_band_bp(match: MatchConfig) -> int | None:
    """The ``up_to_bp`` of the last tier that matches anything (rate > 0); None when no tier does.

    >>> from schemas.plan import MatchTier
    >>> top_band_bp(MatchConfig(tiers=(MatchTier(up_to_pct=3, rate_pct=100), MatchTier(up_to_pct=6, rate_pct=0))))
    300
    """
    bands = [t.up_to_bp for t in match.tiers if t.rate_bp > 0]
    return bands[-1] if bands else None


def _with_match(frame: pl.DataFrame, match: MatchConfig, compensation: str, deferral: pl.Expr,
                name: str) -> pl.DataFrame:
    """``frame`` plus ``name``: the period match on ``compensation`` for a matchable ``deferral``, by
    :func:`employer_match` itself (the whole deferral goes in as pre-tax: it is already the matchable part)."""
    zero = pl.lit(0, pl.Int64)
    inputs = frame.with_columns(
        deferral.cast(pl.Int64).alias("pretax_cents"), *(zero.alias(c) for c in _MATCH_INPUTS[1:])
    )
    return employer_match(inputs, match, compensation).rename({"match_cents": name}).drop(_MATCH_INPUTS)


def _with_min_full_match_bp(frame: pl.DataFrame, match: MatchConfig, top_bp: int, compensation: str,
                            name: str) -> pl.DataFrame:
    """``name``: the lowest bp >= ``top_bp`` whose deferral ``pct_of(comp, bp)`` earns the match of a deferral
    of all of ``comp`` (null where ``comp`` is 0).

    A deferral of ``D = ceil(comp × top_bp / 10,000)`` covers the top band, so it earns the maximum.
    ``pct_of(comp, top_bp)`` is at least ``D - 1`` (it rounds a value above ``D - 1``). When that falls a cent
    short and the once-rounded match is short with it, the next deferral that can help is ``D``, and
    ``pct_of(comp, bp) >= D`` exactly when ``comp × bp / 10,000 >= D - 1/2`` (half-up), i.e.
    ``bp >= ceil((2D - 1) × 5,000 / comp)``; that bp is at most 10,000 because ``D <= comp``.
    """
    comp = pl.col(compensation)
    top = pl.lit(top_bp, pl.Int64)
    frame = _with_match(frame, match, compensation, comp, "_max")
    frame = _with_match(frame, match, compensation, pct_of(comp, top), "_at_top")
    band_cents = (comp * top + (BP_PER_UNIT - 1)) // BP_PER_UNIT  # D: the top band's edge, rounded up
    past_rounding = ((band_cents * 2 - 1) * (BP_PER_UNIT // 2) + comp - 1) // comp  # ceil((2D-1)*5000/comp)
    return frame.with_columns(
        pl.when(comp <= 0).then(None)
        .when(pl.col("_at_top") == pl.col("_max")).then(top)
        .otherwise(past_rounding)
        .cast(pl.Int64)
        .alias(name)
    ).drop("_max", "_at_top")


def _costs_no_match(people: pl.DataFrame, match: MatchConfig, bp: pl.Series) -> pl.Series:
    """Whether, at rate ``bp`` (one per row), reaching the limit costs no match in any remaining period.

    Periods ``1..L-1`` (``L``: the last with counted compensation, ``_last``) all count ``c``; period ``L``
    counts ``_c_last``. Before the room runs short a period's match is the rate's own; the room left shrinks
    period by period, so among the full periods only the last, ``L-1``, can be the first cut, and ``L`` is
    checked on its own compensation. In both, the match of what is left of the room (at most the deferral)
    must equal the match of the deferral. The four matches go through one :func:`employer_match` call.
    """
    room, c, last, c_last = pl.col("_room"), pl.col("period_compensation_cents"), pl.col("_last"), pl.col("_c_last")
    rate = pl.lit(bp)
    a, a_last = pct_of(c, rate), pct_of(c_last, rate)
    zero = pl.lit(0, pl.Int64)
    left_prev = pl.min_horizontal(pl.max_horizontal(room - (last - 2) * a, zero), a)
    left_last = pl.min_horizontal(pl.max_horizontal(room - (last - 1) * a, zero), a_last)
    pairs = [(c, left_prev), (c, a), (c_last, left_last), (c_last, a_last)]
    stacked = pl.concat([
        people.select(comp.alias("_comp"), deferral.cast(pl.Int64).alias("pretax_cents"),
                      *(zero.alias(column) for column in _MATCH_INPUTS[1:]))
        for comp, deferral in pairs
    ])
    m = employer_match(stacked, match, "_comp")["match_cents"]
    rows = people.height
    cut_prev, own_prev, cut_last, own_last = (m.slice(i * rows, rows) for i in range(len(pairs)))
    last_period = people["_last"]
    return ((last_period < 2) | (cut_prev == own_prev)) & ((last_period < 1) | (cut_last == own_last))


def _with_max_no_limit_bp(people: pl.DataFrame, match: MatchConfig) -> pl.DataFrame:
    """``max_no_limit_bp`` by bisection over 0..10,000 bp, all rows at once.

    "Reaching the limit costs no match" holds at 0 bp (nothing is deferred) and, if it holds at a rate, holds at
    every lower one (smaller deferrals leave more room, and the match of ``min(room left, deferral)`` can only
    equal the match of the deferral more easily), so the largest rate where it holds is found exactly by
    bisection: 14 steps (2**14 > 10,001 rates), each over every row. No closed form: the smallest deferral that
    earns a period's full match depends on the match's own rounding, and the last period may count only part
    of ``c``.
    """
    lo = pl.Series("_lo", [0] * people.height, pl.Int64)
    hi = pl.Series("_hi", [BP_PER_UNIT] * people.height, pl.Int64)
    for _ in range(_BISECTION_STEPS):  # steps of the search, not rows
        mid = (lo + hi + 1) // 2
        holds = _costs_no_match(people, match, mid).cast(pl.Int64)
        lo = lo + (mid - lo) * holds  # holds at mid: the answer is at least mid
        hi = hi - (hi - mid + 1) * (1 - holds)  # fails at mid: the answer is below it
    if (lo != hi).any():
        raise AssertionError("the bisection for max_no_limit_bp did not converge")
    return people.with_columns(
        pl.when(pl.col("remaining_periods") >= 1).then(pl.lit(lo)).cast(pl.Int64).alias("max_no_limit_bp")
    )


def _checked(people: pl.DataFrame) -> pl.DataFrame:
    missing = [c for c in INPUT_COLUMNS if c not in people.columns]
    if missing:
        raise ValueError(f"match_window needs the columns {missing}")
    numeric = INPUT_COLUMNS[2:]
    for column in INPUT_COLUMNS:
        if people[column].null_count():
            raise ValueError(f"match_window: {column} has nulls")
    negative = [c for c in numeric if (people[c] < 0).any()]
    if negative:
        raise ValueError(f"match_window: {negative} must not be negative")
    return people.select(
        pl.col("employee_id"), pl.col("plan_year"), *(pl.col(c).cast(pl.Int64) for c in numeric)
    ).with_row_index(_ROW)


def match_window(people: pl.DataFrame, plan: PlanConfig) -> pl.DataFrame:
    """One row per input row (same order), columns :data:`OUTPUT_COLUMNS`; the rules are the module's.

    ``people``: :data:`INPUT_COLUMNS`, one row per active participant (see the module docstring).
    """
    match = plan.match
    top_bp = top_band_bp(match)
    c, n = pl.col("period_compensation_cents"), pl.col("remaining_periods")
    comp_room = pl.col("compensation_room_left_cents")
    room = pl.col("regular_room_left_cents") + (pl.col("catch_up_room_left_cents") if match.match_catch_up else 0)
    # L: the remaining periods with counted compensation; the last of them counts c_L.
    last = pl.when(c > 0).then(pl.min_horizontal(n, (comp_room + c - 1) // c)).otherwise(0)
    frame = _checked(people).with_columns(
        (pl.col("pretax_deferral_bp") + pl.col("roth_deferral_bp")).alias("current_bp"),
        room.alias("_room"),
        last.alias("_last"),
    ).with_columns(
        pl.min_horizontal(pl.max_horizontal(comp_room - (pl.col("_last") - 1) * c, 0), c).alias("_c_last"),
    )

    # Every remaining period of every person, at the current rate.
    periods = (
        frame.select(_ROW, "period_compensation_cents", "current_bp", "_room", "compensation_room_left_cents",
                     pl.int_ranges(1, n + 1, dtype=pl.Int64).alias("_k"))
        .explode("_k")
        .filter(pl.col("_k").is_not_null())
        .with_columns(
            pl.min_horizontal(pl.max_horizontal(comp_room - (pl.col("_k") - 1) * c, 0), c).alias("_c_k"),
        )
        .with_columns(pct_of(pl.col("_c_k"), pl.col("current_bp")).alias("_a_k"))
        .with_columns(pl.col("_a_k").cum_sum().over(_ROW, order_by="_k").alias("_through_k"))
        .with_columns(
            pl.min_horizontal(
                pl.max_horizontal(pl.col("_room") - (pl.col("_through_k") - pl.col("_a_k")), 0), pl.col("_a_k")
            ).alias("_d_k"),
        )
    )
    periods = _with_match(periods, match, "_c_k", pl.col("_c_k"), "_max_k")
    periods = _with_match(periods, match, "_c_k", pl.col("_a_k"), "_e_k")
    periods = _with_match(periods, match, "_c_k", pl.col("_d_k"), "_m_k")
    if top_bp is not None:
        periods = _with_min_full_match_bp(periods, match, top_bp, "_c_k", "_min_bp_k")
    else:
        periods = periods.with_columns(pl.lit(None, pl.Int64).alias("_min_bp_k"))
    if ((periods["_e_k"] > periods["_max_k"]) | (periods["_m_k"] > periods["_e_k"])).any():
        raise AssertionError("a period's match grew with less deferral: employer_match is not monotone")
    uses_up = (pl.col("_through_k") - pl.col("_a_k") < pl.col("_room")) & (pl.col("_through_k") >= pl.col("_room"))
    per_person = periods.group_by(_ROW).agg(
        pl.col("_max_k").sum().alias("full_match_cents"),
        pl.col("_e_k").sum().alias("_unlimited"),
        pl.col("_m_k").sum().alias("_paid"),
        pl.col("_min_bp_k").filter(pl.col("_c_k") > 0).max().alias("_min_bp_periods"),
        pl.col("_k").filter(uses_up).min().alias("projected_limit_period"),
    )
    frame = frame.join(per_person, on=_ROW, how="left").with_columns(
        pl.col("full_match_cents", "_unlimited", "_paid").fill_null(0).cast(pl.Int64)
    )

    # The window's ends.
    if top_bp is not None:
        frame = _with_min_full_match_bp(frame, match, top_bp, "period_compensation_cents", "_min_bp_c")
    else:
        frame = frame.with_columns(pl.lit(None, pl.Int64).alias("_min_bp_c"))
    frame = frame.with_columns(
        pl.when(c > 0).then(pl.coalesce("_min_bp_periods", "_min_bp_c")).cast(pl.Int64).alias("min_full_match_bp")
    )
    frame = _with_max_no_limit_bp(frame, match)

    note = (
        pl.when(pl.lit(top_bp is None)).then(pl.lit(NOTE_NO_MATCH))
        .when(n == 0).then(pl.lit(NOTE_NO_PAY_DATES))
        .when(c == 0).then(pl.lit(NOTE_NO_COMPENSATION))
        .when(comp_room == 0).then(pl.lit(NOTE_COMPENSATION_LIMIT))
        .when(pl.col("min_full_match_bp") > pl.col("max_no_limit_bp")).then(pl.lit(NOTE_LIMIT))
        .otherwise(pl.lit(None, pl.Utf8))
    )
    current = pl.col("current_bp")
    status = (
        pl.when(pl.col("window_note").is_not_null()).then(pl.lit("no_window"))
        .when(current < pl.col("min_full_match_bp")).then(pl.lit("below_window"))
        .when(current <= pl.col("max_no_limit_bp")).then(pl.lit("in_window"))
        .otherwise(pl.lit("above_window"))
    )
    true_up = plan.true_up.enabled
    out = frame.with_columns(note.alias("window_note")).with_columns(
        status.alias("status"),
        (pl.col("_unlimited") if true_up else pl.col("_paid")).alias("match_at_current_rate_cents"),
        (pl.lit(0, pl.Int64) if true_up else pl.col("_unlimited") - pl.col("_paid")).alias("match_lost_cents"),
        (pl.col("full_match_cents") - pl.col("_unlimited")).alias("match_uncaptured_cents"),
        pl.col("projected_limit_period").cast(pl.Int64),
    ).sort(_ROW)

    parts = out["match_at_current_rate_cents"] + out["match_lost_cents"] + out["match_uncaptured_cents"]
    if (parts != out["full_match_cents"]).any():
        raise AssertionError("full match != match at the current rate + match lost + match uncaptured")
    if (out.select(pl.min_horizontal("match_at_current_rate_cents", "match_lost_cents", "match_uncaptured_cents"))
            .to_series() < 0).any():
        raise AssertionError("a part of the full match came out negative")
    if out.height != people.height:
        raise AssertionError(f"match_window changed the row count: {people.height} in, {out.height} out")
    return out.select(OUTPUT_COLUMNS)
