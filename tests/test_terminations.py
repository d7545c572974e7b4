"""Terminations through the ledger: vesting computed once, non-vested employer money forfeited into the
plan's forfeiture account, and later changes reported rather than re-processed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from conftest import ACME_TOML
from pipelines.store import terminations as terminations_store
from pipelines.store.checks import run_checks
from pipelines.derived.terminations import process_terminations
from schemas.plan import parse_plan_text

GRADED_TOML = ACME_TOML + '[vesting]\nschedule = [0, 0, 20, 40, 60, 80, 100]\nmethod = "elapsed"\n'
HEADER = "employee_id,date_of_birth,hire_date,termination_date,termination_reason"


@pytest.fixture()
def graded():
    return parse_plan_text(GRADED_TOML, "acme.toml")


@pytest.fixture()
def plan_with_balances(post_kind, graded):
    """E1 hired 2022-03-01, E2 hired 2015-01-01, with 2024-12-31 balances in employee and employer sources."""
    post_kind("census", "c1.csv", f"{HEADER}\nE1,1980-01-01,2022-03-01,,\nE2,1960-07-01,2015-01-01,,\n",
              as_of="2025-01-02", plan=graded)
    post_kind("balances", "b1.csv", (
        "employee_id,as_of_date,source,balance\n"
        "E1,2024-12-31,roth,5000.00\nE1,2024-12-31,match,1000.01\nE1,2024-12-31,nonelective,250.00\n"
        "E2,2024-12-31,match,8000.00\n"
    ), as_of="2025-01-02", plan=graded)
    return graded


def run_terminations(ledger, plan, as_of: str):
    return process_terminations(ledger, plan=plan, as_of=dt.date.fromisoformat(as_of), run_id="test-run")


def terminations(ledger) -> list[tuple]:
    return ledger.frame(
        "SELECT employee_id, termination_date::VARCHAR, years_of_service, vested_pct::VARCHAR, vesting_basis, "
        "employer_balance::VARCHAR, vested_employer_balance::VARCHAR, forfeited_amount::VARCHAR, "
        "processed_on::VARCHAR FROM terminations ORDER BY employee_id"
    ).rows()


def notices(ledger) -> list[tuple]:
    return ledger.frame("SELECT employee_id, code, message FROM notices ORDER BY batch_id, employee_id").rows()


def test_a_leaver_forfeits_the_non_vested_employer_money_once(post_kind, ledger, plan_with_balances):
    plan = plan_with_balances
    post_kind("census", "c2.csv", f"{HEADER}\nE1,1980-01-01,2022-03-01,2025-03-01,voluntary\n", as_of="2025-03-05",
              plan=plan)
    assert run_terminations(ledger, plan, "2025-02-28") is None  # not yet: the date is after this as-of
    result = run_terminations(ledger, plan, "2025-03-05")
    # 2022-03-01 -> 2025-03-01: 3 completed years -> 40%.
    # match 1,000.01 x 40% = 400.004 -> 400.00 vested, 600.01 forfeited; nonelective 250.00 -> 100.00 / 150.00.
    # Employer balance 1,250.01 = vested 500.00 + forfeited 750.01. The Roth 5,000.00 is the employee's own.
    assert terminations(ledger) == [
        ("E1", "2025-03-01", 3, "40.00", "schedule", "1250.01", "500.00", "750.01", "2025-03-05"),
    ]
    assert result.posted_cents == {"forfeiture match": -60_001, "forfeiture nonelective": -15_000}
    assert ledger.frame(
        "SELECT source, sum(amount)::VARCHAR FROM ledger WHERE employee_id = 'E1' GROUP BY source ORDER BY source"
    ).rows() == [("match", "400.00"), ("nonelective", "100.00"), ("roth", "5000.00")]
    assert ledger.frame(
        "SELECT plan_id, plan_year, source, forfeited_amount::VARCHAR, participants FROM forfeiture_account ORDER BY source"
    ).rows() == [("acme", 2025, "match", "600.01", 1), ("acme", 2025, "nonelective", "150.00", 1)]
    # The next night finds nothing to do: processed once.
    assert run_terminations(ledger, plan, "2025-03-06") is None
    assert run_checks(ledger) == []


def test_death_and_normal_retirement_age_keep_everything(post_kind, ledger, plan_with_balances):
    plan = plan_with_balances
    # E1 dies with 2 years of service (20% on the schedule); E2 (born 1960-07-01) leaves at 65 exactly.
    post_kind("census", "c2.csv", (
        f"{HEADER}\nE1,1980-01-01,2022-03-01,2025-02-01,death\nE2,1960-07-01,2015-01-01,2025-07-01,voluntary\n"
    ), as_of="2025-07-02", plan=plan)
    run_terminations(ledger, plan, "2025-07-02")
    assert [(e, y, pct, basis, forfeited) for e, _, y, pct, basis, _, _, forfeited, _ in terminations(ledger)] == [
        ("E1", 2, "100.00", "death", "0.00"),
        ("E2", 10, "100.00", "normal_retirement_age", "0.00"),
    ]
    assert ledger.frame("SELECT count(*) FROM ledger WHERE entry_type = 'forfeiture'").item() == 0
    assert run_checks(ledger) == []


def test_hours_based_service_from_payroll(post, ledger):
    plan = parse_plan_text(ACME_TOML + '[vesting]\nschedule = [0, 0, 0, 100]\nmethod = "hours"\n', "acme.toml")
    columns = ("employee_id", "date_of_birth", "hire_date", "pay_date", "gross_pay", "pretax_deferral_pct",
               "hours_worked", "termination_date", "termination_reason")
    from conftest import make_csv, row

    # 2022: 1,000 hours; 2023: 999.99; 2024: 1,200 and a termination on 2024-12-20. Two qualifying years: the
    # 3-year cliff vests nothing. Each row's match: 3% x 100% + 2% x 50% of $1,000 = $40.00, $120.00 in all.
    post("p.csv", make_csv([
        row(pay_date="2022-12-16", hours_worked="1000"),
        row(pay_date="2023-12-15", hours_worked="999.99"),
        row(pay_date="2024-12-20", hours_worked="1200", termination_date="2024-12-20", termination_reason="voluntary"),
    ], columns), plan=plan)
    run_terminations(ledger, plan, "2025-01-05")
    assert [(y, pct, balance, forfeited) for _, _, y, pct, _, balance, _, forfeited, _ in terminations(ledger)] == [
        (2, "0.00", "120.00", "120.00"),
    ]
    assert run_checks(ledger) == []


def test_a_changed_or_withdrawn_termination_is_reported_once_not_reprocessed(post_kind, ledger, plan_with_balances):
    plan = plan_with_balances
    post_kind("census", "c2.csv", f"{HEADER}\nE1,1980-01-01,2022-03-01,2025-03-01,voluntary\n", as_of="2025-03-05",
              plan=plan)
    run_terminations(ledger, plan, "2025-03-05")
    # The employer corrects the date: reported, and only once.
    post_kind("census", "c3.csv", f"{HEADER}\nE1,1980-01-01,2022-03-01,2025-02-28,voluntary\n", as_of="2025-03-10",
              plan=plan)
    changed = run_terminations(ledger, plan, "2025-03-10")
    assert (changed.rows_posted, changed.notices) == (0, 1)
    assert run_terminations(ledger, plan, "2025-03-11") is None
    # Rehired: the termination date is withdrawn.
    post_kind("census", "c4.csv", f"{HEADER}\nE1,1980-01-01,2025-06-01,,\n", as_of="2025-06-02", plan=plan)
    run_terminations(ledger, plan, "2025-06-02")
    # Leaves again: a new termination after a processed one is reported for review, never forfeited twice.
    post_kind("census", "c5.csv", f"{HEADER}\nE1,1980-01-01,2025-06-01,2025-09-01,voluntary\n", as_of="2025-09-02",
              plan=plan)
    run_terminations(ledger, plan, "2025-09-02")
    done = "the termination on 2025-03-01 was processed (forfeited 750.01); "
    review = " (a correction, or a new termination after a rehire): not processed again, review its vesting and forfeiture"
    assert notices(ledger) == [
        ("E1", "termination_changed", done + "the termination is now 2025-02-28 (voluntary)" + review),
        ("E1", "termination_withdrawn", done + "the participant no longer has a termination in force (rehired, or it "
         "was sent in error): it is not reversed or restored automatically"),
        ("E1", "termination_changed", done + "the termination is now 2025-09-01 (voluntary)" + review),
    ]
    assert len(terminations(ledger)) == 1
    assert ledger.frame("SELECT count(*) FROM ledger WHERE entry_type = 'forfeiture'").item() == 2
    assert ledger.frame("SELECT count(*) FROM termination_reports").item() == 3
    assert run_checks(ledger) == []


def test_the_check_catches_a_forfeiture_that_does_not_add_up(post_kind, ledger, plan_with_balances):
    plan = plan_with_balances
    post_kind("census", "c2.csv", f"{HEADER}\nE1,1980-01-01,2022-03-01,2025-03-01,voluntary\n", as_of="2025-03-05",
              plan=plan)
    run_terminations(ledger, plan, "2025-03-05")
    # Tamper with the audit row (never done by planadmin) and the invariant check must name it.
    ledger.execute("UPDATE terminations SET vested_employer_balance = vested_employer_balance + 0.01")
    failures = {f.check: f.rows for f in run_checks(ledger)}
    assert failures["forfeited_plus_vested_is_employer_balance"]["employee_id"].to_list() == ["E1"]


def test_a_corrected_reason_is_reported(post_kind, ledger, plan_with_balances):
    plan = plan_with_balances
    post_kind("census", "c2.csv", f"{HEADER}\nE1,1980-01-01,2022-03-01,2025-03-01,voluntary\n", as_of="2025-03-05",
              plan=plan)
    run_terminations(ledger, plan, "2025-03-05")
    # Death would have vested 100%: the $750.01 forfeited on a voluntary termination needs a decision.
    post_kind("census", "c3.csv", f"{HEADER}\nE1,1980-01-01,2022-03-01,2025-03-01,death\n", as_of="2025-03-09",
              plan=plan)
    run_terminations(ledger, plan, "2025-03-09")
    assert [code for _, code, _ in notices(ledger)] == ["termination_changed"]
    assert "the termination is now 2025-03-01 (death)" in notices(ledger)[0][2]


def test_a_later_hire_date_in_payroll_ends_a_termination(post, post_kind, ledger, plan_with_balances):
    from conftest import make_csv, row

    plan = plan_with_balances
    post_kind("census", "c2.csv", f"{HEADER}\nE1,1980-01-01,2022-03-01,2025-03-01,voluntary\n", as_of="2025-03-05",
              plan=plan)
    run_terminations(ledger, plan, "2025-03-05")
    # Rehired on 2025-06-01: payroll says so with its hire date; the old termination date stays on file.
    post("p.csv", make_csv([row(employee_id="E1", date_of_birth="1980-01-01", hire_date="2025-06-01",
                                pay_date="2025-06-13")]), plan=plan)
    run_terminations(ledger, plan, "2025-06-14")
    assert [code for _, code, _ in notices(ledger)] == ["termination_withdrawn"]
    # A termination not processed yet and older than a later hire date is not processed either: E3 left on
    # 2025-02-28 and was rehired on 2025-04-01 before any run processed terminations.
    post("p2.csv", make_csv([row(employee_id="E3", pay_date="2025-02-28", termination_date="2025-02-28",
                                 termination_reason="voluntary")]), plan=plan)
    post("p3.csv", make_csv([row(employee_id="E3", hire_date="2025-04-01", pay_date="2025-04-11")]), plan=plan)
    assert ledger.frame("SELECT termination_date::VARCHAR FROM participants WHERE employee_id = 'E3'").item() == "2025-02-28"
    assert terminations_store.pending(ledger, "acme", dt.date(2025, 6, 15)).height == 0


def test_a_statement_dated_before_a_forfeiture_is_rejected(post_kind, ledger, plan_with_balances):
    plan = plan_with_balances
    post_kind("census", "c2.csv", f"{HEADER}\nE1,1980-01-01,2022-03-01,2025-03-01,voluntary\n", as_of="2025-03-05",
              plan=plan)
    run_terminations(ledger, plan, "2025-03-05")  # forfeits 600.01 of match on 2025-03-05
    result = post_kind("balances", "b2.csv", (
        "employee_id,as_of_date,source,balance\n"
        "E1,2025-03-03,match,400.00\n"   # before the forfeiture: would post -600.01 again and go negative
        "E1,2025-03-31,match,410.00\n"   # after it: a 10.00 gain on the 400.00 kept
    ), as_of="2025-04-01", plan=plan)
    assert (result.rows_posted, result.rows_rejected, result.posted_cents) == (1, 1, {"earnings match": 1_000})
    assert [r[3] for r in result.rejected] == [
        "a statement for this employee_id and source dated on or after this as_of_date, or a forfeiture after it, is "
        "already in the ledger: send a statement dated after them"]
    assert run_checks(ledger) == []


def test_employer_money_arriving_after_processing_loses_its_non_vested_part(post, post_kind, ledger, plan_with_balances):
    from conftest import make_csv, row

    plan = plan_with_balances
    post_kind("census", "c2.csv", f"{HEADER}\nE1,1980-01-01,2022-03-01,2025-03-01,voluntary\n", as_of="2025-03-05",
              plan=plan)
    run_terminations(ledger, plan, "2025-03-05")  # 40% vested: 600.01 of match forfeited
    # The final paycheck arrives later the same day (a second run on the same as-of date): $1,000 at 5% gives
    # $40.00 match. Match subject to vesting is now 1,040.01: 60% not vested = 1,040.01 - 416.00 = 624.01, of which
    # 600.01 was forfeited, so 24.00 more.
    post("final.csv", make_csv([row(date_of_birth="1980-01-01", hire_date="2022-03-01", pay_date="2025-03-07")]),
         plan=plan)
    again = run_terminations(ledger, plan, "2025-03-05")
    assert again.posted_cents == {"forfeiture match": -2_400}
    assert notices(ledger) == [("E1", "forfeiture_added", "match money posted after the termination on 2025-03-01 was "
                                "processed: its non-vested part, 2400 cents, is forfeited")]
    assert run_terminations(ledger, plan, "2025-03-06") is None  # settled: nothing more
    assert ledger.frame("SELECT sum(amount)::VARCHAR FROM ledger WHERE employee_id = 'E1' AND source = 'match'").item() == "416.00"
    assert run_checks(ledger) == []  # incl. unique entry ids: two forfeitures of match on one date


def test_a_termination_before_the_plans_records_keeps_the_stated_balance(post_kind, ledger, graded):
    # A former employee converted from a prior recordkeeper: left in 2019 after 1 year (0% on the schedule),
    # first on record here with a 2024-12-31 statement. The prior recordkeeper's vesting stands.
    post_kind("census", "c.csv", f"{HEADER}\nF1,1970-01-01,2018-01-01,2019-02-01,voluntary\n", as_of="2025-01-02",
              plan=graded)
    post_kind("balances", "b.csv", "employee_id,as_of_date,source,balance\nF1,2024-12-31,match,300.00\n",
              as_of="2025-01-02", plan=graded)
    result = run_terminations(ledger, graded, "2025-01-02")
    assert [(e, y, pct, basis, forfeited) for e, _, y, pct, basis, _, _, forfeited, _ in terminations(ledger)] == [
        ("F1", 1, "100.00", "prior_recordkeeper", "0.00")]
    assert (result.posted_cents, notices(ledger)) == ({}, [
        ("F1", "termination_before_records", "terminated on 2019-02-01, before any money on record here: the prior "
         "recordkeeper's vesting stands and the stated employer balance (30000 cents) is kept, nothing forfeited")])
    assert run_checks(ledger) == []


def test_hours_vesting_with_no_hours_reported_is_flagged(post_kind, ledger):
    plan = parse_plan_text(ACME_TOML + '[vesting]\nschedule = [0, 0, 0, 100]\nmethod = "hours"\n', "acme.toml")
    post_kind("census", "c.csv", f"{HEADER}\nE1,1980-01-01,2020-01-01,,\n", as_of="2025-01-02", plan=plan)
    post_kind("balances", "b.csv", "employee_id,as_of_date,source,balance\nE1,2024-12-31,match,100.00\n",
              as_of="2025-01-02", plan=plan)
    post_kind("census", "c2.csv", f"{HEADER}\nE1,1980-01-01,2020-01-01,2025-02-01,voluntary\n", as_of="2025-02-02",
              plan=plan)
    run_terminations(ledger, plan, "2025-02-02")
    # No payroll hours on record: 0 years, 0% on the cliff, all 100.00 forfeited, and a notice says why.
    assert [(y, pct, forfeited) for _, _, y, pct, _, _, _, forfeited, _ in terminations(ledger)] == [(0, "0.00", "100.00")]
    assert [code for _, code, _ in notices(ledger)] == ["no_hours_reported"]


def test_a_leaver_whose_only_money_is_a_final_paycheck_after_the_termination_is_ours(post, ledger):
    from conftest import make_csv, row

    plan = parse_plan_text(ACME_TOML + '[vesting]\nschedule = [0, 0, 0, 100]\n', "acme.toml")
    # Hired 2024-03-01, left 2025-03-01 (1 year: 0% on the cliff); the only paycheck is dated after the
    # termination. Match: 3% x 100% + 2% x 50% of $1,000 = $40.00, all forfeited.
    post("p.csv", make_csv([row(hire_date="2024-03-01", pay_date="2025-03-07", termination_date="2025-03-01",
                                termination_reason="voluntary")]), plan=plan)
    run_terminations(ledger, plan, "2025-03-08")
    assert [(y, pct, basis, forfeited) for _, _, y, pct, basis, _, _, forfeited, _ in terminations(ledger)] == [
        (1, "0.00", "schedule", "40.00")]


def test_a_rehire_is_trued_up_for_the_year_they_are_back_but_not_the_year_they_left(post, ledger, limits):
    from conftest import make_csv, row
    from pipelines.derived.true_up import post_true_up

    plan = parse_plan_text(ACME_TOML + '[true_up]\nenabled = true\nrequires_last_day_employment = true\n', "acme.toml")
    post("p1.csv", make_csv([row(pay_date="2024-05-10", termination_date="2024-06-01", termination_reason="voluntary")]),
         plan=plan)
    # Rehired 2025-03-01. 2025: $1,000 at 10% (match on the first 5%: 30.00 + 10.00 = 40.00), then $1,000 at 0%.
    # The year: 5% of $2,000 deferred, formula 3% x 2,000 + 50% x 2% x 2,000 = 80.00; true-up 80.00 - 40.00.
    post("p2.csv", make_csv([row(hire_date="2025-03-01", pay_date="2025-03-14", pretax_deferral_pct="10"),
                             row(hire_date="2025-03-01", pay_date="2025-03-28", pretax_deferral_pct="0")]), plan=plan)
    for year in (2024, 2025):
        post_true_up(ledger, plan_id="acme", plan=plan, plan_year=year, as_of=dt.date(2026, 1, 31), run_id="r",
                     limits=limits)
    assert ledger.frame(
        "SELECT plan_year, true_up::VARCHAR, ineligible_reason FROM true_ups ORDER BY plan_year").rows() == [
        (2024, "0.00", "terminated_before_year_end"), (2025, "40.00", None)]


def test_a_first_statement_older_than_a_forfeiture_is_taken_and_forfeited_in_part(post, post_kind, ledger):
    from conftest import make_csv, row

    plan = parse_plan_text(ACME_TOML + '[vesting]\nschedule = [0, 0, 20, 40, 60, 80, 100]\n', "acme.toml")
    # Hired 2022-03-01, left 2025-03-01 (3 years: 40%); the 2025 paycheck's $40.00 match: 24.00 forfeited.
    post("p.csv", make_csv([row(date_of_birth="1980-01-01", hire_date="2022-03-01", pay_date="2025-02-28",
                                termination_date="2025-03-01", termination_reason="voluntary")]), plan=plan)
    run_terminations(ledger, plan, "2025-03-05")
    # The prior recordkeeper's 2024-12-31 match balance arrives afterwards: the first statement for the source,
    # older than the forfeiture, is taken; its 60% non-vested part (600.00 of 1,000.00) is forfeited next run.
    result = post_kind("balances", "b.csv", "employee_id,as_of_date,source,balance\nE1,2024-12-31,match,1000.00\n",
                       as_of="2025-03-10", plan=plan)
    assert result.posted_cents == {"opening_balance match": 100_000}
    assert run_terminations(ledger, plan, "2025-03-10").posted_cents == {"forfeiture match": -60_000}
    # Kept: 40% of 1,040.00 = 416.00.
    assert ledger.frame("SELECT sum(amount)::VARCHAR FROM ledger WHERE source = 'match'").item() == "416.00"
    assert run_checks(ledger) == []


def test_a_leaver_rehired_and_gone_again_before_any_run_is_left_for_review(post, ledger, graded):
    from conftest import make_csv, row

    post("p.csv", make_csv([
        row(hire_date="2021-01-01", pay_date="2024-12-27"),
        row(hire_date="2021-01-01", pay_date="2025-01-10", termination_date="2025-01-10", termination_reason="voluntary"),
        row(hire_date="2025-05-01", pay_date="2025-05-09"),
        row(hire_date="2025-05-01", pay_date="2025-09-05", termination_date="2025-09-01", termination_reason="voluntary"),
    ]), plan=graded)
    # Measured from the rehire, service would be 0 years (0%): the four years before it would be lost.
    result = run_terminations(ledger, graded, "2025-09-10")
    assert [(basis, pct, forfeited) for _, _, _, pct, basis, _, _, forfeited, _ in terminations(ledger)] == [
        ("hire_date_changed", "100.00", "0.00")]
    assert [code for _, code, _ in notices(ledger)] == ["termination_after_rehire"]
    assert result.posted_cents == {}


def test_a_census_only_leaver_waits_for_their_statements(post_kind, ledger, graded):
    # Hired 2024-01-01, left 2025-01-06: 1 year, 0% on the graded schedule. The census comes a night before
    # the statements; the termination waits for money on record, then forfeits all of the 2024 match.
    post_kind("census", "c.csv", f"{HEADER}\nE1,1980-01-01,2024-01-01,2025-01-06,voluntary\n", as_of="2025-01-07",
              plan=graded)
    assert run_terminations(ledger, graded, "2025-01-07") is None
    post_kind("balances", "b.csv", "employee_id,as_of_date,source,balance\nE1,2024-12-31,match,1000.00\n",
              as_of="2025-01-08", plan=graded)
    assert run_terminations(ledger, graded, "2025-01-08").posted_cents == {"forfeiture match": -100_000}


def test_top_ups_stop_once_a_change_was_reported(post, post_kind, ledger, plan_with_balances):
    from conftest import make_csv, row

    plan = plan_with_balances
    post_kind("census", "c2.csv", f"{HEADER}\nE1,1980-01-01,2022-03-01,2025-03-01,voluntary\n", as_of="2025-03-05",
              plan=plan)
    run_terminations(ledger, plan, "2025-03-05")
    post_kind("census", "c3.csv", f"{HEADER}\nE1,1980-01-01,2022-03-01,,\n", as_of="2025-03-06", plan=plan)
    run_terminations(ledger, plan, "2025-03-06")  # termination_withdrawn reported
    # The termination comes back on file and more match arrives: the report asked for a decision, so the
    # run does not resume forfeiting on its own.
    post_kind("census", "c4.csv", f"{HEADER}\nE1,1980-01-01,2022-03-01,2025-03-01,voluntary\n", as_of="2025-03-07",
              plan=plan)
    post("late.csv", make_csv([row(date_of_birth="1980-01-01", hire_date="2022-03-01", pay_date="2025-03-07")]),
         plan=plan)
    assert run_terminations(ledger, plan, "2025-03-08") is None
    assert ledger.frame("SELECT count(*) FROM ledger WHERE entry_type = 'forfeiture'").item() == 2


#: What forfeitable_since_processing.sql answers, by its definition: summed over the ledger's every entry. The
#: store reads the balance state instead (payroll history is the bulk of the ledger and grows every night); the
#: two must agree row for row.
FORFEITABLE_FROM_THE_LEDGER = """
WITH in_force AS (
    SELECT t.employee_id, t.termination_date, t.processed_on, t.vested_pct
    FROM terminations t
    JOIN terminations_in_force f ON f.plan_id = t.plan_id AND f.employee_id = t.employee_id
    WHERE t.plan_id = $plan_id AND f.termination_date = t.termination_date
      AND f.termination_reason IS NOT DISTINCT FROM t.termination_reason
      AND t.vested_pct < 100
      AND NOT EXISTS (SELECT 1 FROM termination_reports r WHERE r.plan_id = t.plan_id
                      AND r.employee_id = t.employee_id AND r.processed_date = t.termination_date)
)
SELECT f.employee_id, f.termination_date, l.source, cents(any_value(f.vested_pct)) AS vested_bp,
       cents(coalesce(sum(l.amount) FILTER (WHERE (l.entry_type = 'contribution'
                                                   AND l.plan_year <= year(f.termination_date))
                                                  OR l.entry_type = 'opening_balance'
                                                  OR (l.entry_type = 'earnings'
                                                      AND l.effective_date <= f.processed_on)), 0))
           AS subject_cents,
       cents(coalesce(-sum(l.amount) FILTER (WHERE l.entry_type = 'forfeiture'), 0)) AS forfeited_cents,
       cents(sum(l.amount)) AS balance_cents
