"""Hand-derived deferral scenarios for the pure rules (2024/2025 IRS limits from sql/seeds/irs_limits.csv:
402(g) $23,000 / $23,500; catch-up 50+ $7,500 both years; 60-63 catch-up $11,250 from 2025)."""

from __future__ import annotations


import polars as pl

from pipelines.rules.contributions import PRIOR_YTD_SCHEMA, compute_contributions
from schemas.plan import CatchUpConfig, MatchConfig, PlanConfig
from tests.conftest import biweekly
from tests.conftest import typed_payroll as payroll

NO_MATCH = MatchConfig()


def plan(enabled: bool = True, age_60_63: bool = True) -> PlanConfig:
    return PlanConfig(plan_id="p", name="P", match=NO_MATCH, catch_up=CatchUpConfig(enabled=enabled, age_60_63=age_60_63))


def prior(rows: list[tuple[str, int, int, int]] = ()) -> pl.DataFrame:
    """(employee_id, plan_year, ytd regular, ytd catch-up); the other year-to-date columns start at 0."""
    schema = {k: PRIOR_YTD_SCHEMA[k] for k in list(PRIOR_YTD_SCHEMA)[:4]}
    return pl.DataFrame(rows, schema=schema, orient="row")


COLS = ["pretax_cents", "roth_cents", "pretax_catchup_cents", "roth_catchup_cents", "not_deferred_cents"]


def amounts(out: pl.DataFrame) -> list[tuple[int, ...]]:
    return out.sort("pay_date").select(COLS).rows()


def test_402g_stops_mid_year_under_50(limits):
    # Age 44 in 2025. $10,000 a period at 50% pre-tax = $5,000 elected. Limit $23,500:
    # periods 1-4 take $20,000; period 5 gets the last $3,500, $1,500 is not deferred; period 6 nothing.
    out = compute_contributions(payroll(biweekly("2025-01-10", 6), "1981-03-01", 1_000_000, 5000), prior(), limits, plan())
    assert amounts(out)[3:] == [
        (500_000, 0, 0, 0, 0),
        (350_000, 0, 0, 0, 150_000),
        (0, 0, 0, 0, 500_000),
    ]
    assert out["catch_up_limit_cents"].unique().to_list() == [0]


def test_50_plus_continues_into_catch_up(limits):
    # Age 55 in 2025 (born 1970): catch-up room $7,500. Period 5: $3,500 regular + $1,500 catch-up;
    # period 6: $5,000 catch-up (room left $6,000); period 7: the last $1,000, $4,000 not deferred.
    out = compute_contributions(payroll(biweekly("2025-01-10", 7), "1970-05-05", 1_000_000, 5000), prior(), limits, plan())
    assert amounts(out)[4:] == [
        (350_000, 0, 150_000, 0, 0),
        (0, 0, 500_000, 0, 0),
        (0, 0, 100_000, 0, 400_000),
    ]
    assert out["catch_up_limit_cents"].unique().to_list() == [750_000]


def test_age_attained_by_31_december_decides_catch_up(limits):
    # Born 31 Dec 1975: 49 on 10 Jan 2025 but attains 50 by 31 Dec 2025, so eligible all year.
    out = compute_contributions(payroll(["2025-01-10"], "1975-12-31", 100_000, 500), prior(), limits, plan())
    assert out.select("age_at_year_end", "is_catch_up_eligible", "catch_up_limit_cents").row(0) == (50, True, 750_000)


def test_60_63_catch_up_from_2025_only(limits):
    # Born 1964: attains 60 in 2024 (no 60-63 rule yet: $7,500) and 61 in 2025 ($11,250).
    frame = pl.concat([
        payroll(["2024-12-20"], "1964-02-02", 100_000, 500),
        payroll(["2025-01-03"], "1964-02-02", 100_000, 500).with_columns(pl.lit(3, pl.Int64).alias("line_number")),
    ])
    out = compute_contributions(frame, prior(), limits, plan()).sort("pay_date")
    assert out.select("plan_year", "age_at_year_end", "catch_up_limit_cents").rows() == [
        (2024, 60, 750_000),
        (2025, 61, 1_125_000),
    ]


