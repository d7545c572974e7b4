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
#: A bound on the steps of the search for max_no_limit_bp (each step halves the rows' intervals or doubles a
#: gallop's stride, so at most 1 + 14 + 14 over 0..10,000 bp); more is a broken invariant.
_MAX_SEARCH_STEPS = 32


def top_band_bp(match: MatchConfig) -> int | None:
    """The ``up_to_bp`` of the last tier that matches anything (rate > 0); None when no tier does.

    >>> from schemas.plan import MatchTier
    >>> top_band_bp(MatchConfig(tiers=(MatchTier(up_to_pct=3, rate_pct=100), MatchTier(up_to_pct=6, rate_pct=0))))
    300
    """
    return match.full_match_bp


def _matches(match: MatchConfig, pairs: list[tuple[pl.Series, pl.Series]]) -> list[pl.Series]:
    """The period match of each ``(compensation, matchable deferral)`` pair of equal-length series, by
    :func:`employer_match` itself, all pairs stacked into ONE call (the whole deferral goes in as pre-tax: it is
    already the matchable part)."""
    if not pairs:
        return []
    stacked = pl.DataFrame({
        "_comp": pl.concat([comp.cast(pl.Int64).rename("_comp") for comp, _ in pairs]),
        "pretax_cents": pl.concat([deferral.cast(pl.Int64).rename("pretax_cents") for _, deferral in pairs]),
    }).with_columns(*(pl.lit(0, pl.Int64).alias(c) for c in _MATCH_INPUTS[1:]))
    matched = employer_match(stacked, match, "_comp")["match_cents"]
    out, offset = [], 0
    for comp, _ in pairs:
        out.append(matched.slice(offset, comp.len()))
        offset += comp.len()
    return out


