"""Hand-derived employer-match scenarios (tiers 100% up to 3% of pay, 50% from 3% to 5%)."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest

from pipelines.rules.contributions import employer_match
from schemas.plan import MatchConfig, MatchTier

SAFE_HARBOR = (MatchTier(up_to_pct=Decimal(3), rate_pct=Decimal(100)), MatchTier(up_to_pct=Decimal(5), rate_pct=Decimal(50)))


def one(comp: int, pretax: int, roth: int = 0, pretax_cu: int = 0, roth_cu: int = 0, match_catch_up: bool = True,
        tiers=SAFE_HARBOR) -> int:
    frame = pl.DataFrame({
        "plan_compensation_cents": [comp], "pretax_cents": [pretax], "roth_cents": [roth],
        "pretax_catchup_cents": [pretax_cu], "roth_catchup_cents": [roth_cu],
    })
    return employer_match(frame, MatchConfig(tiers=tiers, match_catch_up=match_catch_up))["match_cents"].item()


@pytest.mark.parametrize(
    ("pretax", "expected", "why"),
    [
        (0, 0, "no deferral, no match"),
        (4_000, 4_000, "2% of $2,000 = $40, all in tier 1 at 100%"),
        (6_000, 6_000, "3% = $60 fills tier 1 exactly"),
        (8_000, 7_000, "4% = $80: $60 + 50% of $20 = $70"),
        (10_000, 8_000, "5% = $100: $60 + 50% of $40 = $80"),
        (24_000, 8_000, "12%: anything above 5% of pay is unmatched"),
    ],
)
def test_tiers(pretax, expected, why):
    assert one(200_000, pretax) == expected, why


def test_all_sources_count_toward_the_match():
    # $2,000 pay; $30 pre-tax + $30 Roth + $20 Roth catch-up = $80 -> $60 + 50% of $20 = $70.
    assert one(200_000, 3_000, 3_000, 0, 2_000) == 7_000
    # With match_catch_up off, only the $60 regular deferral counts -> $60.
    assert one(200_000, 3_000, 3_000, 0, 2_000, match_catch_up=False) == 6_000


def test_rounded_once_not_per_tier():
    # Pay $100.50, deferral $10.05. Tier 1: 3% of pay = $3.015 at 100%; tier 2: band $3.015-$5.025 = $2.01
    # at 50% = $1.005. Exact total $4.02. Rounding each tier first would give $3.02 + $1.01 = $4.03.
    assert one(10_050, 1_005) == 402


def test_half_cent_rounds_up():
    # Pay $0.50, deferral $0.01 at 50% match up to 6%: band edge 3 cents; 1 cent × 50% = 0.5 cent -> 1 cent.
    assert one(50, 1, tiers=(MatchTier(up_to_pct=Decimal(6), rate_pct=Decimal(50)),)) == 1


def test_no_tiers_no_match():
    assert one(200_000, 10_000, tiers=()) == 0


def test_fractional_tier_edges_are_exact():
    # Tier up to 4.5% at 75%: pay $1,111.11 -> edge $49.99995. Deferral $60 -> matched part $49.99995 × 0.75
    # = $37.4999625 -> $37.50.
    tiers = (MatchTier(up_to_pct=Decimal("4.5"), rate_pct=Decimal(75)),)
    assert one(111_111, 6_000, tiers=tiers) == 3_750
