"""Census and balances files through the real per-file path into a DuckDB ledger: participant facts, opening
balances, earnings and losses, and every rejection with its reason."""

from __future__ import annotations

from conftest import COLUMNS, make_csv, row

from pipelines.store.checks import run_checks

CENSUS_HEADER = "employee_id,date_of_birth,hire_date,termination_date,termination_reason,prior_vesting_years"
BALANCES_HEADER = "employee_id,as_of_date,source,balance"


def participant(ledger, employee_id: str) -> tuple:
    return ledger.frame(
        "SELECT date_of_birth::VARCHAR, hire_date::VARCHAR, termination_date::VARCHAR, termination_reason, "
        "prior_vesting_years, ssn_last4, first_name, spouse_date_of_birth::VARCHAR, spouse_is_sole_beneficiary, "
        "facts_as_of::VARCHAR FROM participants WHERE employee_id = ?",
        [employee_id],
    ).row(0)


def balance_on(ledger, employee_id: str, source: str, day: str) -> str:
    return ledger.frame(
        "SELECT coalesce(sum(amount), 0)::VARCHAR FROM ledger WHERE employee_id = ? AND source = ? "
        "AND effective_date <= ?", [employee_id, source, day],
    ).item()


def rejections(ledger, batch_id: str) -> list[tuple]:
    return ledger.frame(
        "SELECT line_number, column_name, value, reason_code FROM rejections WHERE batch_id = ? ORDER BY 1, 2",
        [batch_id],
    ).rows()


def test_a_census_creates_people_and_a_later_census_wins(post_kind, ledger):
    first = post_kind("census", "c1.csv", (
        "employee_id,date_of_birth,hire_date,ssn,first_name,prior_vesting_years,spouse_date_of_birth,"
        "spouse_is_sole_beneficiary\n"
        "R1,1950-02-01,1990-05-01,123-45-6789,Ada,2,1952-03-04,TRUE\n"
    ), as_of="2025-01-02")
    assert (first.status, first.rows_read, first.rows_posted) == ("posted", 1, 1)
    assert participant(ledger, "R1") == (
        "1950-02-01", "1990-05-01", None, None, 2, "6789", "Ada", "1952-03-04", True, "2025-01-02")
    # A later census without the optional columns changes only the dates it has; the rest is kept.
    post_kind("census", "c2.csv", f"{CENSUS_HEADER}\nR1,1950-02-01,1991-05-01,2024-12-31,retirement,\n",
              as_of="2025-02-01")
    assert participant(ledger, "R1") == (
        "1950-02-01", "1991-05-01", "2024-12-31", "retirement", 2, "6789", "Ada", "1952-03-04", True, "2025-02-01")
    # Every accepted row is also kept as given, SSN as its last four digits.
    assert ledger.frame("SELECT count(*) FROM census_lines WHERE employee_id = 'R1'").item() == 2
    assert ledger.frame("SELECT count(*) FROM census_lines WHERE ssn_last4 = '6789'").item() == 1


def test_payroll_paid_before_a_census_does_not_override_it_and_payroll_paid_after_does(post_kind, post, ledger):
    post_kind("census", "c.csv", f"{CENSUS_HEADER}\nE1,1980-06-15,2020-01-01,2025-03-31,voluntary,\n", as_of="2025-04-01")
    # Payroll dated 2025-03-28 (before the census's date) says hire date 2019-01-01: the census's 2020 stands.
    post("p1.csv", make_csv([row(pay_date="2025-03-28", hire_date="2019-01-01")]))
    assert participant(ledger, "E1")[1:4] == ("2020-01-01", "2025-03-31", "voluntary")
    # A final paycheck after the census with an empty termination cell does not withdraw the termination.
    post("p2.csv", make_csv([row(pay_date="2025-04-11")]))
    assert participant(ledger, "E1")[1:4] == ("2020-01-01", "2025-03-31", "voluntary")
    # A rehire is a later hire date: the old termination no longer applies (see test_terminations.py).
    post("p3.csv", make_csv([row(pay_date="2025-06-06", hire_date="2025-06-01")]))
    assert participant(ledger, "E1")[1:4] == ("2025-06-01", "2025-03-31", "voluntary")


