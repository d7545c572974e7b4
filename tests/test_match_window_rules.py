"""The match window (pipelines/rules/match_window.py) on hand-built participants, every figure derived by hand in a
comment; then hypothesis holds the vectorised rules to a slow, loop-over-periods reference.

Unless a test says otherwise the plan matches 100% of the first 3% of pay and 50% of the next 2% (no true-up,
catch-up matched), and a person is paid $10,000.00 (1,000,000 cents) a period with 10 pay dates left, $10,000.00
of deferral room, no catch-up room and 401(a)(17) room far above the rest of the year's pay. At $10,000 of pay,
x bp defers exactly 100·x cents; the most a period can earn is 3% of $10,000 + 50% × 2% of $10,000 = $300 + $100
= $400 (40,000 cents), which a 5% ($500) deferral earns; the full match for 10 pay dates is $4,000.
"""

from __future__ import annotations

from functools import lru_cache

import polars as pl
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from pipelines.rules.match_window import (
    NOTE_COMPENSATION_LIMIT, NOTE_LIMIT, NOTE_NO_COMPENSATION, NOTE_NO_MATCH, NOTE_NO_PAY_DATES, OUTPUT_COLUMNS,
    STATUSES, match_window,
)
from schemas.plan import MatchConfig, PlanConfig, parse_plan_text
from tests.reference import elected_cents, match_cents

SAFE_HARBOR = "[{ up_to_pct = 3, rate_pct = 100 }, { up_to_pct = 5, rate_pct = 50 }]"


def plan(tiers: str = SAFE_HARBOR, true_up: bool = False, match_catch_up: bool = True) -> PlanConfig:
    text = (f'plan_id = "p"\nname = "P"\n[match]\ntiers = {tiers}\nmatch_catch_up = {str(match_catch_up).lower()}\n'
            f'[true_up]\nenabled = {str(true_up).lower()}\n')
    return parse_plan_text(text, "p.toml")


PLAN = plan()
TRUE_UP = plan(true_up=True)
NO_MATCH = plan(tiers="[]")

COLUMNS = ("employee_id", "plan_year", "period_compensation_cents", "pretax_deferral_bp", "roth_deferral_bp",
           "remaining_periods", "regular_room_left_cents", "catch_up_room_left_cents", "compensation_room_left_cents")


def person(employee_id: str = "E1", pretax: int = 0, roth: int = 0, **facts: int) -> dict:
    return {"employee_id": employee_id, "plan_year": 2025, "period_compensation_cents": 1_000_000,
            "pretax_deferral_bp": pretax, "roth_deferral_bp": roth, "remaining_periods": 10,
            "regular_room_left_cents": 1_000_000, "catch_up_room_left_cents": 0,
            "compensation_room_left_cents": 10**11, **facts}


def frame(people: list[dict]) -> pl.DataFrame:
    schema = {c: pl.Int64 for c in COLUMNS} | {"employee_id": pl.Utf8, "plan_year": pl.Int32,
                                                "remaining_periods": pl.Int32}
    return pl.DataFrame(people, schema=schema)


def window(*people: dict, plan_config: PlanConfig = PLAN) -> dict[str, dict]:
    out = match_window(frame(list(people)), plan_config)
    return {r["employee_id"]: r for r in out.iter_rows(named=True)}


def money(r: dict) -> tuple[int, int, int, int]:
    """(at the current rate, full, lost, uncaptured)."""
    return (r["match_at_current_rate_cents"], r["full_match_cents"], r["match_lost_cents"], r["match_uncaptured_cents"])