FROM in_force f
JOIN ledger l ON l.employee_id = f.employee_id
WHERE l.plan_id = $plan_id AND l.source IN (SELECT source FROM money_sources WHERE owner = 'employer')
GROUP BY f.employee_id, f.termination_date, l.source
ORDER BY ALL
"""


def test_money_owed_since_processing_is_read_from_the_balance_state_as_the_ledger_says(post, post_kind, ledger, limits):
    from conftest import make_csv, row
    from pipelines.derived.true_up import post_true_up
    from pipelines.rules.vesting import forfeiture_top_ups

    plan = parse_plan_text(GRADED_TOML + "[true_up]\nenabled = true\n", "acme.toml")

    def agree() -> list[tuple]:
        stored = terminations_store.forfeitable_since_processing(ledger, "acme")
        assert stored.equals(ledger.frame(FORFEITABLE_FROM_THE_LEDGER, {"plan_id": "acme"}))
        return forfeiture_top_ups(stored).rows()

    def match_balance(employee_id: str, on: str) -> str:
        return ledger.frame("SELECT sum(amount)::VARCHAR FROM ledger WHERE employee_id = ? AND source = 'match' "
                            "AND effective_date <= ?", [employee_id, on]).item()

    # E1 (hired 2022-03-01: 40% at a 2025-03-01 termination) brings opening balances; E2 (hired 2024-06-01: 0%)
    # only payroll. Both are paid at 0% on 2025-02-14 (no match), then at 10% on their final paycheck.
    post_kind("census", "c1.csv", f"{HEADER}\nE1,1980-01-01,2022-03-01,,\nE2,1985-01-01,2024-06-01,,\n",
              as_of="2025-01-02", plan=plan)
    post_kind("balances", "b1.csv", "employee_id,as_of_date,source,balance\n"
              "E1,2024-12-31,match,1000.01\nE1,2024-12-31,nonelective,250.00\n", as_of="2025-01-02", plan=plan)
    post("p1.csv", make_csv([row(employee_id=e, date_of_birth=b, hire_date=h, pay_date="2025-02-14",
                                 pretax_deferral_pct="0") for e, b, h in
                             (("E1", "1980-01-01", "2022-03-01"), ("E2", "1985-01-01", "2024-06-01"))]), plan=plan)
    # Earnings dated before processing are subject to vesting: a statement 10.00 above the ledger.
    post_kind("balances", "b2.csv", f"employee_id,as_of_date,source,balance\n"
              f"E1,2025-02-15,match,{Decimal(match_balance('E1', '2025-02-15')) + 10}\n", as_of="2025-02-20",
              plan=plan)
    post_kind("census", "c2.csv", f"{HEADER}\nE1,1980-01-01,2022-03-01,2025-03-01,voluntary\n"
              "E2,1985-01-01,2024-06-01,2025-03-01,voluntary\n", as_of="2025-03-05", plan=plan)
    assert agree() == []
    run_terminations(ledger, plan, "2025-03-05")
    assert agree() == []
    # Later: the final paychecks (10%: 40.00 match each), a paycheck of the next plan year (not subject), and
    # earnings dated after processing (the person's own).
    final = [row(employee_id=e, date_of_birth=b, hire_date=h, pay_date="2025-03-07", pretax_deferral_pct="10")
             for e, b, h in (("E1", "1980-01-01", "2022-03-01"), ("E2", "1985-01-01", "2024-06-01"))]
    post("p2.csv", make_csv(final), plan=plan)
    post("p3.csv", make_csv([row(date_of_birth="1980-01-01", hire_date="2022-03-01", pay_date="2026-01-09",
                                 pretax_deferral_pct="10")]), plan=plan)
    post_kind("balances", "b3.csv", f"employee_id,as_of_date,source,balance\n"
              f"E1,2025-06-30,match,{Decimal(match_balance('E1', '2025-06-30')) + 12}\n", as_of="2025-07-01",
              plan=plan)
    assert agree() == [("E1", "match", -2_400), ("E2", "match", -4_000)]
    # The 2025 true-up (5% of 2,000.00 deferred: 80.00 by the formula, 40.00 matched per pay) is effective in
    # 2026 and subject to vesting with the year it is for.
    post_true_up(ledger, plan_id="acme", plan=plan, plan_year=2025, as_of=dt.date(2026, 1, 31), run_id="r",
                 limits=limits)
    owed = agree()
    assert owed == [("E1", "match", -2_400), ("E1", "match_true_up", -2_400), ("E2", "match", -4_000),
                    ("E2", "match_true_up", -4_000)]
    assert run_terminations(ledger, plan, "2026-01-31").posted_cents == {
        "forfeiture match": -6_400, "forfeiture match_true_up": -6_400}
    assert agree() == []
    assert run_terminations(ledger, plan, "2026-02-01") is None
    assert run_checks(ledger) == []
