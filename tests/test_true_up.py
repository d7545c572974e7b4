"""Year-end match true-up: the rule by hand, then posting it through the ledger (due date, idempotency,
eligibility, 415(c)), and the on-demand command."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from pipelines.store.checks import run_checks
from pipelines.rules.true_up import ANNUAL_SCHEMA, compute_true_up, is_due
from pipelines.derived.true_up import post_true_up
from schemas.plan import parse_plan_text
from tests.conftest import biweekly, make_csv, row

TRUE_UP_TOML = """
plan_id = "acme"
name = "Acme"
[match]
tiers = [ { up_to_pct = 3, rate_pct = 100 }, { up_to_pct = 5, rate_pct = 50 } ]
[true_up]
enabled = true
"""


def acme(extra: str = "") -> object:
    return parse_plan_text(TRUE_UP_TOML + extra, "acme.toml")


COLS = ("employee_id", "date_of_birth", "hire_date", "pay_date", "gross_pay", "pretax_deferral_pct",
        "hours_worked", "termination_date", "termination_reason")


def year_file(employee_id: str, pay: str, pcts: list[str], hours: str = "80", termination: str = "") -> bytes:
    """A 2025 biweekly year (one row per pay date) for one person; ``pcts`` per period."""
    dates = biweekly("2025-01-10", len(pcts))
    return make_csv([
        row(employee_id=employee_id, pay_date=d, gross_pay=pay, pretax_deferral_pct=p, hours_worked=hours,
            termination_date=termination if i == len(pcts) - 1 else "",
            termination_reason="voluntary" if termination and i == len(pcts) - 1 else "")
        for i, (d, p) in enumerate(zip(dates, pcts))
    ], COLS)


def true_ups(ledger) -> dict[str, str]:
    return dict(ledger.frame("SELECT employee_id, true_up::VARCHAR FROM true_ups ORDER BY 1").iter_rows())


def test_front_loader_gets_the_match_they_missed(post, ledger, limits):
    plan = acme()
    # $10,000 a period × 26 = $260,000 at 50%: $5,000 a period until 402(g) $23,500 (4 × $5,000 + $3,500).
    # Each of those 5 periods is matched at the 5% cap: $300 + $100 = $400 -> $2,000 of period match.
    # Annual formula: deferral $23,500 is 9.04% of $260,000: 3% ($7,800) + 50% × 2% ($2,600) = $10,400.
    # True-up = $10,400 - $2,000 = $8,400.
    post("2025.csv", year_file("FRONT", "10000.00", ["50"] * 26), plan=plan)
    result = post_true_up(ledger, plan_id="acme", plan=plan, plan_year=2025, as_of=dt.date(2026, 1, 31),
                          run_id="r", limits=limits)
    assert (result.status, result.posted_cents) == ("posted", {"match_true_up": 840_000})
    assert ledger.frame("SELECT effective_date::VARCHAR, plan_year, amount::VARCHAR FROM ledger "
                        "WHERE source = 'match_true_up'").rows() == [("2026-01-31", 2025, "8400.00")]
    assert run_checks(ledger) == []


def test_rate_change_mid_year(post, ledger, limits):
    plan = acme()
    # $5,000 a period: 3% for 13 periods ($150, matched $150), then 10% for 13 ($500, matched $150 + $50).
    # Period match: 13 × $150 + 13 × $200 = $4,550. Year: pay $130,000, deferral $8,450 (6.5%):
    # 3% ($3,900) + 50% × 2% ($1,300) = $5,200. True-up $650.
    post("2025.csv", year_file("MOVER", "5000.00", ["3"] * 13 + ["10"] * 13), plan=plan)
    post_true_up(ledger, plan_id="acme", plan=plan, plan_year=2025, as_of=dt.date(2026, 2, 1), run_id="r", limits=limits)
    assert true_ups(ledger) == {"MOVER": "650.00"}


def test_steady_saver_gets_nothing(post, ledger, limits):
    plan = acme()
    # 6% every period: every period already matched the full 4%: formula = period match, true-up $0.
    post("2025.csv", year_file("STEADY", "4000.00", ["6"] * 26), plan=plan)
    post_true_up(ledger, plan_id="acme", plan=plan, plan_year=2025, as_of=dt.date(2026, 2, 1), run_id="r", limits=limits)
    assert true_ups(ledger) == {"STEADY": "0.00"}
    assert ledger.frame("SELECT count(*) n FROM ledger WHERE source = 'match_true_up'")["n"].item() == 0


def test_is_posted_once_and_later_payroll_is_reported(post, ledger, limits):
    plan = acme()
    post("2025.csv", year_file("FRONT", "10000.00", ["50"] * 5), plan=plan)
    first = post_true_up(ledger, plan_id="acme", plan=plan, plan_year=2025, as_of=dt.date(2026, 1, 31), run_id="r", limits=limits)
    again = post_true_up(ledger, plan_id="acme", plan=plan, plan_year=2025, as_of=dt.date(2026, 2, 28), run_id="r", limits=limits)
    assert (first.status, again.status) == ("posted", "skipped")
    assert ledger.frame("SELECT count(*) n FROM true_ups")["n"].item() == 1
    late = post("late.csv", make_csv([row(employee_id="FRONT", pay_date="2025-12-26", gross_pay="10000.00")]), plan=plan)
    assert (late.status, late.notices) == ("posted", 1)
    assert ledger.frame("SELECT code FROM notices")["code"].to_list() == ["payroll_after_true_up"]


@pytest.mark.parametrize(
    ("extra", "hours", "termination", "reason"),
    [
        ("requires_last_day_employment = true\n", "80", "2025-11-30", "terminated_before_year_end"),
        ("min_hours = 1000\n", "80", "", "below_min_hours"),  # 5 periods × 80 = 400 hours
    ],
)
def test_eligibility_conditions(post, ledger, limits, extra, hours, termination, reason):
    plan = acme(extra)
    post("2025.csv", year_file("FRONT", "10000.00", ["50"] * 5, hours=hours, termination=termination), plan=plan)
    post_true_up(ledger, plan_id="acme", plan=plan, plan_year=2025, as_of=dt.date(2026, 2, 1), run_id="r", limits=limits)
    assert ledger.frame("SELECT true_up::VARCHAR, ineligible_reason FROM true_ups").rows() == [("0.00", reason)]


def test_eligible_when_conditions_are_met(post, ledger, limits):
    # Same person with 1,040 hours (13 × 80) and employed through 31 Dec: eligible.
    plan = acme("requires_last_day_employment = true\nmin_hours = 1000\n")
    post("2025.csv", year_file("FRONT", "10000.00", ["50"] * 5 + ["0"] * 8), plan=plan)
    post_true_up(ledger, plan_id="acme", plan=plan, plan_year=2025, as_of=dt.date(2026, 2, 1), run_id="r", limits=limits)
    # Pay $130,000, deferral $23,500 (18%): formula 4% = $5,200; period match 5 × $400 = $2,000 -> $3,200.
    assert ledger.frame("SELECT true_up::VARCHAR, ineligible_reason FROM true_ups").rows() == [("3200.00", None)]


def test_true_up_is_held_within_415c(limits):
    plan = acme()
    # Annual pay $300,000; formula 4% = $12,000; period match $2,000 -> owed $10,000. Additions so far
    # $65,000 leave $5,000 of the $70,000 limit: true-up $5,000, reduced $5,000.
    annual = pl.DataFrame([("BIG", 2025, 30_000_000, 2_350_000, 0, 200_000, 6_500_000, 208_000, None)],
                          schema=ANNUAL_SCHEMA, orient="row")
    out = compute_true_up(annual, limits, plan)
    assert out.select("formula_match_cents", "true_up_cents", "reduced_415c_cents").row(0) == (1_200_000, 500_000, 500_000)


def test_true_up_uses_401a17_compensation(limits):
    plan = acme()
    # Annual pay $500,000 counts as $350,000 (401(a)(17)).
    annual = pl.DataFrame([("HIGH", 2025, 50_000_000, 2_350_000, 0, 0, 2_350_000, 208_000, None)],
                          schema=ANNUAL_SCHEMA, orient="row")
    # Deferral $23,500 is 6.7% of $350,000: still above 5%, so 3% + 1% = $14,000.
    assert compute_true_up(annual, limits, plan)["formula_match_cents"].item() == 1_400_000


def test_due_date():
    plan = acme()
    custom = parse_plan_text(TRUE_UP_TOML + 'on = "02-15"\n', "acme.toml")
    # Default due 31 January of the next year; a plan may set another month-day.
    assert not is_due(plan, 2025, dt.date(2026, 1, 30)) and is_due(plan, 2025, dt.date(2026, 1, 31))
    assert not is_due(custom, 2025, dt.date(2026, 2, 14)) and is_due(custom, 2025, dt.date(2026, 2, 15))
    disabled = parse_plan_text('plan_id = "acme"\nname = "A"\n', "acme.toml")
    assert not is_due(disabled, 2025, dt.date(2030, 1, 1))


def test_roth_catch_up_rule_reads_prior_year_wages_from_the_ledger(post, ledger, acme_plan):
    # 2025: one paycheck of $150,000.01 (gross) for a 55-year-old. 2026: no prior_year_fica_wages column, so
    # the ledger's 2025 gross pay decides: $150,000.01 > $150,000, so catch-up must be Roth ("convert").
    # 2026: $50,000 at 60% = $30,000: $24,500 regular (402(g) 2026), $5,500 pre-tax over -> Roth catch-up.
    post("2025.csv", make_csv([row(date_of_birth="1971-01-01", pay_date="2025-12-26", gross_pay="150000.01",
                                   pretax_deferral_pct="0")]))
    post("2026.csv", make_csv([row(date_of_birth="1971-01-01", pay_date="2026-01-09", gross_pay="50000.00",
                                   pretax_deferral_pct="60")]))
    got = ledger.frame("SELECT source, amount::VARCHAR FROM ledger WHERE plan_year = 2026 AND source <> 'match' "
                       "ORDER BY 1").rows()
    assert got == [("pretax", "24500.00"), ("roth_catchup", "5500.00")]
    assert ledger.frame("SELECT limit_name, source, amount::VARCHAR FROM limit_events "
                        "WHERE limit_name = 'roth_catch_up'").rows() == [("roth_catch_up", "pretax_catchup", "5500.00")]
    assert ledger.frame("SELECT prior_year_wages_used::VARCHAR FROM payroll_lines WHERE plan_year = 2026").item() \
        == "150000.01"


def test_true_up_is_never_negative(limits):
    # Tiers 50% up to 3%, 100% from 3% to 6%. One period of $10,000 with $600 (6%) deferred was matched
    # $150 + $300 = $450; a second $10,000 period deferred nothing. The year: $600 on $20,000 is 3%, so the
    # formula gives 50% × $600 = $300, less than the $450 already paid: the true-up is $0, not -$150.
    plan = parse_plan_text(TRUE_UP_TOML.replace("{ up_to_pct = 3, rate_pct = 100 }, { up_to_pct = 5, rate_pct = 50 }",
                                                "{ up_to_pct = 3, rate_pct = 50 }, { up_to_pct = 6, rate_pct = 100 }"),
                           "acme.toml")
    annual = pl.DataFrame([("E1", 2025, 2_000_000, 60_000, 0, 45_000, 105_000, 0, None)], schema=ANNUAL_SCHEMA,
                          orient="row")
    out = compute_true_up(annual, limits, plan)
    assert out.select("formula_match_cents", "true_up_cents").row(0) == (30_000, 0)


@pytest.mark.parametrize(("terminated", "reason"), [(dt.date(2025, 12, 31), None),
                                                     (dt.date(2025, 12, 30), "terminated_before_year_end")])
def test_employed_on_the_last_day_means_through_31_december(limits, terminated, reason):
    # Leaving on 31 December is being employed on the last day; leaving on the 30th is not.
    plan = acme("requires_last_day_employment = true\n")
    annual = pl.DataFrame([("E1", 2025, 2_000_000, 100_000, 0, 40_000, 140_000, 0, terminated)],
                          schema=ANNUAL_SCHEMA, orient="row")
    assert compute_true_up(annual, limits, plan)["ineligible_reason"].item() == reason


def test_prior_year_wages_column_wins_over_the_ledger(post, ledger):
    # The ledger holds $150,000.01 of 2025 gross pay, but the 2026 file says 2025 FICA wages were $100,000:
    # the file's figure decides, it does not exceed $150,000, so catch-up stays pre-tax.
    cols = ("employee_id", "date_of_birth", "hire_date", "pay_date", "gross_pay", "pretax_deferral_pct",
            "prior_year_fica_wages")
    post("2025.csv", make_csv([row(date_of_birth="1971-01-01", pay_date="2025-12-26", gross_pay="150000.01",
                                   pretax_deferral_pct="0")], cols))
    post("2026.csv", make_csv([row(date_of_birth="1971-01-01", pay_date="2026-01-09", gross_pay="50000.00",
                                   pretax_deferral_pct="60", prior_year_fica_wages="100000.00")], cols))
    got = ledger.frame("SELECT source, amount::VARCHAR FROM ledger WHERE plan_year = 2026 AND source <> 'match' "
                       "ORDER BY 1").rows()
    # $30,000 elected: $24,500 regular, $5,500 pre-tax catch-up.
    assert got == [("pretax", "24500.00"), ("pretax_catchup", "5500.00")]
