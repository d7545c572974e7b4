"""Hypothesis holds the polars engine (``compute_contributions``) to the loop-based reference in
``tests/reference.py``: for generated payroll batches, prior year-to-date state and plans, the two must
agree to the cent on every rule output. A second property checks conservation and the annual rooms on the
engine's output alone, and a few hand-worked cases pin the edges the generators might visit rarely.

IRS figures used by the hand-worked cases (sql/seeds/irs_limits.csv): 402(g) $23,000 (2024), $23,500
(2025), $24,500 (2026); catch-up 50+ $7,500 (2024, 2025), $8,000 (2026); catch-up 60-63 $11,250 from 2025;
401(a)(17) $345,000 / $350,000 / $360,000; 415(c) $69,000 / $70,000 / $72,000; Roth catch-up prior-year
wage threshold $150,000 (2026 only; none before).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import polars as pl
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from pipelines.limits import load_irs_limits
from pipelines.rules.contributions import compute_contributions
from schemas.plan import CatchUpConfig, MatchConfig, MatchTier, NonelectiveConfig, PlanConfig
from tests.reference import reference_contributions

LIMITS = load_irs_limits()
LIMITS_ROWS = LIMITS.to_dicts()
LIMITS_BY_YEAR = {r["plan_year"]: r for r in LIMITS_ROWS}

PAYROLL_SCHEMA = {
    "employee_id": pl.Utf8,
    "pay_date": pl.Date,
    "line_number": pl.Int64,
    "date_of_birth": pl.Date,
    "plan_compensation_cents": pl.Int64,
    "gross_pay_cents": pl.Int64,
    "pretax_deferral_bp": pl.Int64,
    "roth_deferral_bp": pl.Int64,
    "loan_repayment_cents": pl.Int64,
    "prior_year_wages_cents": pl.Int64,
}

# Written out here rather than imported from the engine, so the test states the input contract itself.
PRIOR_YTD_SCHEMA = {
    "employee_id": pl.Utf8,
    "plan_year": pl.Int32,
    "ytd_regular_deferral_cents": pl.Int64,
    "ytd_catch_up_deferral_cents": pl.Int64,
    "ytd_plan_compensation_cents": pl.Int64,
    "ytd_annual_additions_cents": pl.Int64,
}

CHECKED_COLUMNS = (
    "plan_year",
    "age_at_year_end",
    "regular_limit_cents",
    "catch_up_limit_cents",
    "pretax_elected_cents",
    "roth_elected_cents",
    "pretax_cents",
    "roth_cents",
    "pretax_catchup_cents",
    "roth_catchup_cents",
    "not_deferred_cents",
    "match_cents",
    "loan_repayment_cents",
    "counted_compensation_cents",
    "is_roth_catch_up_only",
    "roth_catch_up_cents",
    "nonelective_cents",
    "match_415c_reduction_cents",
    "nonelective_415c_reduction_cents",
    "roth_415c_reduction_cents",
    "pretax_415c_reduction_cents",
    "additions_to_date_cents",
)

FIRST_DAY, LAST_DAY = dt.date(2024, 1, 1), dt.date(2026, 12, 31)
# A third of the people are paid only in 2026, the one year with a Roth catch-up wage threshold, so the
# rule meets full years of pay (402(g) exhausted, then the catch-up room) often.
date_ranges = st.sampled_from([(FIRST_DAY, LAST_DAY), (FIRST_DAY, LAST_DAY), (dt.date(2026, 1, 1), LAST_DAY)])

# --------------------------------------------------------------------------------------------- strategies

# Birth years: half the time 1961-1966 so ages 60-63 land in 2024-2026 (both sides of the 2025 rule),
# otherwise anything giving ages 20-70 in 2024-2026.
birth_dates = st.builds(
    dt.date,
    st.one_of(st.integers(1961, 1966), st.integers(1956, 2004)),
    st.integers(1, 12),
    st.integers(1, 28),
)

# Compensation per period in cents: zero, small, typical, and huge (≤ $60,000) so one period can cross
# the 402(g) limit on its own.
compensation = st.one_of(
    st.just(0),
    st.integers(1, 10_000),
    st.integers(100_000, 1_000_000),
    st.integers(0, 6_000_000),
)
# Low earners ($0-$2,000 a period): with 90%+ deferral and a match or nonelective, 100% of compensation is
# the binding 415(c) cap.
low_compensation = st.one_of(st.just(0), st.integers(1, 200_000))
# High earners ($20,000-$150,000 a period): a handful of periods cross 401(a)(17) ($345,000-$360,000)
# inside a period mid-year, and the 415(c) dollar limit binds with a large match or nonelective.
high_compensation = st.integers(2_000_000, 15_000_000)
pay_levels = st.sampled_from([compensation, low_compensation, high_compensation])

basis_point_edges = st.sampled_from([0, 1, 333, 5_000, 9_999, 10_000])


@st.composite
def elections(draw) -> tuple[int, int]:
    """(pretax_bp, roth_bp) with pretax + roth ≤ 10000, edges included."""
    pretax = draw(st.one_of(basis_point_edges, st.integers(0, 10_000)))
    roth_edges = st.sampled_from(sorted({0, 1, 333, 10_000 - pretax} & set(range(10_001 - pretax))))
    roth = draw(st.one_of(roth_edges, st.integers(0, 10_000 - pretax)))
    return pretax, roth


@st.composite
def heavy_elections(draw) -> tuple[int, int]:
    """90%-100% of pay deferred in total, split between pre-tax and Roth."""
    total = draw(st.one_of(st.sampled_from([9_000, 9_500, 10_000]), st.integers(9_000, 10_000)))
    roth = draw(st.one_of(st.just(0), st.just(total), st.integers(0, total)))
    return total - roth, roth


# Prior-year FICA wages around the 2026 Roth catch-up threshold ($150,000): equal (not over), 1 cent under
# and over, far above, unknown (null), anything. Other years have no threshold, so there they must not matter.
prior_year_wages = st.one_of(
    st.none(),
    st.sampled_from([15_000_000, 15_000_001, 14_999_999, 50_000_000]),
    st.integers(0, 100_000_000),
)


@st.composite
def employee_rows(draw, employee_id: str) -> list[dict]:
    """1-30 pay periods of one person on distinct dates across 2024-2026 or in 2026 only (line numbers
    assigned later), with one pay level, one election style and (mostly) one prior-year wage figure."""
    born = draw(birth_dates)
    first, last = draw(date_ranges)
    dates = draw(st.lists(st.dates(first, last), min_size=1, max_size=30, unique=True))
    pay = draw(pay_levels)
    deferral = draw(st.sampled_from([elections(), elections(), heavy_elections()]))
    wages = draw(prior_year_wages)
    wages_vary = draw(st.sampled_from([False, False, False, True]))  # per row: the input allows it
    rows = []
    for pay_date in dates:
        comp = draw(pay)
        pretax_bp, roth_bp = draw(deferral)
        rows.append({
            "employee_id": employee_id,
            "pay_date": pay_date,
            "date_of_birth": born,
            "plan_compensation_cents": comp,
            "gross_pay_cents": comp + draw(st.integers(0, 100_000)),
            "pretax_deferral_bp": pretax_bp,
            "roth_deferral_bp": roth_bp,
            "loan_repayment_cents": draw(st.one_of(st.just(0), st.integers(1, 100_000))),
            "prior_year_wages_cents": draw(prior_year_wages) if wages_vary else wages,
        })
    return rows


@st.composite
def payrolls(draw) -> list[dict]:
    """1-6 employees; line numbers are a shuffled permutation so file order ≠ pay-date order."""
    count = draw(st.integers(1, 6))
    rows = [r for i in range(count) for r in draw(employee_rows(f"E{i}"))]
    line_numbers = draw(st.permutations(range(2, len(rows) + 2)))
    return [{**r, "line_number": n} for r, n in zip(rows, line_numbers)]


# Prior YTD amounts: zero, below, at and above the limits (402(g) ≤ $24,500, catch-up ≤ $11,250,
# 401(a)(17) $345,000-$360,000, 415(c) $69,000-$72,000).
prior_regular = st.one_of(st.just(0), st.sampled_from([2_300_000, 2_350_000, 2_450_000]), st.integers(0, 3_000_000))
prior_catch_up = st.one_of(st.just(0), st.sampled_from([750_000, 1_125_000]), st.integers(0, 1_500_000))
prior_compensation = st.one_of(
    st.just(0),
    st.sampled_from([33_000_000, 34_500_000, 35_000_000, 36_000_000, 40_000_000]),
    st.integers(0, 40_000_000),
)
prior_additions = st.one_of(
    st.just(0),
    st.sampled_from([6_900_000, 7_000_000, 7_200_000, 8_000_000]),
    st.integers(0, 8_000_000),
)


@st.composite
def prior_ytds(draw, rows: list[dict]) -> list[dict]:
    """For each (person, year) in the batch, maybe a prior row (absent means all 0); sometimes also rows
    for a year or a person outside the batch, which must change nothing."""
    keys = sorted({(r["employee_id"], r["pay_date"].year) for r in rows})
    if draw(st.booleans()):
        keys += [(keys[0][0], 2023), ("NOT-IN-BATCH", 2025)]
    prior = []
    for employee_id, year in keys:
        if draw(st.booleans()):
            prior.append({
                "employee_id": employee_id,
                "plan_year": year,
                "ytd_regular_deferral_cents": draw(prior_regular),
                "ytd_catch_up_deferral_cents": draw(prior_catch_up),
                "ytd_plan_compensation_cents": draw(prior_compensation),
                "ytd_annual_additions_cents": draw(prior_additions),
            })
    return prior


def hundredths(low: int, high: int) -> st.SearchStrategy[Decimal]:
    """Decimals with exactly two places, ``low/100`` to ``high/100``."""
    return st.integers(low, high).map(lambda n: Decimal(n).scaleb(-2))


mostly_true = st.sampled_from([True, True, True, False])


@st.composite
def plans(draw) -> PlanConfig:
    """0-3 tiers with strictly increasing up_to in (0, 100] and rates in [0, 1000], the catch-up flags and
    Roth mode, and a nonelective percent."""
    up_tos = sorted(draw(st.lists(st.one_of(hundredths(1, 10_000), st.sampled_from([3, 5, 6, 100]).map(Decimal)),
                                  max_size=3, unique=True)))
    rates = [draw(st.one_of(st.sampled_from([Decimal(0), Decimal(50), Decimal(100), Decimal(1000)]),
                            hundredths(0, 100_000))) for _ in up_tos]
    return PlanConfig(
        plan_id="p",
        name="P",
        match=MatchConfig(tiers=tuple(MatchTier(up_to_pct=u, rate_pct=r) for u, r in zip(up_tos, rates)),
                          match_catch_up=draw(st.booleans())),
        # Mostly on, so the catch-up rooms (the subtle part) are exercised often; off still occurs.
        catch_up=CatchUpConfig(enabled=draw(mostly_true), age_60_63=draw(mostly_true),
                               roth_for_high_earners=draw(st.sampled_from(["convert", "stop"]))),
        # 0-25%: at 20% of capped pay the nonelective alone reaches 415(c); less with deferrals and match.
        nonelective=NonelectiveConfig(pct=draw(st.one_of(st.just(Decimal(0)), hundredths(0, 2_500),
                                                         st.sampled_from([3, 10, 25]).map(Decimal)))),
    )


@st.composite
def batches(draw) -> tuple[list[dict], list[dict], PlanConfig]:
    rows = draw(payrolls())
    return rows, draw(prior_ytds(rows)), draw(plans())


# ------------------------------------------------------------------------------------------------ helpers


def payroll_frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame({c: [r[c] for r in rows] for c in PAYROLL_SCHEMA}, schema=PAYROLL_SCHEMA)


def prior_frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame({c: [r[c] for r in rows] for c in PRIOR_YTD_SCHEMA}, schema=PRIOR_YTD_SCHEMA)


def engine_rows(rows: list[dict], prior: list[dict], plan: PlanConfig) -> list[dict]:
    """The engine's output as dicts sorted by line_number (its row order is not part of the contract)."""
    out = compute_contributions(payroll_frame(rows), prior_frame(prior), LIMITS, plan)
    assert out.height == len(rows)
    return out.sort("line_number").to_dicts()


