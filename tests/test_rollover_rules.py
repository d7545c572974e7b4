"""Rollover eligibility and cash-out costs (pipelines/rules/rollover.py) on hand-built leavers: each figure derived
by hand in a comment."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from pipelines.distribution_rules import DistributionRulesError, load_distribution_rules, rules_for_year
from pipelines.rules.rollover import eligibility
from schemas.plan import DistributionsConfig

D = dt.date.fromisoformat
RULES = load_distribution_rules()
DEFAULTS = DistributionsConfig()  # cash-out $1,000, force-out $7,000, rollover money excluded


def leaver(employee_id: str, vested: int, **facts) -> dict:
    """A leaver born 1980-01-01, left voluntarily on 2025-06-30, no Roth, rollover money or RMD, unless told."""
    return {"employee_id": employee_id, "date_of_birth": D("1980-01-01"), "termination_date": D("2025-06-30"),
            "termination_reason": "voluntary", "vesting_pending": False, "vested_balance_cents": vested,
            "roth_balance_cents": 0, "roth_basis_cents": 0, "rollover_balance_cents": 0, "first_roth_year": None,
            "rmd_due_cents": 0, **facts}


def assess(*people: dict, as_of: str = "2026-03-01", plan: DistributionsConfig = DEFAULTS) -> dict[str, dict]:
    frame = pl.DataFrame(list(people), schema_overrides={"first_roth_year": pl.Int32, "termination_reason": pl.Utf8})
    day = D(as_of)
    rows = eligibility(frame, day, plan, rules_for_year(RULES, day.year))
    return {r["employee_id"]: r for r in rows.iter_rows(named=True)}


def test_each_category_boundary_to_the_cent():
    r = assess(leaver("at_1000", 1_000_00), leaver("over_1000", 1_000_01), leaver("at_7000", 7_000_00),
               leaver("over_7000", 7_000_01))
    assert {e: r[e]["category"] for e in r} == {
        "at_1000": "cash_out", "over_1000": "automatic_rollover", "at_7000": "automatic_rollover",
        "over_7000": "consent_required"}


def test_rollover_money_is_left_out_of_the_limits_unless_the_plan_counts_it():
    # $9,000 vested, $2,500 of it rolled in: $6,500 counts, at or below $7,000.
    person = leaver("R", 9_000_00, rollover_balance_cents=2_500_00)
    assert assess(person)["R"]["category"] == "automatic_rollover"
    counted = DistributionsConfig(exclude_rollovers_from_force_out=False)
    assert assess(person, plan=counted)["R"]["category"] == "consent_required"  # $9,000 > $7,000


def test_the_force_out_limit_was_5000_before_2024():
    # $6,000: above 2023's $5,000 (IRC 411(a)(11) before SECURE 2.0 s304), within 2024's $7,000.
    person = leaver("F", 6_000_00, termination_date=D("2023-03-31"))
    assert assess(person, as_of="2023-12-31")["F"]["category"] == "consent_required"
    assert assess(person, as_of="2024-01-02")["F"]["category"] == "automatic_rollover"
    with pytest.raises(DistributionRulesError, match="no distribution rules for 2200"):
        rules_for_year(RULES, 2200)


def test_the_rule_of_55_and_59_and_a_half_to_the_day():
    r = assess(
        # Born 15 June 1970: 55 in 2025. Separated in 2025 (the year of 55): no penalty at 55.
        leaver("sep_at_55", 50_000_00, date_of_birth=D("1970-06-15"), termination_date=D("2025-03-01")),
        # Separated 31 December 2024, the year before: the penalty applies (under 59½ on 1 March 2026).
        leaver("sep_at_54", 50_000_00, date_of_birth=D("1970-06-15"), termination_date=D("2024-12-31")),
        leaver("dead", 50_000_00, termination_reason="death"),
        leaver("disabled", 50_000_00, termination_reason="disability"),
    )
    assert {e: r[e]["early_penalty_applies"] for e in r} == {
        "sep_at_55": False, "sep_at_54": True, "dead": False, "disabled": False}
    # Born 1 September 1966, left at 48: 59 on 1 September 2025, 59½ on 1 March 2026.
    person = leaver("P", 50_000_00, date_of_birth=D("1966-09-01"), termination_date=D("2015-01-31"))
    assert assess(person, as_of="2026-02-28")["P"]["early_penalty_applies"] is True
    assert assess(person, as_of="2026-03-01")["P"]["early_penalty_applies"] is False


def test_an_rmd_due_comes_first_and_is_not_withheld_on():
    # $100,000 vested, $4,000 RMD still due: eligible $96,000; withholding 20% of ($100,000 - $4,000) = $19,200.
    r = assess(leaver("M", 100_000_00, date_of_birth=D("1950-01-01"), termination_date=D("2015-01-01"),
                      termination_reason="retirement", rmd_due_cents=4_000_00))["M"]
    assert (r["category"], r["eligible_rollover_amount_cents"], r["withholding_if_cashed_out_cents"]) == (
        "rmd_first", 96_000_00, 19_200_00)
    assert (r["early_penalty_applies"], r["penalty_if_cashed_out_cents"], r["net_if_cashed_out_cents"]) == (
        False, 0, 80_800_00)  # 100,000 - 19,200


def test_qualified_roth_money_is_not_taxed_and_non_qualified_only_on_earnings():
    roth = {"roth_balance_cents": 30_000_00, "roth_basis_cents": 24_000_00, "date_of_birth": D("1960-01-01"),
            "termination_date": D("2024-12-31"), "termination_reason": "retirement"}
    r = assess(
        # First Roth money here in 2020: 2026 - 2020 = 6 taxable years, and past 59½: qualified, none taxable.
        leaver("qualified", 80_000_00, first_roth_year=2020, **roth),
        # First in 2022: 4 years: its $6,000 of earnings are taxable ($30,000 - $24,000 basis).
        leaver("four_years", 80_000_00, first_roth_year=2022, **roth),
    )
    assert r["qualified"]["taxable_if_cashed_out_cents"] == 50_000_00  # the $50,000 that is not Roth
    assert r["four_years"]["taxable_if_cashed_out_cents"] == 56_000_00  # 50,000 + 6,000


def test_a_cash_out_a_person_would_check_by_hand():
    # Born 1986, left at 39 in 2025: $20,000 vested, $5,000 of it Roth with a $4,000 basis, first Roth 2023.
    r = assess(leaver("C", 20_000_00, date_of_birth=D("1986-05-01"), roth_balance_cents=5_000_00,
                      roth_basis_cents=4_000_00, first_roth_year=2023))["C"]
    # Taxable: $15,000 not Roth + $1,000 Roth earnings = $16,000. Withholding 20% = $3,200; penalty 10% = $1,600.
    # In hand: 20,000 - 3,200 - 1,600 = $15,200. Category: above $7,000, consent required.
    assert (r["age_at_as_of"], r["category"], r["early_penalty_applies"]) == (39, "consent_required", True)
    assert (r["taxable_if_cashed_out_cents"], r["withholding_if_cashed_out_cents"], r["penalty_if_cashed_out_cents"],
            r["net_if_cashed_out_cents"]) == (16_000_00, 3_200_00, 1_600_00, 15_200_00)


def test_a_leaver_paid_out_in_full_has_no_row():
    assert assess(leaver("gone", 0), leaver("kept", 1)).keys() == {"kept"}


def test_a_29_february_birthday_reaches_59_and_a_half_on_1_september():
    # Born 29 February 1968: 59 on 1 March 2027 (as ages are counted), 59½ six calendar months later, 1 September.
    person = leaver("L", 50_000_00, date_of_birth=D("1968-02-29"), termination_date=D("2015-01-31"))
    assert assess(person, as_of="2027-08-31")["L"]["early_penalty_applies"] is True
    assert assess(person, as_of="2027-09-01")["L"]["early_penalty_applies"] is False