def test_above_the_window_a_high_earner_reaches_the_limit_periods_early():
    # 15% defers $1,500 a period: $9,000 after 6 periods, $10,500 >= $10,000 in period 7, which gets the last
    # $1,000 (more than the $500 that earns $400); periods 8-10 defer and earn nothing.
    # min: 5% defers exactly $500, the top band: 500 bp.
    # max: what is left for pay date 10 must still earn its $400: a $499.99 deferral earns $300 + 50% × $199.99
    # = $399.995 -> $400.00 (half-up), $499.98 only $399.99; so 1,000,000 - 9·a >= 49,999, a <= 950,001 / 9
    # = 105,555.67 -> 105,555 cents, and 100·bp <= 105,555 -> 1055 bp (10.55%).
    r = window(person(pretax=1_500))["E1"]
    assert (r["current_bp"], r["min_full_match_bp"], r["max_no_limit_bp"]) == (1_500, 500, 1_055)
    assert (r["status"], r["window_note"], r["projected_limit_period"]) == ("above_window", None, 7)
    # paid: 7 × $400 = $2,800; full 10 × $400 = $4,000; lost: periods 8-10, 3 × $400 = $1,200; 15% is past the
    # top band, so nothing is uncaptured: 2,800 + 1,200 + 0 = 4,000.
    assert money(r) == (280_000, 400_000, 120_000, 0)
    # With a true-up the year-end formula pays the $1,200 back: $4,000 at the current rate, nothing lost.
    t = window(person(pretax=1_500), plan_config=TRUE_UP)["E1"]
    assert (t["status"], t["max_no_limit_bp"], t["projected_limit_period"]) == ("above_window", 1_055, 7)
    assert money(t) == (400_000, 400_000, 0, 0)


def test_the_window_edges_to_the_basis_point():
    r = window(person("at_max", pretax=1_055), person("past_max", pretax=1_056), person("a_cent_left", pretax=1_111),
               person("at_min", pretax=500), person("below_min", pretax=499))
    # 10.55%: 9 × $1,055 = $9,495, so pay date 10 defers only the $505 left (the room runs out on it), which
    # still earns $400: the whole $4,000.
    assert (r["at_max"]["status"], r["at_max"]["projected_limit_period"]) == ("in_window", 10)
    assert money(r["at_max"]) == (400_000, 400_000, 0, 0)
    # 10.56%: 9 × $1,056 = $9,504, $496 left: $300 + 50% × $196 = $398 on pay date 10, $2 lost:
    # paid 9 × $400 + $398 = $3,998.
    assert (r["past_max"]["status"], r["past_max"]["projected_limit_period"]) == ("above_window", 10)
    assert money(r["past_max"]) == (399_800, 400_000, 200, 0)
    # 11.11% does not use the room up before the last pay date (9 × $1,111 = $9,999 < $10,000), yet it leaves
    # that date $1.00 of room: $1.00 of match instead of $400, $399 lost (paid 9 × $400 + $1 = $3,601).
    assert r["a_cent_left"]["status"] == "above_window"
    assert money(r["a_cent_left"]) == (360_100, 400_000, 39_900, 0)
    # 5%: $500 × 10 = $5,000 never reaches the room; every period earns $400.
    assert (r["at_min"]["status"], r["at_min"]["projected_limit_period"]) == ("in_window", None)
    assert money(r["at_min"]) == (400_000, 400_000, 0, 0)
    # 4.99%: $499 a period earns $300 + 50% × $199 = $399.50: $3,995 paid, $5 uncaptured (a true-up would not
    # restore it: it is the rate, not the limit).
    assert r["below_min"]["status"] == "below_window"
    assert money(r["below_min"]) == (399_500, 400_000, 0, 500)


def test_the_last_pay_date_needs_only_the_deferral_that_rounds_to_the_full_match():
    # Room $9,994.99 at 10.55%: 9 × $1,055 = $9,495 leaves $499.99, which earns $399.995 -> $400: still in.
    # Room $9,994.98 leaves $499.98 -> $399.99, a cent lost; max drops to 10.54% (9 × $1,054 = $9,486 leaves
    # $508.98 >= $500).
    r = window(person("rounds_up", pretax=1_055, regular_room_left_cents=999_499),
               person("a_cent_short", pretax=1_055, regular_room_left_cents=999_498))
    assert (r["rounds_up"]["max_no_limit_bp"], r["rounds_up"]["status"]) == (1_055, "in_window")
    assert money(r["rounds_up"]) == (400_000, 400_000, 0, 0)
    assert (r["a_cent_short"]["max_no_limit_bp"], r["a_cent_short"]["status"]) == (1_054, "above_window")
    assert money(r["a_cent_short"]) == (399_999, 400_000, 1, 0)