def disagreements(engine: list[dict], reference: list[dict]) -> list[str]:
    """Every (line, column) where the engine and the reference differ, readable in a failure message."""
    problems = []
    for got, want in zip(engine, reference, strict=True):
        assert got["line_number"] == want["line_number"]
        for column in CHECKED_COLUMNS:
            if got[column] != want[column]:
                problems.append(f"line {want['line_number']} {column}: engine {got[column]}, reference {want[column]}")
    return problems


def assert_agree(rows: list[dict], prior: list[dict], plan: PlanConfig) -> list[dict]:
    engine = engine_rows(rows, prior, plan)
    reference = reference_contributions(rows, prior, LIMITS_ROWS, plan)
    problems = disagreements(engine, reference)
    assert not problems, "\n".join(problems[:20])
    return engine


# ------------------------------------------------------------------------------------------------ properties


def record_coverage(out: list[dict]) -> None:
    """Label what an example exercised (``--hypothesis-show-statistics``), to check the generators reach
    the interesting cases often."""
    def additions_cut(r: dict) -> int:
        return sum(r[f"{s}_415c_reduction_cents"] for s in ("match", "nonelective", "roth", "pretax"))

    for label, hit in [
        ("regular room exhausted", any(r["pretax_catchup_cents"] + r["roth_catchup_cents"] + r["not_deferred_cents"]
                                       for r in out)),
        ("catch-up deferred", any(r["pretax_catchup_cents"] + r["roth_catchup_cents"] for r in out)),
        ("not deferred > 0", any(r["not_deferred_cents"] for r in out)),
        ("60-63 limit used", any(r["catch_up_limit_cents"] == 1_125_000 for r in out)),
        ("age 60-63 in 2024", any(r["plan_year"] == 2024 and 60 <= r["age_at_year_end"] <= 63 for r in out)),
        ("match > 0", any(r["match_cents"] for r in out)),
        ("nonelective > 0", any(r["nonelective_cents"] for r in out)),
        ("401(a)(17) crossed inside a period",
         any(0 < r["counted_compensation_cents"] < r["plan_compensation_cents"] for r in out)),
        ("pay not counted (past 401(a)(17))",
         any(r["counted_compensation_cents"] == 0 < r["plan_compensation_cents"] for r in out)),
        ("415(c) cut", any(additions_cut(r) for r in out)),
        ("415(c) cut below the dollar limit (100% of pay)",
         any(additions_cut(r)
             and r["additions_to_date_cents"] < LIMITS_BY_YEAR[r["plan_year"]]["annual_additions_415c_cents"]
             for r in out)),
        ("415(c) cut nonelective", any(r["nonelective_415c_reduction_cents"] for r in out)),
        ("415(c) cut a deferral", any(r["roth_415c_reduction_cents"] + r["pretax_415c_reduction_cents"] for r in out)),
        ("Roth catch-up only row", any(r["is_roth_catch_up_only"] for r in out)),
        ("Roth catch-up converted or stopped > 0", any(r["roth_catch_up_cents"] for r in out)),
        ("2026 wages exactly at the threshold",
         any(r["plan_year"] == 2026 and r["prior_year_wages_cents"] == 15_000_000 for r in out)),
    ]:
        if hit:
            event(label)