def test_64_gets_the_ordinary_catch_up_again(limits):
    # Born 1961: attains 64 in 2025 -> back to the 50+ catch-up of $7,500.
    out = compute_contributions(payroll(["2025-01-03"], "1961-07-07", 100_000, 500), prior(), limits, plan())
    assert out["catch_up_limit_cents"].item() == 750_000


def test_plan_switches(limits):
    # A 61-year-old in 2025: age_60_63 off -> $7,500; catch-up off -> no room at all.
    one = payroll(["2025-01-03"], "1964-02-02", 100_000, 500)
    assert compute_contributions(one, prior(), limits, plan(age_60_63=False))["catch_up_limit_cents"].item() == 750_000
    assert compute_contributions(one, prior(), limits, plan(enabled=False))["catch_up_limit_cents"].item() == 0


def test_fill_order_pretax_then_roth_then_catch_up(limits):
    # Age 52. $10,000 at 30% pre-tax ($3,000) + 20% Roth ($2,000). Prior YTD regular $21,000, so $2,500 of
    # regular room: pre-tax takes all $2,500, Roth none. Left over: pre-tax $500, Roth $2,000, both fit
    # the $7,500 catch-up room in that order.
    out = compute_contributions(
        payroll(["2025-06-06"], "1973-01-01", 1_000_000, 3000, 2000), prior([("E1", 2025, 2_100_000, 0)]), limits, plan()
    )
    assert amounts(out) == [(250_000, 0, 50_000, 200_000, 0)]


def test_prior_ytd_is_per_year_and_a_new_year_starts_empty(limits):
    # Prior state says 2024 is full ($23,000). The Dec 2024 period defers nothing; Jan 2025 starts empty.
    out = compute_contributions(
        payroll(["2024-12-27", "2025-01-10"], "1990-01-01", 100_000, 1000),
        prior([("E1", 2024, 2_300_000, 0)]),
        limits,
        plan(),
    )
    # 10% of $1,000 = $100 each period.
    assert amounts(out) == [(0, 0, 0, 0, 10_000), (10_000, 0, 0, 0, 0)]


def test_prior_above_the_limit_never_gives_negative_room(limits):
    # If earlier posts somehow exceed the room (e.g. the table changed), nothing more is deferred: never < 0.
    out = compute_contributions(
        payroll(["2025-01-10"], "1970-01-01", 100_000, 1000), prior([("E1", 2025, 2_400_000, 800_000)]), limits, plan()
    )
    assert amounts(out) == [(0, 0, 0, 0, 10_000)]


def test_elections_round_half_up_to_the_cent(limits):
    # $1,234.57 at 6.25%: 123457 × 625 / 10000 = 7716.0625 -> 7716; at 0.5%: 617.285 -> 617;
    # $0.10 at 5%: 0.5 cent -> rounds up to 1 cent.
    out = compute_contributions(
        pl.concat([
            payroll(["2025-01-10"], "1990-01-01", 123_457, 625, 50),
            payroll(["2025-01-10"], "1990-01-01", 10, 500, employee_id="E2"),
        ]),
        prior(), limits, plan(),
    ).sort("employee_id")
    assert out.select("pretax_elected_cents", "roth_elected_cents").rows() == [(7716, 617), (1, 0)]


def test_people_are_independent(limits):
    # Two people in one frame: one's cumulative sum must not leak into the other's.
    frame = pl.concat([
        payroll(biweekly("2025-01-10", 5), "1981-03-01", 1_000_000, 5000, employee_id="A"),
        payroll(biweekly("2025-01-10", 1), "1981-03-01", 1_000_000, 5000, employee_id="B").with_columns(
            pl.lit(99, pl.Int64).alias("line_number")
        ),
    ])
    out = compute_contributions(frame, prior(), limits, plan())
    assert out.filter(pl.col("employee_id") == "B")["pretax_cents"].to_list() == [500_000]
    # A: 4 × $5,000 + $3,500 = $23,500.
    assert out.filter(pl.col("employee_id") == "A")["pretax_cents"].sum() == 2_350_000