def test_inside_the_window():
    # 8%, split 5% pre-tax + 3% Roth (the current rate is their sum): $800 a period, $8,000 by year-end, within
    # the $10,000 room; every period earns $400.
    r = window(person(pretax=500, roth=300))["E1"]
    assert (r["current_bp"], r["min_full_match_bp"], r["max_no_limit_bp"]) == (800, 500, 1_055)
    assert (r["status"], r["window_note"], r["projected_limit_period"]) == ("in_window", None, None)
    assert money(r) == (400_000, 400_000, 0, 0)


def test_below_the_window_the_uncaptured_match_to_the_cent():
    # 2.5% (1.5% pre-tax + 1% Roth): $250 a period, all in the 100% tier: $250 of match, $150 short of $400.
    # 10 periods: $2,500 earned, $1,500 uncaptured, nothing lost (the room is never reached).
    r = window(person(pretax=150, roth=100))["E1"]
    assert (r["status"], r["projected_limit_period"]) == ("below_window", None)
    assert money(r) == (250_000, 400_000, 0, 150_000)
    # The true-up restores nothing of it.
    assert money(window(person(pretax=150, roth=100), plan_config=TRUE_UP)["E1"]) == (250_000, 400_000, 0, 150_000)


def test_the_lowest_full_match_rate_is_a_basis_point_above_the_band_when_rounding_costs_a_cent():
    # Pay $999.89. Full match: $29.9967 + 50% × $19.9978 = $39.9956 -> $40.00. At 5% the deferral is
    # $49.9945 -> $49.99 (half-up rounds it DOWN, below the band's edge $49.9945): $29.9967 + 50% × $19.9933
    # = $39.99335 -> $39.99, a cent short. At 5.01%: $50.094489 -> $50.09, past the band: $40.00. So 501 bp.
    r = window(person("at_5", pretax=500, period_compensation_cents=99_989, remaining_periods=2),
               person("at_501", pretax=501, period_compensation_cents=99_989, remaining_periods=2))
    assert r["at_5"]["min_full_match_bp"] == r["at_501"]["min_full_match_bp"] == 501
    # 2 pay dates: 5% earns 2 × $39.99 of 2 × $40.00: 2 cents uncaptured.
    assert (r["at_5"]["status"], money(r["at_5"])) == ("below_window", (7_998, 8_000, 0, 2))
    assert (r["at_501"]["status"], money(r["at_501"])) == ("in_window", (8_000, 8_000, 0, 0))


def test_no_window_when_little_room_is_left_for_many_pay_dates():
    # $1,000 of room for 10 pay dates: the full match needs $500 on each of them, so 9 × $500 + $499.99 >
    # $1,000 whatever the rate: no window.
    # At 4% ($400 a period, $350 of match each: $300 + 50% × $100): periods 1-2 defer $400 each, period 3 the
    # last $200 ($200 of match) and the room runs out in it; periods 4-10 earn nothing.
    # paid 2 × $350 + $200 = $900; at 4% with room enough: 10 × $350 = $3,500, so $2,600 lost; uncaptured
    # $4,000 - $3,500 = $500. 900 + 2,600 + 500 = 4,000.
    # max: below the full-match rate the limit costs nothing as long as all 10 deferrals fit: 10 × 100·bp <=
    # 100,000 -> 100 bp (1%); at 1.01% pay date 10 gets $91 of room instead of $101, $10 less match.
    r = window(person(pretax=400, regular_room_left_cents=100_000))["E1"]
    assert (r["min_full_match_bp"], r["max_no_limit_bp"]) == (500, 100)
    assert (r["status"], r["window_note"], r["projected_limit_period"]) == ("no_window", NOTE_LIMIT, 3)
    assert money(r) == (90_000, 400_000, 260_000, 50_000)
    # The true-up pays back the $2,600 cut by the limit, not the $500 the rate leaves.
    assert money(window(person(pretax=400, regular_room_left_cents=100_000), plan_config=TRUE_UP)["E1"]) == (
        350_000, 400_000, 0, 50_000)


