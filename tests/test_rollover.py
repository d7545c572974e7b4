"""The rollover-eligibility report from the ledger (the derived step), its history, and the withdrawal-cost
command."""

from __future__ import annotations

import datetime as dt
import json

from conftest import ACME_TOML
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.derived.rollover import rollover_step
from pipelines.derived.terminations import terminations_step
from schemas.plan import parse_plan_text

GRADED = parse_plan_text(ACME_TOML + '[vesting]\nschedule = [0, 0, 20, 40, 60, 80, 100]\nmethod = "elapsed"\n',
                         "acme.toml")
CENSUS = ("employee_id,date_of_birth,hire_date,termination_date,termination_reason\n"
          "L1,1985-04-01,2022-06-01,2025-01-31,voluntary\n"   # 2 years at termination: 20% vested
          "L2,1985-04-01,2020-01-01,2025-01-31,voluntary\n")  # 5 years: 80%
BALANCES = ("employee_id,as_of_date,source,balance\n"
            "L1,2024-12-31,pretax,4000.00\nL1,2024-12-31,match,1000.00\n"
            "L2,2024-12-31,pretax,20000.00\nL2,2024-12-31,roth,5000.00\nL2,2024-12-31,match,10000.00\n")


def report(ledger) -> dict[str, tuple]:
    rows = ledger.frame("SELECT employee_id, vesting_pending, vested_balance::VARCHAR, category, "
                        "net_if_cashed_out::VARCHAR FROM rollover_eligibility ORDER BY 1").rows()
    return {r[0]: r[1:] for r in rows}


def test_the_report_from_the_ledger_with_pending_vesting_and_its_history(post_kind, ledger):
    post_kind("census", "c.csv", CENSUS, as_of="2025-02-01", plan=GRADED)
    post_kind("balances", "b.csv", BALANCES, as_of="2025-02-01", plan=GRADED)
    # Before the terminations are processed, vesting is pending and estimated as processing would vest:
    # L1 $4,000 + 20% of $1,000 = $4,200 (automatic rollover); L2 $25,000 + 80% of $10,000 = $33,000.
    rollover_step(ledger, GRADED, as_of=dt.date(2025, 2, 28), run_id="r1", limits=None)
    assert {e: r[:3] for e, r in report(ledger).items()} == {
        "L1": (True, "4200.00", "automatic_rollover"), "L2": (True, "33000.00", "consent_required")}
    # Processed: the same vested balances, now from the ledger after the forfeitures.
    terminations_step(ledger, GRADED, as_of=dt.date(2025, 3, 31), run_id="r2", limits=None)
    rollover_step(ledger, GRADED, as_of=dt.date(2025, 3, 31), run_id="r2", limits=None)
    # L1, 39 and separated at 39: $4,200 taxable, 20% withheld $840, 10% penalty $420: in hand $2,940.
    assert report(ledger)["L1"] == (False, "4200.00", "automatic_rollover", "2940.00")
    # L1 takes $3,500: $700 left, at or below $1,000: a cash-out now; L2 unchanged but for vesting_pending.
    post_kind("distributions", "d.csv", "employee_id,paid_date,source,gross_amount,distribution_type\n"
              "L1,2025-04-10,pretax,3500.00,cash_out\n", as_of="2025-04-15", plan=GRADED)
    rollover_step(ledger, GRADED, as_of=dt.date(2025, 4, 15), run_id="r3", limits=None)
    assert report(ledger)["L1"][2] == "cash_out"
    # Then the rest: paid out in full, L1 leaves the report.
    post_kind("distributions", "d2.csv", "employee_id,paid_date,source,gross_amount,distribution_type\n"
              "L1,2025-04-20,pretax,500.00,cash_out\nL1,2025-04-20,match,200.00,cash_out\n", as_of="2025-04-30",
              plan=GRADED)
    rollover_step(ledger, GRADED, as_of=dt.date(2025, 4, 30), run_id="r4", limits=None)
    assert report(ledger).keys() == {"L2"}
    history = ledger.frame("SELECT employee_id, category, change, superseded_on::VARCHAR FROM "
                           "rollover_eligibility_history WHERE employee_id = 'L1' ORDER BY superseded_on").rows()
    assert history == [
        ("L1", "automatic_rollover", "changed", "2025-03-31"),  # vesting pending -> processed
        ("L1", "automatic_rollover", "changed", "2025-04-15"),  # -> cash_out
        ("L1", "cash_out", "withdrawn", "2025-04-30"),          # paid out in full
    ]
    # The same figures again add nothing to the history.
    before = ledger.frame("SELECT count(*) FROM rollover_eligibility_history").item()
    rollover_step(ledger, GRADED, as_of=dt.date(2025, 4, 30), run_id="r5", limits=None)
    assert ledger.frame("SELECT count(*) FROM rollover_eligibility_history").item() == before