def _min_full_match_bp(comp: pl.Expr, at_top: pl.Expr, full: pl.Expr, top_bp: int) -> pl.Expr:
    """The lowest bp >= ``top_bp`` whose deferral ``pct_of(comp, bp)`` earns ``full``, the match of a deferral of
    all of ``comp`` (null where ``comp`` is 0), given ``at_top``, the match of ``pct_of(comp, top_bp)``.

    A deferral of ``D = ceil(comp × top_bp / 10,000)`` covers the top band, so it earns the maximum.
    ``pct_of(comp, top_bp)`` is at least ``D - 1`` (it rounds a value above ``D - 1``). When that falls a cent
    short and the once-rounded match is short with it, the next deferral that can help is ``D``, and
    ``pct_of(comp, bp) >= D`` exactly when ``comp × bp / 10,000 >= D - 1/2`` (half-up), i.e.
    ``bp >= ceil((2D - 1) × 5,000 / comp)``; that bp is at most 10,000 because ``D <= comp``.
    """
    top = pl.lit(top_bp, pl.Int64)
    band_cents = (comp * top + (BP_PER_UNIT - 1)) // BP_PER_UNIT  # D: the top band's edge, rounded up
    past_rounding = ((band_cents * 2 - 1) * (BP_PER_UNIT // 2) + comp - 1) // comp  # ceil((2D-1)*5000/comp)
    return pl.when(comp <= 0).then(None).when(at_top == full).then(top).otherwise(past_rounding).cast(pl.Int64)


def _costs_no_match(rows: pl.DataFrame, match: MatchConfig, bp: pl.Series) -> pl.Series:
    """Whether, at rate ``bp`` (one per row), reaching the limit costs no match in any remaining period.

    Periods ``1..L-1`` (``L``: the last with counted compensation, ``_last``) all count ``c``; period ``L``
    counts ``_c_last``. Before the room runs short a period's match is the rate's own; the room left shrinks
    period by period, so among the full periods only the last, ``L-1``, can be the first cut, and ``L`` is
    checked on its own compensation. In both, the match of what is left of the room (at most the deferral)
    must equal the match of the deferral. A period the room does not cut passes without a match computed;
    and where ``_c_last = c`` period ``L-1`` needs no check of its own: its cut is the smaller (it has a whole
    deferral more of room), so the match is monotone between it and period ``L``'s. The matches left go
    through one :func:`employer_match` call.
    """
    room, c, last, c_last = pl.col("_room"), pl.col("period_compensation_cents"), pl.col("_last"), pl.col("_c_last")
    rate = pl.lit(bp)
    zero = pl.lit(0, pl.Int64)
    a, a_last = pct_of(c, rate), pct_of(c_last, rate)
    probe = rows.select(
        c, c_last, a.alias("_a"), a_last.alias("_a_last"),
        pl.min_horizontal(pl.max_horizontal(room - (last - 2) * a, zero), a).alias("_left_prev"),
        pl.min_horizontal(pl.max_horizontal(room - (last - 1) * a, zero), a_last).alias("_left_last"),
        ((last >= 2) & (c_last != c)).alias("_check_prev"),
        (last >= 1).alias("_check_last"),
    ).with_row_index("_i")
    cut_last = probe.filter(pl.col("_check_last") & (pl.col("_left_last") < pl.col("_a_last")))
    cut_prev = probe.filter(pl.col("_check_prev") & (pl.col("_left_prev") < pl.col("_a")))
    cut_last_m, own_last_m, cut_prev_m, own_prev_m = _matches(match, [
        (cut_last["_c_last"], cut_last["_left_last"]), (cut_last["_c_last"], cut_last["_a_last"]),
        (cut_prev["period_compensation_cents"], cut_prev["_left_prev"]),
        (cut_prev["period_compensation_cents"], cut_prev["_a"]),
    ])
    failing = pl.concat([
        cut_last["_i"].filter(cut_last_m != own_last_m), cut_prev["_i"].filter(cut_prev_m != own_prev_m),
    ])
    return pl.repeat(True, rows.height, dtype=pl.Boolean, eager=True).scatter(failing, False)


def _max_no_limit_estimate(top_bp: int) -> pl.Expr:
    """A rate at which reaching the limit surely costs no match, usually the highest or one bp below it (rows
    with ``_last >= 1``). Either the room takes every deferral, or the cut leaves at least ``D`` (the top band's
    edge, which earns the full match) for the periods that can be cut: ``L-1`` on ``c`` and ``L`` on
    ``_c_last``. Each bound is exact in integers: ``pct_of(c, bp) <= A`` exactly when ``bp < (2A + 1) × 5,000
    / c``; where ``_c_last`` differs from ``c`` the room's bound is the half-cent-per-period lower one."""
    room, c, last, c_last = pl.col("_room"), pl.col("period_compensation_cents"), pl.col("_last"), pl.col("_c_last")
    top = pl.lit(top_bp, pl.Int64)

    def band(comp: pl.Expr) -> pl.Expr:
        return (comp * top + (BP_PER_UNIT - 1)) // BP_PER_UNIT

    def highest_bp(cents: pl.Expr) -> pl.Expr:  # the highest bp (<= 10,000) with pct_of(c, bp) <= cents
        capped = pl.min_horizontal(cents, c)
        bp = pl.min_horizontal(((capped * 2 + 1) * (BP_PER_UNIT // 2) + c - 1) // c - 1, BP_PER_UNIT)
        return pl.when(cents < 0).then(-1).otherwise(bp)

    total = (last - 1) * c + c_last  # the counted compensation left
    fits_last = (
        pl.when(room >= total).then(BP_PER_UNIT)
        .when(c_last == c).then(highest_bp(room // last))
        .otherwise(pl.max_horizontal((room * BP_PER_UNIT - last * (BP_PER_UNIT // 2)) // total, 0))
    )
    saturated_last = (
        pl.when(room < band(c_last)).then(-1).when(last == 1).then(BP_PER_UNIT)
        .otherwise(highest_bp((room - band(c_last)) // (last - 1)))
    )
    fits_prev = highest_bp(room // (last - 1))
    saturated_prev = (
        pl.when(room < band(c)).then(-1).when(last == 2).then(BP_PER_UNIT)
        .otherwise(highest_bp((room - band(c)) // (last - 2)))
    )
    prev = pl.when(last >= 2).then(pl.max_horizontal(fits_prev, saturated_prev)).otherwise(BP_PER_UNIT)
    return pl.min_horizontal(prev, pl.max_horizontal(fits_last, saturated_last)).clip(0, BP_PER_UNIT).cast(pl.Int64)


def _max_no_limit_bp(frame: pl.DataFrame, match: MatchConfig, top_bp: int | None) -> pl.Series:
    """The highest rate (at most 10,000 bp) at which reaching the limit costs no match, per row (10,000 for
    rows without a remaining period with counted compensation).

    "Reaching the limit costs no match" holds at 0 bp (nothing is deferred) and, if it holds at a rate, holds at
    every lower one (smaller deferrals leave more room, and the match of ``min(room left, deferral)`` can only
    equal the match of the deferral more easily), so the largest rate where it holds is found exactly by a
    search. No closed form: the smallest deferral that earns a period's full match depends on the match's own
    rounding, and the last period may count only part of ``c``. The search starts at
    :func:`_max_no_limit_estimate`: where the rule holds there, it gallops up (+1, +2, +4, ... bp) until it
    fails, then bisects; where it does not, it bisects below. Each step runs over the rows still unresolved
    (almost all rows need two probes).
    """
    result = pl.repeat(BP_PER_UNIT, frame.height, dtype=pl.Int64, eager=True).alias("max_no_limit_bp")
    if top_bp is None:  # no tier matches anything: no rate can cost match
        return result
    pending = frame.select(
        _ROW, "period_compensation_cents", "_c_last", "_room", "_last",
    ).filter(pl.col("_last") >= 1).with_columns(_max_no_limit_estimate(top_bp).alias("_mid"))
    holds = _costs_no_match(pending, match, pending["_mid"])
    pending = pending.with_columns(
        pl.when(holds).then(pl.col("_mid")).otherwise(0).alias("_lo"),
        pl.when(holds).then(BP_PER_UNIT).otherwise(pl.col("_mid") - 1).alias("_hi"),
        pl.when(holds).then(1).otherwise(0).cast(pl.Int64).alias("_stride"),  # > 0: galloping up
    )
    for _ in range(_MAX_SEARCH_STEPS):  # steps of the search, not rows
        done = pending.filter(pl.col("_lo") == pl.col("_hi"))
        result = result.scatter(done[_ROW], done["_lo"])
        pending = pending.filter(pl.col("_lo") < pl.col("_hi"))
        if pending.height == 0:
            return result
        lo, hi, stride = pl.col("_lo"), pl.col("_hi"), pl.col("_stride")
        pending = pending.with_columns(
            pl.when(stride > 0).then(pl.min_horizontal(lo + stride, hi)).otherwise((lo + hi + 1) // 2).alias("_mid")
        )
        holds = _costs_no_match(pending, match, pending["_mid"])
        pending = pending.with_columns(
            pl.when(holds).then(pl.col("_mid")).otherwise(lo).alias("_lo"),  # holds at mid: the answer is >= mid
            pl.when(holds).then(hi).otherwise(pl.col("_mid") - 1).alias("_hi"),  # fails at mid: it is below mid
            pl.when(holds).then(stride * 2).otherwise(0).alias("_stride"),
        )
    raise AssertionError("the search for max_no_limit_bp did not converge")


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

    Every remaining period counts either ``c`` (periods ``1..L-1``), ``c_L`` (period ``L``) or nothing (after
    ``L``), so each person's sums over periods are a few matches times a count of periods: at the current
    rate periods ``1..f`` defer ``a`` in full (``f = min(L-1, room // a)``), period ``f+1`` (if before ``L``)
    the rest of the room, later ones before ``L`` nothing, and period ``L`` ``clip(room - (L-1)a, 0, a_L)``.
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

    # Each person's remaining periods at the current rate, by kind (see the docstring).
    room, last, c_last, current = pl.col("_room"), pl.col("_last"), pl.col("_c_last"), pl.col("current_bp")
    a, before = pl.col("_a"), pl.col("_before")
    frame = frame.with_columns(
        pct_of(c, current).alias("_a"),
        pct_of(c_last, current).alias("_a_last"),
        (last - 1).clip(lower_bound=0).alias("_before"),  # periods 1..L-1
    ).with_columns(
        pl.when(a > 0).then(pl.min_horizontal(before, room // a)).otherwise(before).alias("_fits"),
    ).with_columns(
        pl.when(pl.col("_fits") < before).then(room - pl.col("_fits") * a).otherwise(0).alias("_rest"),
        pl.min_horizontal(pl.max_horizontal(room - before * a, 0), pl.col("_a_last")).alias("_d_last"),
    )
    # The matches: on c for all rows; on c_L only where it differs from c (elsewhere they are c's).
    on_c = frame.select(
        c, a, "_rest", "_c_last", "_d_last",
        (pct_of(c, pl.lit(top_bp, pl.Int64)) if top_bp is not None else pl.lit(0, pl.Int64)).alias("_top"),
    )
    partial = frame.with_row_index("_i").filter((last >= 1) & (c_last != c)).select(
        "_i", "_c_last", "_a_last",
        (pct_of(c_last, pl.lit(top_bp, pl.Int64)) if top_bp is not None else pl.lit(0, pl.Int64)).alias("_top"),
    )
    comp = on_c["period_compensation_cents"]
    max_c, e_c, m_rest, m_last, top_c, max_p, e_p, top_p = _matches(match, [
        (comp, comp), (comp, on_c["_a"]), (comp, on_c["_rest"]), (on_c["_c_last"], on_c["_d_last"]),
        (comp, on_c["_top"]),
        (partial["_c_last"], partial["_c_last"]), (partial["_c_last"], partial["_a_last"]),
        (partial["_c_last"], partial["_top"]),
    ])
    frame = frame.with_columns(
        max_c.alias("_max_c"), e_c.alias("_e_c"), m_rest.alias("_m_rest"), m_last.alias("_m_last"),
        top_c.alias("_at_top_c"),
        max_c.clone().scatter(partial["_i"], max_p).alias("_max_last"),
        e_c.clone().scatter(partial["_i"], e_p).alias("_e_last"),
        top_c.clone().scatter(partial["_i"], top_p).alias("_at_top_last"),
    )
    has_last = (last >= 1).cast(pl.Int64)
    has_rest = pl.col("_fits") < before
    if frame.select(
        ((last >= 2) & ((pl.col("_e_c") > pl.col("_max_c")) | (has_rest & (pl.col("_m_rest") > pl.col("_e_c")))))
        | ((last >= 1) & ((pl.col("_e_last") > pl.col("_max_last")) | (pl.col("_m_last") > pl.col("_e_last"))))
    ).to_series().any():
        raise AssertionError("a period's match grew with less deferral: employer_match is not monotone")
    # The period at the current rate whose deferral uses the room up: among 1..L-1 the first k with k·a >= room,
    # else L if the room runs out there.
    first_full = pl.when((room > 0) & (a > 0)).then((room + a - 1) // a)
    uses_up = (
        pl.when(first_full <= before).then(first_full)
        .when((last >= 1) & (before * a < room) & (before * a + pl.col("_a_last") >= room)).then(last)
        .otherwise(None)
    )
    frame = frame.with_columns(
        (before * pl.col("_max_c") + has_last * pl.col("_max_last")).alias("full_match_cents"),
        (before * pl.col("_e_c") + has_last * pl.col("_e_last")).alias("_unlimited"),
        (pl.col("_fits") * pl.col("_e_c") + has_rest.cast(pl.Int64) * pl.col("_m_rest") + has_last * pl.col("_m_last"))
        .alias("_paid"),
        uses_up.cast(pl.Int64).alias("projected_limit_period"),
    )

    # The window's ends.
    if top_bp is not None:
        min_c = _min_full_match_bp(c, pl.col("_at_top_c"), pl.col("_max_c"), top_bp)
        min_last = _min_full_match_bp(c_last, pl.col("_at_top_last"), pl.col("_max_last"), top_bp)
        min_periods = pl.when(last >= 1).then(pl.max_horizontal(pl.when(last >= 2).then(min_c), min_last))
        min_bp = pl.when(c > 0).then(pl.coalesce(min_periods, min_c)).cast(pl.Int64)
    else:
        min_bp = pl.lit(None, pl.Int64)
    frame = frame.with_columns(
        min_bp.alias("min_full_match_bp"),
        pl.when(n >= 1).then(_max_no_limit_bp(frame, match, top_bp)).cast(pl.Int64).alias("max_no_limit_bp"),
    )

    note = (
        pl.when(pl.lit(top_bp is None)).then(pl.lit(NOTE_NO_MATCH))
        .when(n == 0).then(pl.lit(NOTE_NO_PAY_DATES))
        .when(c == 0).then(pl.lit(NOTE_NO_COMPENSATION))
        .when(comp_room == 0).then(pl.lit(NOTE_COMPENSATION_LIMIT))
        .when(pl.col("min_full_match_bp") > pl.col("max_no_limit_bp")).then(pl.lit(NOTE_LIMIT))
        .otherwise(pl.lit(None, pl.Utf8))
    )
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
    )

    parts = out["match_at_current_rate_cents"] + out["match_lost_cents"] + out["match_uncaptured_cents"]
    if (parts != out["full_match_cents"]).any():
        raise AssertionError("full match != match at the current rate + match lost + match uncaptured")
    if (out.select(pl.min_horizontal("match_at_current_rate_cents", "match_lost_cents", "match_uncaptured_cents"))
            .to_series() < 0).any():
        raise AssertionError("a part of the full match came out negative")
    if out.height != people.height:
        raise AssertionError(f"match_window changed the row count: {people.height} in, {out.height} out")
    return out.select(OUTPUT_COLUMNS)
