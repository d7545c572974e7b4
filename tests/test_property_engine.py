"""Hypothesis holds the polars engine (``compute_contributions``) to the loop-based reference in
``tests/reference.py``: for generated payroll batches, prior year-to-date state and plans, the two must
agree to the cent on every rule output. A second property checks conservation and the annual rooms on the
engine's output alone, and a few hand-worked cases pin the edges the generators might visit rarely.

IRS figures used by the hand-worked cases (sql/seeds/irs_limits.csv): 402(g) $23,000 (2024), $23,500
(2025), $24,500 (2026); catch-up 50+ $7,500 (2024, 2025), $8,000 (2026); catch-up 60-63 $11,250 from 2025.
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
from pipelines.rules.contributions import PRIOR_YTD_SCHEMA, compute_contributions
from schemas.plan import CatchUpConfig, MatchConfig, MatchTier, PlanConfig
from tests.reference import reference_contributions

LIMITS = load_irs_limits()
LIMITS_ROWS = LIMITS.to_dicts()

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
)

FIRST_DAY, LAST_DAY = dt.date(2024, 1, 1), dt.date(2026, 12, 31)

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

basis_point_edges = st.sampled_from([0, 1, 333, 5_000, 9_999, 10_000])


@st.composite
def elections(draw) -> tuple[int, int]:
    """(pretax_bp, roth_bp) with pretax + roth ≤ 10000, edges included."""
    pretax = draw(st.one_of(basis_point_edges, st.integers(0, 10_000)))
    roth_edges = st.sampled_from(sorted({0, 1, 333, 10_000 - pretax} & set(range(10_001 - pretax))))
    roth = draw(st.one_of(roth_edges, st.integers(0, 10_000 - pretax)))
    return pretax, roth


@st.composite
def employee_rows(draw, employee_id: str) -> list[dict]:
    """1-30 pay periods of one person on distinct dates across 2024-2026 (line numbers assigned later)."""
    born = draw(birth_dates)
    dates = draw(st.lists(st.dates(FIRST_DAY, LAST_DAY), min_size=1, max_size=30, unique=True))
    rows = []
    for pay_date in dates:
        comp = draw(compensation)
        pretax_bp, roth_bp = draw(elections())
        rows.append({
            "employee_id": employee_id,
            "pay_date": pay_date,
            "date_of_birth": born,
            "plan_compensation_cents": comp,
            "gross_pay_cents": comp + draw(st.integers(0, 100_000)),
            "pretax_deferral_bp": pretax_bp,
            "roth_deferral_bp": roth_bp,
            "loan_repayment_cents": draw(st.one_of(st.just(0), st.integers(1, 100_000))),
        })
    return rows


@st.composite
def payrolls(draw) -> list[dict]:
    """1-6 employees; line numbers are a shuffled permutation so file order ≠ pay-date order."""
    count = draw(st.integers(1, 6))
    rows = [r for i in range(count) for r in draw(employee_rows(f"E{i}"))]
    line_numbers = draw(st.permutations(range(2, len(rows) + 2)))
    return [{**r, "line_number": n} for r, n in zip(rows, line_numbers)]


# Prior YTD amounts: zero, below, at and above the limits (402(g) ≤ $24,500, catch-up ≤ $11,250).
prior_regular = st.one_of(st.just(0), st.sampled_from([2_300_000, 2_350_000, 2_450_000]), st.integers(0, 3_000_000))
prior_catch_up = st.one_of(st.just(0), st.sampled_from([750_000, 1_125_000]), st.integers(0, 1_500_000))


@st.composite
def prior_ytds(draw, rows: list[dict]) -> list[dict]:
    """For each (person, year) in the batch, maybe a prior row (absent means 0 / 0); sometimes also rows
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
            })
    return prior


def hundredths(low: int, high: int) -> st.SearchStrategy[Decimal]:
    """Decimals with exactly two places, ``low/100`` to ``high/100``."""
    return st.integers(low, high).map(lambda n: Decimal(n).scaleb(-2))


mostly_true = st.sampled_from([True, True, True, False])