def test_no_window_without_pay_dates_compensation_or_a_match():
    r = window(person("no_dates", pretax=600, remaining_periods=0),
               person("no_pay", pretax=600, period_compensation_cents=0),
               person("capped", pretax=600, compensation_room_left_cents=0))
    # No pay dates: no max (it is about pay dates), no money; min still on the $10,000 pay: 5%.
    assert (r["no_dates"]["status"], r["no_dates"]["window_note"]) == ("no_window", NOTE_NO_PAY_DATES)
    assert (r["no_dates"]["min_full_match_bp"], r["no_dates"]["max_no_limit_bp"]) == (500, None)
    assert money(r["no_dates"]) == (0, 0, 0, 0) and r["no_dates"]["projected_limit_period"] is None
    # No pay: nothing is deferred, so no rate reaches the limit (max 100%), and no rate earns anything (no min).
    assert (r["no_pay"]["status"], r["no_pay"]["window_note"]) == ("no_window", NOTE_NO_COMPENSATION)
    assert (r["no_pay"]["min_full_match_bp"], r["no_pay"]["max_no_limit_bp"]) == (None, 10_000)
    assert money(r["no_pay"]) == (0, 0, 0, 0)
    # 401(a)(17) already reached: every remaining period counts $0 of pay (and defers nothing, as elect does).
    assert (r["capped"]["status"], r["capped"]["window_note"]) == ("no_window", NOTE_COMPENSATION_LIMIT)
    assert (r["capped"]["min_full_match_bp"], r["capped"]["max_no_limit_bp"]) == (500, 10_000)
    assert money(r["capped"]) == (0, 0, 0, 0) and r["capped"]["projected_limit_period"] is None
    # No tiers: no min; nothing to lose, so max 100%; 15% uses the room up in period 7 all the same.
    m = window(person(pretax=1_500), plan_config=NO_MATCH)["E1"]
    assert (m["status"], m["window_note"], m["min_full_match_bp"], m["max_no_limit_bp"]) == (
        "no_window", NOTE_NO_MATCH, None, 10_000)
    assert money(m) == (0, 0, 0, 0) and m["projected_limit_period"] == 7
    # A last tier at 0% matches nothing: its band is not the top band (3%, not 6%).
    zero_top = plan(tiers="[{ up_to_pct = 3, rate_pct = 100 }, { up_to_pct = 6, rate_pct = 0 }]")
    z = window(person(pretax=300), plan_config=zero_top)["E1"]
    assert (z["min_full_match_bp"], z["status"]) == (300, "in_window")  # $300 a period earns all of the $300


def test_one_pay_date_left():
    # Room $600, 15% defers $1,500 and is cut to $600, still past the $500 band: $400, the room runs out on
    # that date, and no rate can cost match (any cut leaves >= $500): max 100%.
    r = window(person("room_600", pretax=1_500, remaining_periods=1, regular_room_left_cents=60_000),
               person("room_300", pretax=1_500, remaining_periods=1, regular_room_left_cents=30_000))
    assert (r["room_600"]["max_no_limit_bp"], r["room_600"]["status"]) == (10_000, "in_window")
    assert r["room_600"]["projected_limit_period"] == 1
    assert money(r["room_600"]) == (40_000, 40_000, 0, 0)
    # Room $300 < $500: the full match cannot be earned. Up to 3% ($300) nothing is cut; at 3.01% the $301
    # deferral is cut to $300 ($300 of match instead of $300.50 -> $301): max 300 bp. At 15%: $300 of match
    # paid, $400 had the room been there: $100 lost.
    assert (r["room_300"]["max_no_limit_bp"], r["room_300"]["status"]) == (300, "no_window")
    assert r["room_300"]["window_note"] == NOTE_LIMIT
    assert money(r["room_300"]) == (30_000, 40_000, 10_000, 0)