def test_older_facts_fill_gaps_but_never_overwrite(post_kind, post, ledger):
    # A names-only census dated 2025-03-05; then payroll paid 2025-03-04 reporting a termination arrives.
    post_kind("census", "c.csv", "employee_id,date_of_birth,hire_date,first_name\nE1,1980-06-15,2020-01-01,Ada\n",
              as_of="2025-03-05")
    post("p.csv", make_csv([row(pay_date="2025-03-04", termination_date="2025-03-04", termination_reason="death",
                                first_name="Bea")], (*COLUMNS, "first_name")))
    # The older payroll fills the empty termination but does not replace the newer census's name.
    assert participant(ledger, "E1")[2:4] + participant(ledger, "E1")[6:7] == ("2025-03-04", "death", "Ada")


def test_a_census_without_the_reason_column_keeps_the_reason(post_kind, post, ledger):
    post("p.csv", make_csv([row(pay_date="2025-03-04", termination_date="2025-03-04", termination_reason="death")]))
    post_kind("census", "c.csv", "employee_id,date_of_birth,hire_date,termination_date\nE1,1980-06-15,2020-01-01,"
              "2025-03-04\n", as_of="2025-03-10")
    assert participant(ledger, "E1")[2:4] == ("2025-03-04", "death")
    # Clearing the date clears its reason too.
    post_kind("census", "c2.csv", "employee_id,date_of_birth,hire_date,termination_date\nE1,1980-06-15,2020-01-01,\n",
              as_of="2025-03-11")
    assert participant(ledger, "E1")[2:4] == (None, None)


def test_payroll_sent_ahead_of_its_pay_date_is_dated_by_the_run(post_kind, ledger, tmp_path, limits, acme_plan):
    import datetime as dt

    from pipelines.payroll_batch import process_payroll_file

    path = tmp_path / "ahead.csv"
    path.write_bytes(make_csv([row(pay_date="2025-03-14")]))
    process_payroll_file(ledger, plan_id="acme", plan=acme_plan, path=path, file_name="acme/payroll/ahead.csv",
                         run_id="r", limits=limits, as_of=dt.date(2025, 3, 10))
    assert participant(ledger, "E1")[-1] == "2025-03-10"
    # So a census on 2025-03-11 reporting a termination still wins.
    post_kind("census", "c.csv", f"{CENSUS_HEADER}\nE1,1980-06-15,2020-01-01,2025-03-11,voluntary,\n", as_of="2025-03-11")
    assert participant(ledger, "E1")[2:4] == ("2025-03-11", "voluntary")


def test_census_rejections_carry_line_column_value_and_reason(post_kind, ledger):
    result = post_kind("census", "bad.csv", (
        "employee_id,date_of_birth,hire_date,termination_date,termination_reason,prior_vesting_years,ssn,"
        "spouse_is_sole_beneficiary\n"
        "A1,1980-01-01,2010-01-01,,,3,123-45-6789,false\n"      # line 2: fine
        "A2,1980-01-01,2010-01-01,2009-01-01,voluntary,,,\n"    # line 3: terminated before hire
        "A3,1980-01-01,2010-01-01,,quit,,,\n"                   # line 4: not a reason we know
        "A4,1980-01-01,2010-01-01,,,100,,\n"                    # line 5: 100 prior years
        "A5,1980-01-01,2010-01-01,,,,12345,\n"                  # line 6: not an SSN (masked in rejections)
        "A6,1980-01-01,2010-01-01,,,,,yes\n"                    # line 7: not true/false
        "A7,2005-01-01,2010-01-01,,,,,\n"                       # line 8: hired at 5
        "A1,1980-01-01,2010-01-01,,,,,\n"                       # line 9: A1 again (both copies rejected)
    ), as_of="2025-01-02")
    assert (result.rows_read, result.rows_posted, result.rows_rejected) == (8, 0, 8)
    assert rejections(ledger, result.batch_id) == [
        (2, "employee_id", "A1", "duplicate_in_file"),
        (3, "termination_date", "2009-01-01", "termination_before_hire"),
        (4, "termination_reason", "quit", "bad_choice"),
        (5, "prior_vesting_years", "100", "bad_format"),
        (6, "ssn", "***-**-2345", "bad_format"),
        (7, "spouse_is_sole_beneficiary", "yes", "bad_format"),
        (8, "date_of_birth", "2005-01-01", "age_out_of_range"),
        (9, "employee_id", "A1", "duplicate_in_file"),
    ]


