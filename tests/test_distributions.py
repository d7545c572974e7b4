"""Distributions files through the real per-file path: posted as negative ledger entries with their audit row,
and every rejection (stage 2, unknown person, already posted, exceeds_balance, exceeds_vested) with its reason."""

from __future__ import annotations

import datetime as dt

from conftest import ACME_TOML

from pipelines.derived.terminations import terminations_step
from pipelines.store.checks import run_checks
from schemas.plan import parse_plan_text

HEADER = "employee_id,paid_date,source,gross_amount,distribution_type,federal_withholding,state_withholding"
GRADED = parse_plan_text(ACME_TOML + '[vesting]\nschedule = [0, 0, 20, 40, 60, 80, 100]\nmethod = "elapsed"\n',
                         "acme.toml")


def setup_people(post_kind, census_rows: str, statement_rows: str, plan=None) -> None:
    census = post_kind("census", "c.csv", "employee_id,date_of_birth,hire_date,termination_date,termination_reason\n"
                       + census_rows, as_of="2025-01-02", plan=plan)
    balances = post_kind("balances", "b.csv", "employee_id,as_of_date,source,balance\n" + statement_rows,
                         as_of="2025-01-02", plan=plan)
    assert census.status == balances.status == "posted" and census.rows_rejected == balances.rows_rejected == 0


def reasons(ledger, batch_id: str) -> list[tuple]:
    return ledger.frame(
        "SELECT line_number, column_name, reason_code FROM rejections WHERE batch_id = ? ORDER BY 1, 2", [batch_id]
    ).rows()


def entries(ledger, employee_id: str) -> list[tuple]:
    return ledger.frame(
        "SELECT effective_date::VARCHAR, source, amount::VARCHAR FROM ledger WHERE employee_id = ? "
        "AND entry_type = 'distribution' ORDER BY 1, 2", [employee_id]
    ).rows()


def test_a_file_posts_what_the_balance_allows_and_rejects_the_rest_with_reasons(post_kind, ledger):
    setup_people(post_kind, "D1,1960-01-01,2000-01-01,,\n", "D1,2024-12-31,pretax,1000.00\nD1,2024-12-31,roth,50.00\n")
    result = post_kind("distributions", "d.csv", f"{HEADER}\n"
                       "D1,2025-02-03,pretax,600.00,cash_out,120.00,30.00\n"   # 2: ok; $1,000 - $600 leaves $400
                       "D1,2025-03-03,pretax,500.00,cash_out,,\n"              # 3: $500 > the $400 left
                       "D1,2025-03-04,pretax,400.00,in_service,,\n"            # 4: exactly the $400 left
                       "D1,2025-04-01,roth,10.00,rmd,,\n"                      # 5: after the as-of date
                       "D1,2025-02-03,roth,0,rmd,,\n"                          # 6: zero
                       "D1,2025-02-03,rollover,10.00,rmd,8.00,3.00\n"          # 7: $11 withheld from $10
                       "ZZ,2025-02-03,pretax,10.00,rmd,,\n",                   # 8: nobody the plan knows
                       as_of="2025-03-31")
    # 7 rows read = 2 posted + 5 rejected.
    assert (result.status, result.rows_read, result.rows_posted, result.rows_rejected) == ("posted", 7, 2, 5)
    assert reasons(ledger, result.batch_id) == [
        (3, "gross_amount", "exceeds_balance"), (5, "paid_date", "paid_after_as_of"),
        (6, "gross_amount", "not_positive"), (7, "federal_withholding", "withholding_over_gross"),
        (8, "employee_id", "unknown_participant"),
    ]
    assert entries(ledger, "D1") == [("2025-02-03", "pretax", "-600.00"), ("2025-03-04", "pretax", "-400.00")]
    # Net paid = gross - withholding: 600 - 120 - 30 = 450; 400 - 0 - 0 = 400.
    assert ledger.frame("SELECT distribution_type, net_amount::VARCHAR FROM distributions ORDER BY paid_date").rows() == [
        ("cash_out", "450.00"), ("in_service", "400.00")]
    assert result.posted_cents == {"distribution pretax": -100_000}
    assert run_checks(ledger) == []


def test_an_earlier_date_cannot_take_money_a_later_distribution_already_took_nor_post_twice(post_kind, ledger):
    setup_people(post_kind, "D2,1960-01-01,2000-01-01,,\n", "D2,2024-12-31,pretax,1000.00\n")
    first = post_kind("distributions", "d1.csv", f"{HEADER}\nD2,2025-03-01,pretax,800.00,cash_out,,\n",
                      as_of="2025-03-31")
    assert first.rows_posted == 1
    second = post_kind("distributions", "d2.csv", f"{HEADER}\n"
                       # $1,000 on 1 February, but the $800 of 1 March leaves only $200 from then on.
                       "D2,2025-02-01,pretax,300.00,hardship,,\n"
                       "D2,2025-03-01,pretax,800.00,cash_out,,\n"   # the first file's row again
                       "D2,2025-02-02,pretax,200.00,hardship,,\n",  # exactly what is left
                       as_of="2025-03-31")
    assert reasons(ledger, second.batch_id) == [(2, "gross_amount", "exceeds_balance"),
                                                (3, "paid_date", "already_posted")]
    assert entries(ledger, "D2") == [("2025-02-02", "pretax", "-200.00"), ("2025-03-01", "pretax", "-800.00")]
    assert run_checks(ledger) == []