@settings(max_examples=300, deadline=None)
@given(batches())
def test_engine_matches_reference(batch) -> None:
    out = assert_agree(*batch)
    record_coverage(out)
    if any(r["roth_catch_up_cents"] for r in out):
        event(f"Roth catch-up {batch[2].catch_up.roth_for_high_earners} > 0")


def prior_ytd_by_key(prior: list[dict]) -> dict[tuple[str, int], dict]:
    return {(p["employee_id"], p["plan_year"]): p for p in prior}


def remaining_rooms(out: list[dict], prior: list[dict]) -> dict[tuple[str, int], tuple[int, int]]:
    """Per (person, year): the regular and catch-up rooms left before the batch, from the engine's limits."""
    used = {k: (p["ytd_regular_deferral_cents"], p["ytd_catch_up_deferral_cents"])
            for k, p in prior_ytd_by_key(prior).items()}
    rooms = {}
    for r in out:
        key = (r["employee_id"], r["plan_year"])
        ytd_regular, ytd_catch_up = used.get(key, (0, 0))
        rooms[key] = (max(0, r["regular_limit_cents"] - ytd_regular), max(0, r["catch_up_limit_cents"] - ytd_catch_up))
    return rooms


@settings(max_examples=300, deadline=None)
@given(batches())
def test_conservation_and_rooms(batch) -> None:
    rows, prior, plan = batch
    out = engine_rows(rows, prior, plan)
    ytd = prior_ytd_by_key(prior)
    totals: dict[tuple[str, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in out:
        parts = (r["pretax_cents"], r["roth_cents"], r["pretax_catchup_cents"], r["roth_catchup_cents"],
                 r["not_deferred_cents"])
        reductions = tuple(r[f"{s}_415c_reduction_cents"] for s in ("match", "nonelective", "roth", "pretax"))
        assert min(parts + reductions) >= 0, r
        assert min(r["match_cents"], r["nonelective_cents"], r["roth_catch_up_cents"]) >= 0, r
        # Nothing is created or lost: every elected cent is deferred somewhere or reported not deferred
        # (whether the room, the Roth "stop" rule or the 415(c) cut kept it out).
        assert sum(parts) == r["pretax_elected_cents"] + r["roth_elected_cents"], r
        assert 0 <= r["counted_compensation_cents"] <= r["plan_compensation_cents"], r
        if not r["is_roth_catch_up_only"]:
            assert r["roth_catch_up_cents"] == 0, r
        elif plan.catch_up.roth_for_high_earners == "convert":
            assert r["pretax_catchup_cents"] == 0, r
        else:  # "stop": no pre-tax reaches the catch-up room
            assert r["pretax_catchup_cents"] == 0 and r["roth_catch_up_cents"] <= r["not_deferred_cents"], r
        key = (r["employee_id"], r["plan_year"])
        t = totals[key]
        t["regular"] += r["pretax_cents"] + r["roth_cents"]
        t["catch_up"] += r["pretax_catchup_cents"] + r["roth_catchup_cents"]
        t["additions"] += r["pretax_cents"] + r["roth_cents"] + r["match_cents"] + r["nonelective_cents"]
        t["compensation"] += r["plan_compensation_cents"]
        t["counted"] += r["counted_compensation_cents"]
        t["additions_to_date"] = max(t["additions_to_date"], r["additions_to_date_cents"])
    for key, (regular_room, catch_up_room) in remaining_rooms(out, prior).items():
        t = totals[key]
        year_limits = LIMITS_BY_YEAR[key[1]]
        assert t["regular"] <= regular_room, key
        assert t["catch_up"] <= catch_up_room, key
        ytd_compensation = ytd.get(key, {}).get("ytd_plan_compensation_cents", 0)
        ytd_additions = ytd.get(key, {}).get("ytd_annual_additions_cents", 0)
        # 401(a)(17): no more pay is counted than the year's limit leaves after earlier nights.
        assert t["counted"] <= max(0, year_limits["compensation_401a17_cents"] - ytd_compensation), key
        # 415(c): what the batch posts fits under the lesser of the dollar limit and 100% of pay so far
        # (or under what earlier nights already posted, which is never taken back).
        cap = max(ytd_additions, min(year_limits["annual_additions_415c_cents"], ytd_compensation + t["compensation"]))
        assert ytd_additions + t["additions"] <= cap, key
        assert t["additions_to_date"] == ytd_additions + t["additions"], key


# ------------------------------------------------------------------------------------------------ hand-worked


def one_row(line_number: int = 2, pay_date: str = "2025-06-13", born: str = "1970-03-01",
            comp: int = 1_000_000, pretax_bp: int = 0, roth_bp: int = 0, employee_id: str = "E1",
            wages: int | None = None) -> dict:
    return {
        "employee_id": employee_id, "pay_date": dt.date.fromisoformat(pay_date), "line_number": line_number,
        "date_of_birth": dt.date.fromisoformat(born), "plan_compensation_cents": comp, "gross_pay_cents": comp,
        "pretax_deferral_bp": pretax_bp, "roth_deferral_bp": roth_bp, "loan_repayment_cents": 1_234,
        "prior_year_wages_cents": wages,
    }


def prior_row(regular: int, catch_up: int, year: int = 2025, employee_id: str = "E1", compensation: int = 0,
              additions: int = 0) -> dict:
    return {"employee_id": employee_id, "plan_year": year, "ytd_regular_deferral_cents": regular,
            "ytd_catch_up_deferral_cents": catch_up, "ytd_plan_compensation_cents": compensation,
            "ytd_annual_additions_cents": additions}


SAFE_HARBOR = MatchConfig(tiers=(MatchTier(up_to_pct=Decimal(3), rate_pct=Decimal(100)),
                                 MatchTier(up_to_pct=Decimal(5), rate_pct=Decimal(50))), match_catch_up=False)


def plan_with(match: MatchConfig = SAFE_HARBOR, enabled: bool = True, age_60_63: bool = True,
              roth_mode: str = "convert", nonelective_pct: str = "0") -> PlanConfig:
    return PlanConfig(plan_id="p", name="P", match=match,
                      catch_up=CatchUpConfig(enabled=enabled, age_60_63=age_60_63, roth_for_high_earners=roth_mode),
                      nonelective=NonelectiveConfig(pct=Decimal(nonelective_pct)))


def deferral_split(r: dict) -> tuple[int, ...]:
    return (r["pretax_cents"], r["roth_cents"], r["pretax_catchup_cents"], r["roth_catchup_cents"],
            r["not_deferred_cents"])


@pytest.mark.parametrize(("born", "catch_up_room", "expected"), [
    # Age 55 in 2025, catch-up $7,500 room: Roth's overflow $200 goes to Roth catch-up.
    ("1970-03-01", 750_000, (40_000, 10_000, 0, 20_000, 0)),
    # Age 40: no catch-up, so the $200 overflow is not deferred.
    ("1985-03-01", 0, (40_000, 10_000, 0, 0, 20_000)),
])
def test_crossing_402g_inside_a_period_with_pretax_and_roth(born: str, catch_up_room: int, expected) -> None:
    # Prior YTD $23,000 of $23,500 leaves $500 regular room. Pay $10,000: pre-tax 4% = $400, Roth 3% = $300.
    # Pre-tax $400 fits; Roth takes the last $100; Roth's other $200 goes to catch-up if there is room.
    # Match (3%@100, 5%@50, catch-up not matched) on D = $500, C = $10,000: $300 × 1 + $200 × 0.5 = $400.
    rows, prior = [one_row(born=born, pretax_bp=400, roth_bp=300)], [prior_row(2_300_000, 0)]
    (out,) = assert_agree(rows, prior, plan_with())
    assert out["catch_up_limit_cents"] == catch_up_room
    assert deferral_split(out) == expected
    assert out["match_cents"] == 40_000
    assert out["loan_repayment_cents"] == 1_234


@pytest.mark.parametrize(("pay_date", "born", "age_60_63", "age", "catch_up_room"), [
    ("2024-06-14", "1963-08-01", True, 61, 750_000),     # 60-63 rule starts in 2025: 2024 gets 50+ $7,500
    ("2025-06-13", "1963-08-01", True, 62, 1_125_000),   # 2025, age 62, plan adopted it: $11,250
    ("2025-06-13", "1963-08-01", False, 62, 750_000),    # plan did not adopt it: $7,500
    ("2025-06-13", "1961-08-01", True, 64, 750_000),     # 64 is past the window: back to $7,500
    ("2026-06-12", "1966-12-31", True, 60, 1_125_000),   # birthday on 31 Dec still counts for the year
    ("2025-06-13", "1975-12-31", True, 50, 750_000),     # 50 by year end
    ("2025-06-13", "1976-01-01", True, 49, 0),           # 49 by year end: no catch-up
])
def test_catch_up_room_by_age_and_year(pay_date, born, age_60_63, age, catch_up_room) -> None:
    # 100% deferral of $40,000 overflows both rooms, so the catch-up taken equals the room.
    rows = [one_row(pay_date=pay_date, born=born, comp=4_000_000, pretax_bp=10_000)]
    (out,) = assert_agree(rows, [], plan_with(age_60_63=age_60_63))
    assert (out["age_at_year_end"], out["catch_up_limit_cents"]) == (age, catch_up_room)
    assert out["pretax_catchup_cents"] == catch_up_room
    assert out["pretax_cents"] == out["regular_limit_cents"]


def test_prior_ytd_above_both_limits_defers_nothing() -> None:
    # YTD $24,000 > $23,500 and $8,000 > $7,500: both rooms are max(0, negative) = 0, nothing is deferred,
    # so nothing is matched even with catch-up matching on.
    plan = plan_with(match=SAFE_HARBOR.model_copy(update={"match_catch_up": True}))
    rows = [one_row(pretax_bp=500, roth_bp=500), one_row(line_number=3, pay_date="2025-06-27", pretax_bp=100)]
    out = assert_agree(rows, [prior_row(2_400_000, 800_000)], plan)
    assert [deferral_split(r) for r in out] == [(0, 0, 0, 0, 100_000), (0, 0, 0, 0, 10_000)]
    assert [r["match_cents"] for r in out] == [0, 0]


def test_same_pay_date_is_taken_in_line_number_order() -> None:
    # Two rows on one date with $100 of room left: line 3 comes first although it is listed second.
    rows = [one_row(line_number=7, pretax_bp=100, born="1990-01-01"),
            one_row(line_number=3, pretax_bp=100, born="1990-01-01")]
    out = assert_agree(rows, [prior_row(2_340_000, 0)], plan_with())
    assert [(r["line_number"], r["pretax_cents"], r["not_deferred_cents"]) for r in out] == [(3, 10_000, 0), (7, 0, 10_000)]


def test_rounding_is_half_up_once() -> None:
    # Election: 1 cent × 50% = 0.5 cent -> 1. Match on pay $1,000.01, deferral 6% = $60.0006 -> $60.00:
    # tier 1 $0-$30.0003 at 100% = 30.0003; tier 2 $30.0003-$50.0005 at 50% = 10.0001; $40.0004 -> $40.00.
    rows = [one_row(comp=1, pretax_bp=5_000, born="1990-01-01"),
            one_row(line_number=3, pay_date="2025-06-27", comp=100_001, pretax_bp=600, born="1990-01-01")]
    out = assert_agree(rows, [], plan_with())
    # (The 1-cent row's match is $0.0004 -> 0: 0.03 cent at 100% + 0.02 cent at 50%.)
    assert [(r["pretax_elected_cents"], r["match_cents"]) for r in out] == [(1, 0), (6_000, 4_000)]


def additions_split(r: dict) -> tuple[int, ...]:
    """(pretax, roth, match, nonelective) after 415(c), then their reductions, then posted-to-date."""
    return (r["pretax_cents"], r["roth_cents"], r["match_cents"], r["nonelective_cents"],
            r["pretax_415c_reduction_cents"], r["roth_415c_reduction_cents"], r["match_415c_reduction_cents"],
            r["nonelective_415c_reduction_cents"], r["additions_to_date_cents"])


def test_401a17_crossed_inside_a_period() -> None:
    # 2024 limit $345,000; $340,000 counted before. Period 1 pays $10,000: only $5,000 fits -> counted $5,000.
    #   Elections on counted: pre-tax 5% = $250. Match (3%@100, 5%@50) on bands of $5,000: $150 at 100% plus
    #   $100 ($150-$250) at 50% = $200. Nonelective 3% of $5,000 = $150.
    # Period 2 pays $10,000 more: nothing counted, so no election, match or nonelective.
    # 415(c): cap min($69,000, $340,000 + pay) = $69,000; posted $250 + $200 + $150 = $600, then $600.
    rows = [one_row(pay_date="2024-11-15", comp=1_000_000, pretax_bp=500, born="1985-01-01"),
            one_row(line_number=3, pay_date="2024-11-29", comp=1_000_000, pretax_bp=500, born="1985-01-01")]
    out = assert_agree(rows, [prior_row(0, 0, year=2024, compensation=34_000_000)], plan_with(nonelective_pct="3"))
    assert [r["counted_compensation_cents"] for r in out] == [500_000, 0]
    assert [(r["pretax_elected_cents"], r["match_cents"], r["nonelective_cents"]) for r in out] == [
        (25_000, 20_000, 15_000), (0, 0, 0)]
    assert [r["additions_to_date_cents"] for r in out] == [60_000, 60_000]


def test_415c_dollar_limit_cuts_match_then_nonelective_then_pretax() -> None:
    # 2024: $68,500 already posted, $300,000 of pay before. Pay $20,000, pre-tax 10% = $2,000 (room is free).
    # Match on $2,000 of $20,000: 3% band $600 at 100% + 3-5% band $400 at 50% = $800. Nonelective 3% = $600.
    # Additions a = $2,000 + $800 + $600 = $3,400. Cap = max($68,500, min($69,000, $320,000)) = $69,000,
    # so $500 posts and $2,900 is cut: match $800, nonelective $600, Roth $0, pre-tax $1,500 (-> not deferred).
    rows = [one_row(pay_date="2024-10-04", comp=2_000_000, pretax_bp=1_000, born="1985-01-01")]
    prior = [prior_row(1_000_000, 0, year=2024, compensation=30_000_000, additions=6_850_000)]
    (out,) = assert_agree(rows, prior, plan_with(nonelective_pct="3"))
    assert additions_split(out) == (50_000, 0, 0, 0, 150_000, 0, 80_000, 60_000, 6_900_000)
    assert deferral_split(out) == (50_000, 0, 0, 0, 150_000)


def test_415c_100_percent_of_pay_for_a_low_earner() -> None:
    # 2025, no prior. Pay $1,000: pre-tax 95% = $950. Match 100% up to 6%: $60. Nonelective 10%: $100.
    # a = $1,110 > cap min($70,000, $1,000) = $1,000: $110 cut = match $60, then nonelective $50.
    # Period 2 pays $1,000 again, pre-tax 95% + Roth 5%: $950 + $50 + $60 + $100 = $1,160; cap now $2,000,
    # $1,000 posted, room $1,000: cut $160 = match $60 + nonelective $100.
    match = MatchConfig(tiers=(MatchTier(up_to_pct=Decimal(6), rate_pct=Decimal(100)),), match_catch_up=False)
    rows = [one_row(comp=100_000, pretax_bp=9_500, born="1990-01-01"),
            one_row(line_number=3, pay_date="2025-06-27", comp=100_000, pretax_bp=9_500, roth_bp=500,
                    born="1990-01-01")]
    out = assert_agree(rows, [], plan_with(match=match, nonelective_pct="10"))
    assert [additions_split(r) for r in out] == [(95_000, 0, 0, 5_000, 0, 0, 6_000, 5_000, 100_000),
                                                  (95_000, 5_000, 0, 0, 0, 0, 6_000, 10_000, 200_000)]


def test_415c_prior_additions_already_above_the_limit_cut_everything() -> None:
    # 2026: $73,000 posted earlier (> $72,000). Cap = max($73,000, min($72,000, ...)) = $73,000 = P: room 0.
    # Pay $5,000, Roth 10% = $500, match (3%@100, 5%@50) = $150 + ($250 - $150) × 50% = $200: all cut, and the
    # cut Roth is not deferred.
    rows = [one_row(pay_date="2026-03-06", comp=500_000, roth_bp=1_000, born="1990-01-01")]
    prior = [prior_row(0, 0, year=2026, compensation=20_000_000, additions=7_300_000)]
    (out,) = assert_agree(rows, prior, plan_with())
    assert additions_split(out) == (0, 0, 0, 0, 0, 50_000, 20_000, 0, 7_300_000)
    assert out["not_deferred_cents"] == 50_000


# 2026, age 55 (born 1971): 402(g) $24,500 with $24,000 used leaves $500; catch-up 50+ room $8,000.
# Pay $10,000: pre-tax 10% = $1,000, Roth 2% = $200. Regular room: pre-tax $500, Roth $0; left over:
# pre-tax $500, Roth $200. Match (3%@100, 5%@50, catch-up not matched) on $500 = $300 + $200 × 50% = $400.
@pytest.mark.parametrize(("wages", "mode", "roth_only", "expected", "roth_catch_up"), [
    # $150,000.01 > $150,000, "convert": pre-tax $500 fills the catch-up room as Roth, then Roth $200:
    # Roth catch-up $700, of which $500 converted.
    (15_000_001, "convert", True, (50_000, 0, 0, 70_000, 0), 50_000),
    # "stop": the pre-tax $500 never reaches the catch-up room (not deferred); Roth $200 still uses it.
    (15_000_001, "stop", True, (50_000, 0, 0, 20_000, 50_000), 50_000),
    # Exactly $150,000 is not over the threshold: catch-up as before, whatever the mode.
    (15_000_000, "convert", False, (50_000, 0, 50_000, 20_000, 0), 0),
    (15_000_000, "stop", False, (50_000, 0, 50_000, 20_000, 0), 0),
    # Unknown wages: never Roth-only.
    (None, "stop", False, (50_000, 0, 50_000, 20_000, 0), 0),
])
def test_roth_catch_up_for_high_earners_2026(wages, mode, roth_only, expected, roth_catch_up) -> None:
    rows = [one_row(pay_date="2026-06-12", born="1971-05-05", comp=1_000_000, pretax_bp=1_000, roth_bp=200,
                    wages=wages)]
    prior = [prior_row(2_400_000, 0, year=2026, compensation=10_000_000, additions=2_400_000)]
    (out,) = assert_agree(rows, prior, plan_with(roth_mode=mode))
    assert out["is_roth_catch_up_only"] is roth_only
    assert deferral_split(out) == expected
    assert out["roth_catch_up_cents"] == roth_catch_up
    assert out["match_cents"] == 40_000


@pytest.mark.parametrize(("pay_date", "born", "enabled"), [
    ("2025-06-13", "1971-05-05", True),   # 2025 has no threshold: far-above wages change nothing
    ("2026-06-12", "1980-05-05", True),   # age 46: not catch-up eligible, so never Roth-only
    ("2026-06-12", "1971-05-05", False),  # catch-up disabled: not eligible either
])
def test_roth_catch_up_rule_needs_a_threshold_and_eligibility(pay_date, born, enabled) -> None:
    rows = [one_row(pay_date=pay_date, born=born, comp=1_000_000, pretax_bp=1_000, wages=50_000_000)]
    (out,) = assert_agree(rows, [], plan_with(enabled=enabled, roth_mode="stop"))
    assert (out["is_roth_catch_up_only"], out["roth_catch_up_cents"]) == (False, 0)


def test_missing_prior_year_wages_column_means_unknown() -> None:
    # The column is optional: without it every row behaves as with null wages.
    rows = [one_row(pay_date="2026-06-12", born="1971-05-05", comp=1_000_000, pretax_bp=1_000, wages=None)]
    prior = [prior_row(2_400_000, 0, year=2026)]
    with_column = engine_rows(rows, prior, plan_with(roth_mode="stop"))
    frame = payroll_frame(rows).drop("prior_year_wages_cents")
    without = compute_contributions(frame, prior_frame(prior), LIMITS, plan_with(roth_mode="stop")).to_dicts()
    def checked(out: list[dict]) -> list[dict]:
        return [{c: r[c] for c in CHECKED_COLUMNS} for r in out]

    assert checked(without) == checked(with_column)