def test_a_statement_creates_an_opening_balance_and_a_later_one_posts_a_gain_and_a_loss(post_kind, post, ledger):
    post_kind("census", "c.csv", f"{CENSUS_HEADER}\nE1,1980-06-15,2020-01-01,,,\n", as_of="2025-01-02")
    opening = post_kind("balances", "b1.csv", (
        f"{BALANCES_HEADER}\nE1,2024-12-31,roth,5000.00\nE1,2024-12-31,match,1000.00\n"
    ), as_of="2025-01-02")
    assert opening.posted_cents == {"opening_balance match": 100_000, "opening_balance roth": 500_000}
    # Payroll on 2025-01-10: $1,000 at 5% Roth = $50.00 Roth; match 3% x 100% + 2% x 50% of $1,000 = $40.00.
    post("p.csv", make_csv([row(pretax_deferral_pct="0", roth_deferral_pct="5")],
                           ("employee_id", "date_of_birth", "hire_date", "pay_date", "gross_pay", "pretax_deferral_pct",
                            "roth_deferral_pct")))
    later = post_kind("balances", "b2.csv", (
        f"{BALANCES_HEADER}\nE1,2025-06-30,roth,5100.00\nE1,2025-06-30,match,1020.00\n"
    ), as_of="2025-07-05")
    # Roth: 5,100.00 - (5,000.00 + 50.00) = 50.00 gain; match: 1,020.00 - (1,000.00 + 40.00) = -20.00 loss.
    assert later.posted_cents == {"earnings match": -2_000, "earnings roth": 5_000}
    assert balance_on(ledger, "E1", "roth", "2025-06-30") == "5100.00"
    assert balance_on(ledger, "E1", "match", "2025-06-30") == "1020.00"
    assert ledger.frame(
        "SELECT source, as_of_date::VARCHAR, statement_balance::VARCHAR, ledger_balance::VARCHAR, amount::VARCHAR, "
        "entry_type FROM balance_statements ORDER BY as_of_date, source"
    ).rows() == [
        ("match", "2024-12-31", "1000.00", "0.00", "1000.00", "opening_balance"),
        ("roth", "2024-12-31", "5000.00", "0.00", "5000.00", "opening_balance"),
        ("match", "2025-06-30", "1020.00", "1040.00", "-20.00", "earnings"),
        ("roth", "2025-06-30", "5100.00", "5050.00", "50.00", "earnings"),
    ]
    # Contributions are still the only entries the year-to-date totals count.
    assert ledger.frame("SELECT regular_deferral::VARCHAR FROM ytd_totals").item() == "50.00"
    assert run_checks(ledger) == []


def test_two_statements_in_one_file_each_hold_and_one_that_agrees_posts_nothing(post_kind, ledger):
    post_kind("census", "c.csv", f"{CENSUS_HEADER}\nE1,1980-06-15,2020-01-01,,,\n", as_of="2025-01-02")
    result = post_kind("balances", "b.csv", (
        f"{BALANCES_HEADER}\n"
        "E1,2025-06-30,rollover,900.00\n"   # listed first, taken second: 900.00 - 1,000.00 = -100.00 (a loss)
        "E1,2024-12-31,rollover,1000.00\n"  # the opening balance
        "E1,2024-12-31,pretax,0.00\n"       # agrees with the empty ledger: recorded, nothing posted
    ), as_of="2025-07-01")
    assert (result.rows_posted, result.posted_cents) == (3, {"earnings rollover": -10_000, "opening_balance rollover": 100_000})
    assert balance_on(ledger, "E1", "rollover", "2024-12-31") == "1000.00"
    assert balance_on(ledger, "E1", "rollover", "2025-06-30") == "900.00"
    assert ledger.frame("SELECT count(*) FROM ledger WHERE source = 'pretax'").item() == 0
    assert run_checks(ledger) == []