def test_employer_money_is_limited_to_its_vested_part_until_the_termination_is_processed(post_kind, ledger):
    setup_people(post_kind,
                 "V,1970-05-01,2021-01-01,,\n"                 # 4 years of service on 1 March 2025: 60% vested
                 "X,1970-05-01,2024-06-01,2025-01-15,disability\n"  # terminated by disability: 100% vested
                 "W,1970-05-01,2022-06-01,2025-01-31,voluntary\n",  # 2 years at termination: 20% vested
                 "V,2024-12-31,match,1000.00\nV,2024-12-31,pretax,1000.00\nX,2024-12-31,match,1000.00\n"
                 "W,2024-12-31,match,1000.00\n", plan=GRADED)
    # W's termination is processed first: 80% of $1,000 forfeited, the $200 left is vested.
    processed = terminations_step(ledger, GRADED, as_of=dt.date(2025, 2, 28), run_id="test-run", limits=None)
    assert processed[0].posted_cents == {"forfeiture match": -80_000}
    result = post_kind("distributions", "d.csv", f"{HEADER}\n"
                       "V,2025-03-01,match,500.00,in_service,,\n"  # 2: 60% x ($1,000 + 0) - 0 = $600 available
                       # 3: 60% x ($500 left + $500 paid) - $500 paid = $100 available: $200 is more
                       "V,2025-03-02,match,200.00,in_service,,\n"
                       "V,2025-03-03,match,100.00,in_service,,\n"  # 4: exactly the $100
                       "V,2025-03-03,pretax,1000.00,in_service,,\n"  # 5: employee money is always vested
                       "X,2025-03-01,match,1000.00,cash_out,,\n"  # 6: disability vests 100%
                       "W,2025-03-01,match,200.00,cash_out,,\n",  # 7: processed: what is left is vested
                       as_of="2025-03-31", plan=GRADED)
    assert (result.rows_posted, result.rows_rejected) == (5, 1)
    assert reasons(ledger, result.batch_id) == [(3, "gross_amount", "exceeds_vested")]
    assert entries(ledger, "V") == [("2025-03-01", "match", "-500.00"), ("2025-03-03", "match", "-100.00"),
                                    ("2025-03-03", "pretax", "-1000.00")]
    assert run_checks(ledger) == []


def test_the_check_catches_a_distribution_entry_without_its_audit_row(post_kind, ledger):
    setup_people(post_kind, "D3,1960-01-01,2000-01-01,,\n", "D3,2024-12-31,pretax,1000.00\n")
    post_kind("distributions", "d.csv", f"{HEADER}\nD3,2025-02-03,pretax,100.00,cash_out,,\n", as_of="2025-03-31")
    assert run_checks(ledger) == []
    # A second entry for the same line, as a bug posting twice would leave: caught by distributions_posted.
    ledger.execute("INSERT INTO ledger_entries SELECT * REPLACE ('x' || entry_id AS entry_id) FROM ledger_entries "
                   "WHERE entry_type = 'distribution'")
    assert "distributions_posted" in {f.check for f in run_checks(ledger)}


def test_a_backdated_row_cannot_take_what_a_later_payment_left_unvested(post_kind, ledger):
    # V: hired 2021-01-01, 4 years on 1 March 2025: 60% of $1,000 match vested, $600.
    setup_people(post_kind, "V,1970-05-01,2021-01-01,,\n", "V,2024-12-31,match,1000.00\n", plan=GRADED)
    first = post_kind("distributions", "d1.csv", f"{HEADER}\nV,2025-03-10,match,600.00,in_service,,\n",
                      as_of="2025-03-31", plan=GRADED)
    assert first.rows_posted == 1
    # Dated 1 March, before the $600: on its own day 60% x $1,000 = $600 is vested, but counting the $600 paid on
    # 10 March: 60% x ($400 + $600) - $600 = $0 is left.
    second = post_kind("distributions", "d2.csv", f"{HEADER}\nV,2025-03-01,match,400.00,in_service,,\n",
                       as_of="2025-03-31", plan=GRADED)
    assert reasons(ledger, second.batch_id) == [(2, "gross_amount", "exceeds_vested")]


def test_a_termination_after_a_distribution_forfeits_what_the_payment_left_unvested(post_kind, ledger):
    # T: hired 2021-01-01, terminated 2025-04-30 after 4 years: 60% vested. $600 of $1,000 match paid in March.
    setup_people(post_kind, "T,1970-05-01,2021-01-01,,\n", "T,2024-12-31,match,1000.00\n", plan=GRADED)
    post_kind("distributions", "d.csv", f"{HEADER}\nT,2025-03-10,match,600.00,in_service,,\n", as_of="2025-03-31",
              plan=GRADED)
    post_kind("census", "c2.csv", "employee_id,date_of_birth,hire_date,termination_date,termination_reason\n"
              "T,1970-05-01,2021-01-01,2025-04-30,voluntary\n", as_of="2025-05-01", plan=GRADED)
    # Vested left: 60% x ($400 + $600 paid) - $600 = $0, so the whole $400 is forfeited, once.
    processed = terminations_step(ledger, GRADED, as_of=dt.date(2025, 5, 1), run_id="r1", limits=None)
    assert processed[0].posted_cents == {"forfeiture match": -40_000}
    assert ledger.frame("SELECT vested_employer_balance::VARCHAR, forfeited_amount::VARCHAR FROM terminations").row(0) == (
        "0.00", "400.00")
    assert terminations_step(ledger, GRADED, as_of=dt.date(2025, 5, 2), run_id="r2", limits=None) == []
    assert run_checks(ledger) == []