def test_catch_up_room_counts_only_when_the_plan_matches_catch_up():
    # $1,000 of regular room + $7,500 of catch-up room, 15% ($1,500 a period).
    someone = person(pretax=1_500, regular_room_left_cents=100_000, catch_up_room_left_cents=750_000)
    # Matched catch-up: $8,500 of room runs out in period 6 ($7,500 after 5, $9,000 after 6; period 6 gets $1,000).
    # 6 × $400 paid, 4 × $400 lost. max: 850,000 - 9·a >= 49,999 -> a <= 800,001 / 9 = 88,889 -> 888 bp.
    r = window(someone)["E1"]
    assert (r["projected_limit_period"], r["max_no_limit_bp"], r["status"]) == (6, 888, "above_window")
    assert money(r) == (240_000, 400_000, 160_000, 0)
    # Catch-up not matched: only the $1,000 of regular room counts; it runs out in period 1 ($1,000 of $1,500,
    # $400 of match), and then 9 × $400 = $3,600 lost. max: all 10 deferrals must fit, 10 × 100·bp <= 100,000
    # -> 100 bp, below the 500 bp full-match rate: no window.
    u = window(someone, plan_config=plan(match_catch_up=False))["E1"]
    assert (u["projected_limit_period"], u["max_no_limit_bp"], u["status"]) == (1, 100, "no_window")
    assert money(u) == (40_000, 400_000, 360_000, 0)


def test_the_compensation_limit_shrinks_the_last_periods():
    # $25,000 of 401(a)(17) room over 5 pay dates: $10,000, $10,000, $5,000, $0, $0 counted. At 6% the deferrals
    # are $600, $600, $300, $0, $0 (on counted pay, as elect does); matches $400, $400 and, on $5,000,
    # $150 + 50% × $100 = $200 (its full match); full = $1,000.
    base = dict(pretax=600, remaining_periods=5, compensation_room_left_cents=2_500_000)
    r = window(person("room_10000", **base), person("room_1300", regular_room_left_cents=130_000, **base),
               person("room_2000", regular_room_left_cents=200_000, **base))
    assert money(r["room_10000"]) == (100_000, 100_000, 0, 0) and r["room_10000"]["status"] == "in_window"
    # max with $10,000 of room: period 3 ($5,000 of pay) must keep its full $200: $249.99 earns $150 + 50% ×
    # $99.99 = $199.995 -> $200. 1,000,000 - 2·a >= 24,999 -> a <= 487,500 -> 4875 bp (48.75%).
    assert (r["room_10000"]["min_full_match_bp"], r["room_10000"]["max_no_limit_bp"]) == (500, 4_875)
    # $1,300 of room: $1,200 after 2 periods, period 3 gets the last $100 ($100 of match, $100 lost).
    # max: 130,000 - 2·a >= 24,999 -> a <= 52,500 -> 525 bp; 6% is above it.
    assert (r["room_1300"]["projected_limit_period"], r["room_1300"]["max_no_limit_bp"]) == (3, 525)
    assert r["room_1300"]["status"] == "above_window"
    assert money(r["room_1300"]) == (90_000, 100_000, 10_000, 0)
    # $2,000 of room: $600 + $600 + $300 = $1,500 is all that is deferred, so the room is never used up (a
    # flat $600 through periods 4-5 would have used it up in period 4).
    assert r["room_2000"]["projected_limit_period"] is None
    # $1,500 of room: period 3's $300 uses it up exactly (reached on that pay date), and nothing is cut.
    exact = window(person("room_1500", regular_room_left_cents=150_000, **base))["room_1500"]
    assert (exact["projected_limit_period"], exact["status"]) == (3, "in_window")
    assert money(exact) == (100_000, 100_000, 0, 0)