def test_balance_rejections_and_the_file_posted_once(post_kind, ledger):
    post_kind("census", "c.csv", f"{CENSUS_HEADER}\nE1,1980-06-15,2020-01-01,,,\n", as_of="2025-01-02")
    post_kind("balances", "b1.csv", f"{BALANCES_HEADER}\nE1,2024-12-31,match,10.00\n", as_of="2025-01-02")
    result = post_kind("balances", "b2.csv", (
        f"{BALANCES_HEADER}\n"
        "E1,2025-03-31,match,12.00\n"      # line 2: fine, a 2.00 gain
        "E9,2025-03-31,match,5.00\n"       # line 3: nobody the plan knows
        "E1,2024-12-31,pretax,1.00\n"      # line 4: fine (first pre-tax statement)
        "E1,2024-12-31,match,10.00\n"      # line 5: match was already stated on 2024-12-31
        "E1,2025-05-01,roth,1.00\n"        # line 6: after the run's as-of date
        "E1,2025-03-31,loan,1.00\n"        # line 7: not a source
        "E1,2025-03-31,roth,-1.00\n"       # line 8: a statement balance is never negative
        "E1,2025-03-31,nonelective,$5\n"   # line 9: not a plain amount
    ), as_of="2025-04-01")
    assert (result.rows_read, result.rows_posted, result.rows_rejected) == (8, 2, 6)
    assert rejections(ledger, result.batch_id) == [
        (3, "employee_id", "E9", "unknown_participant"),
        (5, "as_of_date", "2024-12-31", "statement_not_newer"),
        (6, "as_of_date", "2025-05-01", "statement_after_as_of"),
        (7, "source", "loan", "bad_choice"),
        (8, "balance", "-1.00", "negative_money"),
        (9, "balance", "$5", "bad_format"),
    ]
    assert result.posted_cents == {"earnings match": 200, "opening_balance pretax": 100}
    again = post_kind("balances", "b2-copy.csv", (ledger.path.parent / "INBOX/acme/balances/b2.csv").read_text(),
                      as_of="2025-04-01")
    assert again.status == "skipped"
    assert run_checks(ledger) == []


def test_balances_are_not_contributions_to_the_annual_limits(post_kind, ledger):
    # A retiree's $250,000 pre-tax and $40,000 catch-up balances, from years before the limits table, are not
    # this year's deferrals: the 402(g), catch-up and 415(c) checks count contributions only.
    post_kind("census", "c.csv", f"{CENSUS_HEADER}\nR1,1950-02-01,1980-05-01,2015-12-31,retirement,\n",
              as_of="2025-01-02")
    post_kind("balances", "b.csv", (
        f"{BALANCES_HEADER}\nR1,2016-12-31,pretax,250000.00\nR1,2016-12-31,pretax_catchup,40000.00\n"
        "R1,2016-12-31,match,90000.00\n"), as_of="2025-01-02")
    assert run_checks(ledger) == []


def test_the_check_sums_the_ledger_not_the_stored_difference(post_kind, ledger):
    post_kind("census", "c.csv", f"{CENSUS_HEADER}\nE1,1980-06-15,2020-01-01,,,\n", as_of="2025-01-02")
    post_kind("balances", "b.csv", f"{BALANCES_HEADER}\nE1,2024-12-31,roth,100.00\n", as_of="2025-01-02")
    assert run_checks(ledger) == []
    # Tamper with the ledger (never done by planadmin): the statement no longer holds, and the check says so.
    ledger.execute("UPDATE ledger_entries SET amount = 99.99 WHERE employee_id = 'E1'")
    failures = {f.check: f.rows for f in run_checks(ledger)}
    assert failures["balance_statements_posted"]["ledger_balance_then"].cast(str).to_list() == ["99.99"]


def test_a_new_termination_date_never_keeps_an_old_reason(post, ledger):
    post("p1.csv", make_csv([row(pay_date="2024-05-10", termination_date="2024-06-01", termination_reason="disability")]))
    # Rehired, then leaves again with no reason given: the old "disability" must not come back with the new date.
    post("p2.csv", make_csv([row(hire_date="2025-03-01", pay_date="2025-03-14")]))
    post("p3.csv", make_csv([row(hire_date="2025-03-01", pay_date="2025-09-12", termination_date="2025-09-05")]))
    assert participant(ledger, "E1")[1:4] == ("2025-03-01", "2025-09-05", None)