@st.composite
def plans(draw) -> PlanConfig:
    """0-3 tiers with strictly increasing up_to in (0, 100] and rates in [0, 1000], plus the three flags."""
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
        catch_up=CatchUpConfig(enabled=draw(mostly_true), age_60_63=draw(mostly_true)),
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
    for label, hit in [
        ("regular room exhausted", any(r["pretax_catchup_cents"] + r["roth_catchup_cents"] + r["not_deferred_cents"]
                                       for r in out)),
        ("catch-up deferred", any(r["pretax_catchup_cents"] + r["roth_catchup_cents"] for r in out)),
        ("not deferred > 0", any(r["not_deferred_cents"] for r in out)),
        ("60-63 limit used", any(r["catch_up_limit_cents"] == 1_125_000 for r in out)),
        ("age 60-63 in 2024", any(r["plan_year"] == 2024 and 60 <= r["age_at_year_end"] <= 63 for r in out)),
        ("match > 0", any(r["match_cents"] for r in out)),
    ]:
        if hit:
            event(label)


@settings(max_examples=200, deadline=None)
@given(batches())
def test_engine_matches_reference(batch) -> None:
    record_coverage(assert_agree(*batch))


def remaining_rooms(out: list[dict], prior: list[dict]) -> dict[tuple[str, int], tuple[int, int]]:
    """Per (person, year): the regular and catch-up rooms left before the batch, from the engine's limits."""
    used = {(p["employee_id"], p["plan_year"]): (p["ytd_regular_deferral_cents"], p["ytd_catch_up_deferral_cents"])
            for p in prior}
    rooms = {}
    for r in out:
        key = (r["employee_id"], r["plan_year"])
        ytd_regular, ytd_catch_up = used.get(key, (0, 0))
        rooms[key] = (max(0, r["regular_limit_cents"] - ytd_regular), max(0, r["catch_up_limit_cents"] - ytd_catch_up))
    return rooms


@settings(max_examples=200, deadline=None)
@given(batches())
def test_conservation_and_rooms(batch) -> None:
    rows, prior, plan = batch
    out = engine_rows(rows, prior, plan)
    totals: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0])
    for r in out:
        parts = (r["pretax_cents"], r["roth_cents"], r["pretax_catchup_cents"], r["roth_catchup_cents"],
                 r["not_deferred_cents"])
        assert min(parts) >= 0, r
        # Nothing is created or lost: every elected cent is deferred somewhere or reported not deferred.
        assert sum(parts) == r["pretax_elected_cents"] + r["roth_elected_cents"], r
        key = (r["employee_id"], r["plan_year"])
        totals[key][0] += r["pretax_cents"] + r["roth_cents"]
        totals[key][1] += r["pretax_catchup_cents"] + r["roth_catchup_cents"]
    for key, (regular_room, catch_up_room) in remaining_rooms(out, prior).items():
        assert totals[key][0] <= regular_room, key
        assert totals[key][1] <= catch_up_room, key


# ------------------------------------------------------------------------------------------------ hand-worked


def one_row(line_number: int = 2, pay_date: str = "2025-06-13", born: str = "1970-03-01",
            comp: int = 1_000_000, pretax_bp: int = 0, roth_bp: int = 0, employee_id: str = "E1") -> dict:
    return {
        "employee_id": employee_id, "pay_date": dt.date.fromisoformat(pay_date), "line_number": line_number,
        "date_of_birth": dt.date.fromisoformat(born), "plan_compensation_cents": comp, "gross_pay_cents": comp,
        "pretax_deferral_bp": pretax_bp, "roth_deferral_bp": roth_bp, "loan_repayment_cents": 1_234,
    }


def prior_row(regular: int, catch_up: int, year: int = 2025, employee_id: str = "E1") -> dict:
    return {"employee_id": employee_id, "plan_year": year, "ytd_regular_deferral_cents": regular,
            "ytd_catch_up_deferral_cents": catch_up}


SAFE_HARBOR = MatchConfig(tiers=(MatchTier(up_to_pct=Decimal(3), rate_pct=Decimal(100)),
                                 MatchTier(up_to_pct=Decimal(5), rate_pct=Decimal(50))), match_catch_up=False)


def plan_with(match: MatchConfig = SAFE_HARBOR, enabled: bool = True, age_60_63: bool = True) -> PlanConfig:
    return PlanConfig(plan_id="p", name="P", match=match, catch_up=CatchUpConfig(enabled=enabled, age_60_63=age_60_63))


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