def test_one_row_per_person_in_input_order_and_bad_input_refused():
    out = match_window(frame([person("Z", pretax=1_500), person("A", pretax=100), person("M", remaining_periods=0)]),
                       PLAN)
    assert out.columns == list(OUTPUT_COLUMNS)
    assert out["employee_id"].to_list() == ["Z", "A", "M"]
    assert out["status"].to_list() == ["above_window", "below_window", "no_window"]
    with pytest.raises(ValueError, match="regular_room_left_cents"):
        match_window(frame([person(regular_room_left_cents=-1)]), PLAN)
    with pytest.raises(ValueError, match="remaining_periods"):
        match_window(frame([person()]).drop("remaining_periods"), PLAN)


# ---- hypothesis: the vectorised rules against a slow loop over each person's periods ----


@lru_cache(maxsize=None)
def ref_match(compensation: int, deferral: int, match: MatchConfig) -> int:
    """tests/reference.py's Fraction tier formula (shares no code with employer_match)."""
    return match_cents({"pretax_cents": deferral, "roth_cents": 0, "pretax_catchup_cents": 0,
                        "roth_catchup_cents": 0, "counted_compensation_cents": compensation}, match)


def ref_periods(p: dict, bp: int, match: MatchConfig) -> list[tuple[int, int, int]]:
    """(counted pay, deferral, matchable deferral) of each remaining period at rate ``bp``, one loop step each."""
    room = p["regular_room_left_cents"] + (p["catch_up_room_left_cents"] if match.match_catch_up else 0)
    comp_left, used, out = p["compensation_room_left_cents"], 0, []
    for _ in range(p["remaining_periods"]):
        counted = min(comp_left, p["period_compensation_cents"])
        comp_left -= counted
        deferral = elected_cents(counted, bp)
        out.append((counted, deferral, min(max(room - used, 0), deferral)))
        used += deferral
    return out


def ref_costs_no_match(p: dict, bp: int, match: MatchConfig) -> bool:
    return all(ref_match(c, d, match) == ref_match(c, a, match) for c, a, d in ref_periods(p, bp, match))


def ref_min_full_match_bp(p: dict, match: MatchConfig) -> int | None:
    positive = [t.up_to_pct for t in match.tiers if t.rate_pct > 0]
    if not positive or p["period_compensation_cents"] == 0:
        return None
    top = int(positive[-1] * 100)
    pays = [c for c, _, _ in ref_periods(p, 0, match) if c > 0] or [p["period_compensation_cents"]]
    lowest = []
    for pay in pays:
        bp = top
        while ref_match(pay, elected_cents(pay, bp), match) < ref_match(pay, pay, match):
            bp += 1
        lowest.append(bp)
    return max(lowest)


def reference_row(p: dict, plan_config: PlanConfig, max_bp: int | None) -> dict:
    """Everything but max_no_limit_bp, which is checked apart (it is the largest bp where the limit costs no
    match: that holds at it and fails one bp above)."""
    match = plan_config.match
    bp = p["pretax_deferral_bp"] + p["roth_deferral_bp"]
    room = p["regular_room_left_cents"] + (p["catch_up_room_left_cents"] if match.match_catch_up else 0)
    full = unlimited = paid = 0
    used, reached = 0, None
    for k, (c, a, d) in enumerate(ref_periods(p, bp, match), start=1):
        full += ref_match(c, c, match)
        unlimited += ref_match(c, a, match)
        paid += ref_match(c, d, match)
        if reached is None and used < room <= used + a:
            reached = k
        used += a
    lowest = ref_min_full_match_bp(p, match)
    if not any(t.rate_pct > 0 for t in match.tiers):
        note = NOTE_NO_MATCH
    elif p["remaining_periods"] == 0:
        note = NOTE_NO_PAY_DATES
    elif p["period_compensation_cents"] == 0:
        note = NOTE_NO_COMPENSATION
    elif p["compensation_room_left_cents"] == 0:
        note = NOTE_COMPENSATION_LIMIT
    elif lowest > max_bp:
        note = NOTE_LIMIT
    else:
        note = None
    status = ("no_window" if note else "below_window" if bp < lowest else "in_window" if bp <= max_bp
              else "above_window")
    true_up = plan_config.true_up.enabled
    return {"current_bp": bp, "min_full_match_bp": lowest, "status": status, "window_note": note,
            "match_at_current_rate_cents": unlimited if true_up else paid, "full_match_cents": full,
            "match_lost_cents": 0 if true_up else unlimited - paid, "match_uncaptured_cents": full - unlimited,
            "projected_limit_period": reached, "remaining_periods": p["remaining_periods"]}


