"""RMD notices from the ledger (the derived step), their history, beneficiary reviews, and the letters."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.derived.rmd import update_rmd_notices
from pipelines.letters import write_letters
from pipelines.store import rmd
from pipelines.store.checks import run_checks

CENSUS = (
    "employee_id,date_of_birth,hire_date,termination_date,termination_reason,ssn,first_name,last_name,"
    "address_line1,address_line2,city,state,postal_code\n"
    # Born 10 March 1952, retired 2019: 73 in 2025, the first distribution year (due 1 April 2026).
    "R1,1952-03-10,1990-01-01,2019-06-30,retirement,123-45-6789,Ada,Lovelace,12 Analytical Way,Apt 3,"
    "Springfield,IL,62701\n"
    "R2,1950-01-01,1990-01-01,2024-02-01,death,,Bea,Babbage,,,,,\n"
)


def notices(ledger) -> list[tuple]:
    return ledger.frame(
        "SELECT employee_id, distribution_year, rmd_amount::VARCHAR, taken::VARCHAR, remaining::VARCHAR, status, "
        "deadline::VARCHAR FROM rmd_notices ORDER BY 1, 2"
    ).rows()


@pytest.fixture()
def retiree(post_kind, ledger, acme_plan):
    """R1 with $120,000 pre-tax and $10,000 Roth on 31 Dec 2024, $1,000 taken in Nov 2025, $110,000 pre-tax on
    31 Dec 2025; R2, deceased, with $5,000."""
    steps = [
        post_kind("census", "c.csv", CENSUS, as_of="2025-01-02"),
        post_kind("balances", "b1.csv", "employee_id,as_of_date,source,balance\nR1,2024-12-31,pretax,120000.00\n"
                  "R1,2024-12-31,roth,10000.00\nR2,2024-12-31,pretax,5000.00\n", as_of="2025-01-02"),
        post_kind("distributions", "d1.csv", "employee_id,paid_date,source,gross_amount,distribution_type\n"
                  "R1,2025-11-03,pretax,1000.00,rmd\n", as_of="2025-11-30"),
        post_kind("balances", "b2.csv", "employee_id,as_of_date,source,balance\nR1,2025-12-31,pretax,110000.00\n",
                  as_of="2026-01-02"),
    ]
    assert all(s.status == "posted" and s.rows_rejected == 0 for s in steps)
    return acme_plan


def test_notices_history_and_beneficiary_review_from_the_ledger(retiree, post_kind, ledger):
    first = update_rmd_notices(ledger, retiree, as_of=dt.date(2026, 1, 15), run_id="run-1")
    # 2025: Roth excluded, $120,000 / 26.5 (age 73) = $4,528.30; $1,000 taken in November: $3,528.30 left, due by the
    # required beginning date. 2026: $110,000 / 25.5 (age 74) = $4,313.73, nothing taken yet.
    assert notices(ledger) == [
        ("R1", 2025, "4528.30", "1000.00", "3528.30", "due", "2026-04-01"),
        ("R1", 2026, "4313.73", "0.00", "4313.73", "due", "2026-12-31"),
    ]
    # R2 died: no participant notice, a beneficiary review once.
    assert first is not None and first.notices == 1
    assert ledger.frame("SELECT employee_id, code FROM notices WHERE code = 'rmd_beneficiary_review'").rows() == [
        ("R2", "rmd_beneficiary_review")]
    # A January distribution counts toward 2025 first: $3,528.30 of the $5,000, the other $1,471.70 toward 2026.
    post_kind("distributions", "d2.csv", "employee_id,paid_date,source,gross_amount,distribution_type\n"
              "R1,2026-01-20,pretax,5000.00,rmd\n", as_of="2026-01-31")
    again = update_rmd_notices(ledger, retiree, as_of=dt.date(2026, 2, 15), run_id="run-2")
    assert again is None  # the review was listed already
    assert notices(ledger) == [
        ("R1", 2025, "4528.30", "4528.30", "0.00", "satisfied", "2026-04-01"),
        ("R1", 2026, "4313.73", "1471.70", "2842.03", "due", "2026-12-31"),  # 4,313.73 - 1,471.70
    ]
    history = "SELECT distribution_year, status, taken::VARCHAR, change, superseded_on::VARCHAR FROM rmd_notice_history"
    assert ledger.frame(history + " ORDER BY 1").rows() == [
        (2025, "due", "1000.00", "changed", "2026-02-15"), (2026, "due", "0.00", "changed", "2026-02-15")]
    # Recomputing on the same figures changes nothing and keeps no more history.
    update_rmd_notices(ledger, retiree, as_of=dt.date(2026, 2, 16), run_id="run-3")
    assert ledger.frame("SELECT count(*) FROM rmd_notice_history").item() == 2
    assert ledger.frame("SELECT max(computed_on)::VARCHAR FROM rmd_notices").item() == "2026-02-16"
    assert run_checks(ledger) == []


def test_a_missed_deadline_is_overdue_with_its_excise(retiree, ledger):
    update_rmd_notices(ledger, retiree, as_of=dt.date(2026, 4, 2), run_id="run-1")
    row = ledger.frame("SELECT status, remaining::VARCHAR, excise_if_missed::VARCHAR, excise_if_corrected::VARCHAR "
                       "FROM rmd_notices WHERE distribution_year = 2025").row(0)
    # $3,528.30 not taken by 1 April 2026: 25% = $882.075 -> $882.08; 10% = $352.83.
    assert row == ("overdue", "3528.30", "882.08", "352.83")


def test_a_letter_states_amount_deadline_and_name_and_no_ssn(retiree, ledger, tmp_path):
    update_rmd_notices(ledger, retiree, as_of=dt.date(2026, 1, 15), run_id="run-1")
    written = write_letters(rmd.letters(ledger, "acme", 2025), "Acme Corp 401(k) Plan", 2025, tmp_path / "out")
    assert [p.name for p in written.letters] == ["rmd_2025_R1.pdf"]
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(written.letters[0]).pages)
    for expected in ("Acme Corp 401(k) Plan", "Ada Lovelace", "12 Analytical Way", "Springfield, IL 62701",
                     "$3,528.30", "1 April 2026", "$120,000.00 / 26.5 = $4,528.30", "Uniform Lifetime Table",
                     "$882.08", "$352.83"):
        assert expected in text, expected
    assert not re.search(r"6789|123-?45", text)
    summary = (tmp_path / "out" / "summary.csv").read_text(encoding="utf-8").splitlines()
    assert summary[1].startswith("R1,Ada,Lovelace,2025,due,2026-04-01,120000.00,26.5,uniform_lifetime,4528.30")
    assert "6789" not in "\n".join(summary)


def test_the_letters_command_reads_the_database_only(retiree, ledger, tmp_path):
    update_rmd_notices(ledger, retiree, as_of=dt.date(2026, 1, 15), run_id="run-1")
    db_path = ledger.path
    ledger.close()
    plans = tmp_path / "PLANS"
    plans.mkdir()
    from conftest import ACME_TOML

    (plans / "acme.toml").write_text(ACME_TOML, encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(app, ["notices", "rmd", "--plan", "acme", "--year", "2026", "--out",
                                 str(tmp_path / "letters"), "--db", str(db_path), "--plans", str(plans)])
    assert result.exit_code == 0, result.output
    assert "1 letter (1 due, 0 overdue)" in result.output
    assert sorted(p.name for p in (tmp_path / "letters").iterdir()) == ["rmd_2026_R1.pdf", "summary.csv"]
    missing = runner.invoke(app, ["notices", "rmd", "--plan", "acme", "--year", "2026", "--out",
                                  str(tmp_path / "x"), "--db", str(tmp_path / "nope.duckdb"), "--plans", str(plans)])
    assert missing.exit_code == 2 and "does not exist" in missing.output


def test_a_rehired_retiree_is_working_again_and_owes_no_rmd(post_kind, post, ledger, acme_plan):
    from conftest import COLUMNS, make_csv, row

    # R3, born 10 March 1952 (73 in 2025), retired in 2019; payroll in 2025 reports a hire date in 2024: rehired,
    # so the 2019 termination no longer holds and the still-working exception applies (not a 5% owner).
    post_kind("census", "c.csv", "employee_id,date_of_birth,hire_date,termination_date,termination_reason\n"
              "R3,1952-03-10,1990-01-01,2019-06-30,retirement\n", as_of="2025-01-02")
    post("p.csv", make_csv([row(employee_id="R3", date_of_birth="1952-03-10", hire_date="2024-05-01",
                                pay_date="2025-01-10")], COLUMNS))
    update_rmd_notices(ledger, acme_plan, as_of=dt.date(2026, 1, 15), run_id="run-1")
    assert notices(ledger) == []