def test_withdrawal_cost_from_the_persons_own_ledger(post_kind, ledger, tmp_path):
    post_kind("census", "c.csv", CENSUS, as_of="2025-02-01", plan=GRADED)
    post_kind("balances", "b.csv", BALANCES, as_of="2025-02-01", plan=GRADED)
    terminations_step(ledger, GRADED, as_of=dt.date(2025, 3, 31), run_id="r1", limits=None)
    rollover_step(ledger, GRADED, as_of=dt.date(2025, 3, 31), run_id="r1", limits=None)
    db_path = ledger.path
    ledger.close()
    runner = CliRunner()
    # L2: $33,000 vested, Roth $5,000 all basis (first Roth 2024: not qualified, no earnings): $28,000 taxable.
    # $11,000 is a third: $9,333.33 taxable; 20% withheld $1,866.67; penalty 10% $933.33; 24% federal $2,240.00;
    # 5% state $466.67; kept 11,000 - 2,240.00 - 466.67 - 933.33 = $7,360.00.
    result = runner.invoke(app, ["withdrawal-cost", "--plan", "acme", "--employee", "L2", "--amount", "11000",
                                 "--federal-rate", "24", "--state-rate", "5", "--db", str(db_path), "--format", "json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert {k: figures[k] for k in ("taxable", "withholding", "cash_at_payment", "penalty", "federal_tax",
                                    "state_tax", "net_after_tax", "rollover_keeps")} == {
        "taxable": "9333.33", "withholding": "1866.67", "cash_at_payment": "9133.33", "penalty": "933.33",
        "federal_tax": "2240.00", "state_tax": "466.67", "net_after_tax": "7360.00", "rollover_keeps": "11000.00"}
    table = runner.invoke(app, ["withdrawal-cost", "--plan", "acme", "--employee", "L2", "--db", str(db_path)])
    assert table.exit_code == 0 and "a direct rollover keeps instead" in table.output and "33,000.00" in table.output
    for bad, message in ((["--employee", "NOPE"], "not in the rollover-eligibility report"),
                         (["--employee", "L2", "--amount", "40000"], "at most the vested balance"),
                         (["--employee", "L2", "--federal-rate", "120"], "not a percent")):
        failed = runner.invoke(app, ["withdrawal-cost", "--plan", "acme", *bad, "--db", str(db_path)])
        assert failed.exit_code == 2 and message in failed.output, failed.output


def test_roth_basis_is_recovered_pro_rata_by_a_roth_distribution(post_kind, ledger):
    post_kind("census", "c.csv", "employee_id,date_of_birth,hire_date,termination_date,termination_reason\n"
              "L3,1985-04-01,2020-01-01,2025-01-31,voluntary\n", as_of="2025-02-01", plan=GRADED)
    post_kind("balances", "b1.csv", "employee_id,as_of_date,source,balance\nL3,2024-12-31,roth,10000.00\n",
              as_of="2025-02-01", plan=GRADED)
    post_kind("balances", "b2.csv", "employee_id,as_of_date,source,balance\nL3,2025-02-15,roth,12000.00\n",
              as_of="2025-02-20", plan=GRADED)
    post_kind("distributions", "d.csv", "employee_id,paid_date,source,gross_amount,distribution_type\n"
              "L3,2025-03-01,roth,6000.00,in_service\n", as_of="2025-03-05", plan=GRADED)
    rollover_step(ledger, GRADED, as_of=dt.date(2025, 3, 31), run_id="r1", limits=None)
    row = ledger.frame("SELECT roth_balance::VARCHAR, roth_basis::VARCHAR, taxable_if_cashed_out::VARCHAR, "
                       "withholding_if_cashed_out::VARCHAR, penalty_if_cashed_out::VARCHAR, net_if_cashed_out::VARCHAR "
                       "FROM rollover_eligibility WHERE employee_id = 'L3'").row(0)
    # $10,000 basis + $2,000 earnings; $6,000 paid recovers half the basis: $5,000 left of a $6,000 balance, so
    # $1,000 of earnings is taxable (not qualified: first Roth money 2024). 20% = $200, 10% = $100; net $5,700.
    assert row == ("6000.00", "5000.00", "1000.00", "200.00", "100.00", "5700.00")