TIER_CHOICES = (
    SAFE_HARBOR,
    "[{ up_to_pct = 4.5, rate_pct = 75 }]",
    "[{ up_to_pct = 2.5, rate_pct = 25 }, { up_to_pct = 6, rate_pct = 10 }]",  # low rates: rounding spans cents
    "[{ up_to_pct = 3, rate_pct = 100 }, { up_to_pct = 6, rate_pct = 0 }]",
    "[{ up_to_pct = 1, rate_pct = 1000 }]",
    "[]",
)


@st.composite
def plans(draw) -> PlanConfig:
    return plan(draw(st.sampled_from(TIER_CHOICES)), draw(st.booleans()), draw(st.booleans()))


@st.composite
def people(draw, employee_id: str) -> dict:
    def cents(small: int, large: int) -> int:
        return draw(st.one_of(st.integers(0, small), st.integers(0, large)))
    pretax_bp = draw(st.one_of(st.integers(0, 1_200), st.integers(0, 10_000)))
    return {"employee_id": employee_id, "plan_year": 2025,
            "period_compensation_cents": cents(300, 2_000_000),
            "pretax_deferral_bp": pretax_bp,
            # validation rejects pre-tax + Roth above 100% (pct_sum_over_100): no participant has such a rate
            "roth_deferral_bp": draw(st.one_of(st.just(0), st.integers(0, min(1_000, 10_000 - pretax_bp)))),
            "remaining_periods": draw(st.integers(0, 27)),
            "regular_room_left_cents": cents(5_000, 2_400_000),
            "catch_up_room_left_cents": draw(st.one_of(st.just(0), st.integers(0, 1_100_000))),
            "compensation_room_left_cents": draw(st.one_of(st.integers(0, 3_000_000), st.just(10**10)))}


@settings(max_examples=80, deadline=None)
@given(plans(), st.integers(1, 5).flatmap(lambda size: st.tuples(*(people(f"E{i}") for i in range(size)))))
def test_rules_agree_with_a_loop_over_periods(plan_config: PlanConfig, group: tuple[dict, ...]):
    out = match_window(frame(list(group)), plan_config)
    assert out.height == len(group) and out.columns == list(OUTPUT_COLUMNS)
    match = plan_config.match
    for p, got in zip(group, out.iter_rows(named=True), strict=True):
        assert got["employee_id"] == p["employee_id"] and got["status"] in STATUSES
        event(f"status {got['status']}: {got['window_note'] or 'window'}")  # --hypothesis-show-statistics
        max_bp = got["max_no_limit_bp"]
        if p["remaining_periods"] == 0:
            assert max_bp is None
        else:  # the largest rate at which the limit costs no match (it is monotone in the rate)
            assert ref_costs_no_match(p, max_bp, match)
            assert max_bp == 10_000 or not ref_costs_no_match(p, max_bp + 1, match)
        expected = reference_row(p, plan_config, max_bp)
        assert {k: got[k] for k in expected} == expected, p
        # The identity, each part non-negative, and what a status promises.
        assert got["full_match_cents"] == (got["match_at_current_rate_cents"] + got["match_lost_cents"]
                                           + got["match_uncaptured_cents"])
        assert min(got["match_at_current_rate_cents"], got["match_lost_cents"], got["match_uncaptured_cents"]) >= 0
        if got["status"] == "in_window":
            assert got["match_at_current_rate_cents"] == got["full_match_cents"]
        if got["status"] == "above_window" and not plan_config.true_up.enabled:
            assert got["match_lost_cents"] > 0
