"""Hand-derived scenarios for 401(a)(17), 415(c), the 2026 Roth catch-up rule and the nonelective
contribution. IRS figures (sql/seeds/irs_limits.csv): 2025 402(g) $23,500, 401(a)(17) $350,000, 415(c)
$70,000; 2026 402(g) $24,500, catch-up 50+ $8,000, Roth catch-up wage threshold $150,000."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl

from pipelines.rules.contributions import compute_contributions, limit_events
from schemas.plan import CatchUpConfig, MatchConfig, MatchTier, NonelectiveConfig, PlanConfig
from tests.conftest import biweekly, typed_payroll

SAFE_HARBOR = MatchConfig(tiers=(MatchTier(up_to_pct=Decimal(3), rate_pct=Decimal(100)),
                                 MatchTier(up_to_pct=Decimal(5), rate_pct=Decimal(50))))
NO_PRIOR = pl.DataFrame(schema={"employee_id": pl.Utf8, "plan_year": pl.Int32})


def plan(match: MatchConfig = MatchConfig(), nonelective_pct: str = "0", roth_mode: str = "convert") -> PlanConfig:
    return PlanConfig(plan_id="p", name="P", match=match, nonelective=NonelectiveConfig(pct=Decimal(nonelective_pct)),
                      catch_up=CatchUpConfig(roth_for_high_earners=roth_mode))


def payroll(dates: list[str], comp_cents: int, pretax_bp: int, born: str = "1985-05-05",
            prior_year_wages_cents: int | None = None) -> pl.DataFrame:
    return typed_payroll(dates, born, comp_cents, pretax_bp, prior_year_wages_cents=prior_year_wages_cents)


def test_401a17_caps_compensation_for_elections_and_match(limits):
    # $60,000 a period at 5% pre-tax. Periods 1-5 count $300,000; period 6 counts the remaining $50,000 of
    # the $350,000 limit; period 7 counts nothing. Deferral 5% of counted pay: $3,000 ×5, $2,500, $0.
    # Match on counted pay: 3% at 100% + 2% at 50% = 4% of pay: $2,400 ×5, $2,000, $0.
    out = compute_contributions(payroll(biweekly("2025-01-10", 7), 6_000_000, 500), NO_PRIOR, limits,
                                plan(SAFE_HARBOR))
    assert out["counted_compensation_cents"].to_list() == [6_000_000] * 5 + [5_000_000, 0]
    assert out["pretax_cents"].to_list() == [300_000] * 5 + [250_000, 0]
    assert out["match_cents"].to_list() == [240_000] * 5 + [200_000, 0]
    events = limit_events(out).filter(pl.col("limit_name") == "401a17")
    assert events.select("reached_on", "limit_cents").rows() == [(dt.date(2025, 3, 21), 35_000_000)]


def test_415c_cuts_employer_money_first_then_deferrals(limits):
    # $20,000 a period, 10% pre-tax ($2,000) + 25% nonelective ($5,000) = $7,000 of additions a period.
    # After 10 periods: $70,000 = the 415(c) limit exactly. Period 11 must add nothing: the $5,000
    # nonelective is cut first, then the $2,000 pre-tax, which becomes not deferred.
    out = compute_contributions(payroll(biweekly("2025-01-10", 11), 2_000_000, 1000), NO_PRIOR, limits,
                                plan(nonelective_pct="25"))
    last = out.row(-1, named=True)
    assert (last["nonelective_cents"], last["pretax_cents"], last["not_deferred_cents"]) == (0, 0, 200_000)
    assert (last["nonelective_415c_reduction_cents"], last["pretax_415c_reduction_cents"]) == (500_000, 200_000)
    assert out["additions_to_date_cents"].to_list()[-2:] == [7_000_000, 7_000_000]
    events = limit_events(out).filter(pl.col("limit_name") == "415c")
    assert events.select("reached_on", "source", "amount_cents").rows() == [
        (dt.date(2025, 5, 16), None, None),  # period 10 reaches $70,000
        (dt.date(2025, 5, 30), "nonelective", 500_000),  # period 11 is cut whole
        (dt.date(2025, 5, 30), "pretax", 200_000),
    ]


def test_415c_100_percent_of_compensation_for_a_low_earner(limits):
    # $1,000 pay, 90% pre-tax ($900), match 3% ($30: 3% of pay at 100%; 90% is above the 5% cap of the second
    # tier so + 2% × 50% = $10 -> $40), nonelective 25% ($250). Additions $1,190 > $1,000 of pay: cut $190,
    # match first ($40), then nonelective ($150 of $250). Pre-tax $900 stays.
    out = compute_contributions(payroll(["2025-01-10"], 100_000, 9000), NO_PRIOR, limits,
                                plan(SAFE_HARBOR, nonelective_pct="25"))
    row = out.row(0, named=True)
    assert (row["pretax_cents"], row["match_cents"], row["nonelective_cents"]) == (90_000, 0, 10_000)
    assert (row["match_415c_reduction_cents"], row["nonelective_415c_reduction_cents"]) == (4_000, 15_000)


def test_415c_counts_what_earlier_nights_posted(limits):
    prior = pl.DataFrame({"employee_id": ["E1"], "plan_year": [2025], "ytd_plan_compensation_cents": [10_000_000],
                          "ytd_annual_additions_cents": [6_950_000]}).cast({"plan_year": pl.Int32})
    # $69,500 already added; this period's $2,000 pre-tax + $5,000 nonelective must fit in the last $500:
    # nonelective cut by $5,000, pre-tax by $1,500.
    out = compute_contributions(payroll(["2025-06-13"], 2_000_000, 1000), prior, limits, plan(nonelective_pct="25"))
    assert out.select("pretax_cents", "nonelective_cents", "not_deferred_cents").row(0) == (50_000, 0, 150_000)


def front_loader_2026(roth_mode: str, prior_wages: int | None) -> pl.DataFrame:
    # Age 55 in 2026. $10,000 a period at 50% pre-tax = $5,000. 402(g) $24,500: periods 1-4 $20,000,
    # period 5 $4,500 regular and $500 left over for the $8,000 catch-up room; period 6 $5,000 over.
    return payroll(biweekly("2026-01-09", 6), 1_000_000, 5000, born="1971-01-01", prior_year_wages_cents=prior_wages)


def test_roth_catch_up_convert(limits):
    # 2025 wages $150,000.01 exceed the $150,000 threshold: catch-up must be Roth; "convert" deems it Roth.
    out = compute_contributions(front_loader_2026("convert", 15_000_001), NO_PRIOR, limits, plan(roth_mode="convert"))
    assert out.select("pretax_cents", "pretax_catchup_cents", "roth_catchup_cents").rows()[4:] == [
        (450_000, 0, 50_000),
        (0, 0, 500_000),
    ]
    assert out["roth_catch_up_cents"].to_list()[4:] == [50_000, 500_000]


def test_roth_catch_up_stop(limits):
    # "stop": the pre-tax left over is not deferred at all.
    out = compute_contributions(front_loader_2026("stop", 15_000_001), NO_PRIOR, limits, plan(roth_mode="stop"))
    assert out.select("pretax_cents", "pretax_catchup_cents", "roth_catchup_cents", "not_deferred_cents").rows()[4:] == [
        (450_000, 0, 0, 50_000),
        (0, 0, 0, 500_000),
    ]


def test_roth_catch_up_threshold_is_exceed_not_equal(limits):
    # Exactly $150,000.00 does not exceed the threshold: pre-tax catch-up as usual.
    out = compute_contributions(front_loader_2026("convert", 15_000_000), NO_PRIOR, limits, plan())
    assert out.select("pretax_catchup_cents", "roth_catchup_cents").row(4) == (50_000, 0)
    # And in 2025 the rule is not in force at all (no threshold in the 2025 row).
    out_2025 = compute_contributions(
        payroll(biweekly("2025-01-10", 6), 1_000_000, 5000, born="1971-01-01", prior_year_wages_cents=99_999_999),
        NO_PRIOR, limits, plan(),
    )
    assert out_2025["is_roth_catch_up_only"].any() is False


def test_nonelective_is_a_percent_of_counted_pay(limits):
    # 3% of $2,000.00 = $60.00; 3% of $333.33 = $9.9999 -> $10.00.
    out = compute_contributions(
        pl.concat([payroll(["2025-01-10"], 200_000, 0), payroll(["2025-01-24"], 33_333, 0).with_columns(pl.lit(3, pl.Int64).alias("line_number"))]),
        NO_PRIOR, limits, plan(nonelective_pct="3"),
    )
    assert out["nonelective_cents"].to_list() == [6_000, 1_000]


def test_one_batch_equals_the_same_rows_night_by_night_when_415c_cuts_deferrals(limits):
    # Age 55, $20,000 a period at 50% pre-tax ($10,000) with a 25% nonelective ($5,000); $69,000 of
    # additions already posted, so 415(c) leaves $1,000. Period 1: cut $14,000 (nonelective $5,000, pre-tax
    # $9,000). Period 2: everything cut. The cut deferrals still used the 402(g) room ($10,000 each), so in
    # period 3 only $3,500 fits the room (and is cut) and $6,500 goes to catch-up; period 4 the last $1,000
    # of the $7,500 catch-up room. A year split over four nights must come out exactly the same.
    from pipelines.rules.contributions import ytd_increments

    rows = payroll(biweekly("2025-06-06", 4), 2_000_000, 5000, born="1970-01-01").with_columns(
        pl.lit(0, pl.Int64).alias("hours_worked_hundredths"))
    prior = {"employee_id": "E1", "plan_year": 2025, "ytd_regular_deferral_cents": 0, "ytd_catch_up_deferral_cents": 0,
             "ytd_plan_compensation_cents": 10_000_000, "ytd_annual_additions_cents": 6_900_000}
    the_plan = plan(nonelective_pct="25")
    one_batch = compute_contributions(rows, pl.DataFrame([prior]), limits, the_plan)
    nightly = []
    for i in range(rows.height):
        out = compute_contributions(rows.slice(i, 1), pl.DataFrame([prior]), limits, the_plan)
        nightly.append(out)
        inc = ytd_increments(out).row(0, named=True)  # what the ledger gateway adds to ytd_totals
        prior = {**prior,
                 "ytd_regular_deferral_cents": prior["ytd_regular_deferral_cents"] + inc["regular_room_used_cents"],
                 "ytd_catch_up_deferral_cents": prior["ytd_catch_up_deferral_cents"] + inc["catch_up_deferral_cents"],
                 "ytd_plan_compensation_cents": prior["ytd_plan_compensation_cents"] + inc["plan_compensation_cents"],
                 "ytd_annual_additions_cents": prior["ytd_annual_additions_cents"] + inc["annual_additions_cents"]}
    columns = ["pretax_cents", "pretax_catchup_cents", "nonelective_cents", "not_deferred_cents"]
    assert one_batch.select(columns).rows() == pl.concat(nightly).select(columns).rows()
    assert one_batch["pretax_catchup_cents"].to_list() == [0, 0, 650_000, 100_000]
    assert one_batch["pretax_cents"].to_list() == [100_000, 0, 0, 0]
