"""Withheld deferral amounts through the real posting path: the limits cut an amount as they cut a percent, but
what they turn away was already withheld, so it posts to excess_deferral (with a limit event and a refund notice)
instead of not_deferred; a remitted match_amount is compared into match_variances. 2025 limits throughout: 402(g)
$23,500; catch-up $7,500 at 50+, $11,250 at 60-63; 415(c) $70,000 or 100% of plan compensation to date.
Acme's match: 100% of deferrals up to 3% of pay, 50% of 3-5%, so 5% or more of $20,000 matches
$600 + $200 = $800."""

from __future__ import annotations

import pytest

from pipelines.payroll_batch import process_payroll_file
from pipelines.store import Database
from pipelines.store.checks import run_checks
from schemas.plan import parse_plan_text
from tests.conftest import biweekly, ledger_amounts, make_csv, row

COLS = ("employee_id", "date_of_birth", "hire_date", "pay_date", "gross_pay", "plan_compensation",
        "pretax_deferral_pct", "roth_deferral_pct", "pretax_deferral_amount", "roth_deferral_amount", "match_amount")
D1, D2, D3, D4 = biweekly("2025-01-10", 4)  # 2025-01-10, 01-24, 02-07, 02-21
NO_MATCH = 'plan_id = "acme"\nname = "No match"\n'


def withheld(**kw: str) -> dict[str, str]:
    """A row that gives pre-tax as a withheld amount (no percent) unless told otherwise."""
    return row(**{"pretax_deferral_pct": "", **kw})


def unbalanced_lines(ledger: Database) -> list[tuple]:
    """Lines where elected != deferred + not_deferred + excess_deferral (should be none)."""
    return ledger.frame(
        "SELECT line_number, pretax_elected + roth_elected, pretax + roth + pretax_catchup + roth_catchup, "
        "not_deferred, excess_deferral FROM payroll_postings WHERE pretax_elected + roth_elected <> "
        "pretax + roth + pretax_catchup + roth_catchup + not_deferred + excess_deferral").rows()


def events(ledger: Database) -> list[tuple]:
    return ledger.frame("SELECT line_number, limit_name, limit_amount::VARCHAR, source, amount::VARCHAR "
                        "FROM limit_events ORDER BY line_number, limit_name").rows()


def notice_texts(ledger: Database) -> list[tuple]:
    return ledger.frame("SELECT line_number, code, message FROM notices ORDER BY line_number").rows()


def line_columns(ledger: Database, columns: str) -> list[tuple]:
    return ledger.frame(f"SELECT {columns} FROM payroll_postings ORDER BY employee_id, pay_date").rows()


def test_withheld_pretax_beyond_402g_is_held_as_excess_with_event_and_notice(post, ledger):
    # Born 1985 (40 in 2025: no catch-up). $10,000 withheld from $20,000 each period: $10,000 + $10,000 = $20,000,
    # then $23,500 - $20,000 = $3,500 fits and $10,000 - $3,500 = $6,500 was withheld beyond 402(g).
    rows = [withheld(date_of_birth="1985-03-01", pay_date=d, gross_pay="20000.00", pretax_deferral_amount="10000.00")
            for d in (D1, D2, D3)]
    result = post("p.csv", make_csv(rows, COLS))
    assert (result.rows_read, result.rows_posted, result.rows_rejected, result.notices) == (3, 3, 0, 1)
    # Match on what posted: $3,500 of $20,000 is 17.5%, still >= 5%, so $800 every period.
    assert ledger_amounts(ledger) == {
        (D1, "match"): "800.00", (D1, "pretax"): "10000.00",
        (D2, "match"): "800.00", (D2, "pretax"): "10000.00",
        (D3, "excess_deferral"): "6500.00", (D3, "match"): "800.00", (D3, "pretax"): "3500.00",
    }
    assert ledger.frame("SELECT entry_type FROM ledger WHERE source = 'excess_deferral'")["entry_type"].to_list() == [
        "excess_deferral"]
    # Line 4 (the third data row) reached 402(g); its excess event names the 402(g) room, $23,500 + $0 catch-up.
    assert events(ledger) == [(4, "402g", "23500.00", None, None),
                              (4, "excess_deferral", "23500.00", "excess_deferral", "6500.00")]
    assert notice_texts(ledger) == [(4, "excess_deferral", "$6500.00 withheld beyond the 402(g) limit: held in "
                                     "excess_deferral; refund it with its earnings by 2026-04-15")]
    # The excess used no 402(g) room and is no annual addition: 23,500 deferred; 23,500 + 3 × 800 = 25,900 added.
    assert ledger.frame("SELECT regular_deferral::VARCHAR, annual_additions::VARCHAR FROM ytd_totals").row(0) == (
        "23500.00", "25900.00")
    # Withheld, not elected by percent: nothing is "not deferred".
    assert line_columns(ledger, "not_deferred::VARCHAR, excess_deferral::VARCHAR") == [
        ("0.00", "0.00"), ("0.00", "0.00"), ("0.00", "6500.00")]
    assert unbalanced_lines(ledger) == []
    assert run_checks(ledger) == []


def test_a_later_night_sees_the_earlier_nights_room(post, ledger):
    # The same three periods as above, one file a night: the third night still finds $3,500 of room left.
    for i, d in enumerate((D1, D2, D3)):
        post(f"p{i}.csv", make_csv([withheld(date_of_birth="1985-03-01", pay_date=d, gross_pay="20000.00",
                                             pretax_deferral_amount="10000.00")], COLS))
    amounts = ledger_amounts(ledger)
    assert (amounts[(D3, "pretax")], amounts[(D3, "excess_deferral")]) == ("3500.00", "6500.00")
    assert run_checks(ledger) == []


def test_catch_up_takes_its_room_before_the_excess(post, ledger):
    # Born 1970 (55 in 2025): catch-up $7,500. $11,000 withheld ×3: 11,000 + 11,000 = 22,000, then the third
    # period's 11,000 = 23,500 - 22,000 = 1,500 regular + 7,500 catch-up + 11,000 - 1,500 - 7,500 = 2,000 excess.
    rows = [withheld(date_of_birth="1970-03-01", pay_date=d, gross_pay="20000.00", pretax_deferral_amount="11000.00")
            for d in (D1, D2, D3)]
    post("p.csv", make_csv(rows, COLS))
    third = {s: a for (d, s), a in ledger_amounts(ledger).items() if d == D3}
    # Acme matches catch-up too; 9,000 of 20,000 is over 5%: $800.
    assert third == {"pretax": "1500.00", "pretax_catchup": "7500.00", "excess_deferral": "2000.00", "match": "800.00"}
    # The excess event's limit is the rooms together: 23,500 + 7,500 = 31,000.
    assert events(ledger) == [(4, "402g", "23500.00", None, None), (4, "catch_up", "7500.00", None, None),
                              (4, "excess_deferral", "31000.00", "excess_deferral", "2000.00")]
    assert notice_texts(ledger) == [(4, "excess_deferral", "$2000.00 withheld beyond the 402(g) and catch-up limits: "
                                     "held in excess_deferral; refund it with its earnings by 2026-04-15")]
    assert unbalanced_lines(ledger) == []
    assert run_checks(ledger) == []


def test_a_415c_cut_of_a_withheld_amount_is_excess(post, ledger):
    # No match. Gross $5,000 but plan compensation $3,000: 415(c) allows min($70,000, $3,000) = $3,000 of additions.
    # $4,000 withheld fits 402(g) and is not cut by 401(a)(17); 415(c) cuts $4,000 - $3,000 = $1,000.
    plan = parse_plan_text(NO_MATCH, "acme.toml")
    post("p.csv", make_csv([withheld(date_of_birth="1985-03-01", gross_pay="5000.00", plan_compensation="3000.00",
                                     pretax_deferral_amount="4000.00")], COLS), plan=plan)
    assert ledger_amounts(ledger) == {("2025-01-10", "excess_deferral"): "1000.00", ("2025-01-10", "pretax"): "3000.00"}
    # Both events carry the 415(c) dollar limit, $70,000 (not the $3,000 that bound here).
    assert events(ledger) == [(2, "415c", "70000.00", "pretax", "1000.00"),
                              (2, "excess_deferral", "70000.00", "excess_deferral", "1000.00")]
    assert notice_texts(ledger) == [(2, "excess_deferral", "$1000.00 withheld beyond the 415(c) limit: held in "
                                     "excess_deferral; refund it with its earnings by 2026-04-15")]
    assert unbalanced_lines(ledger) == []
    assert run_checks(ledger) == []


@pytest.mark.parametrize("born, withheld_amount, excess, named", [
    # Born 1985: $24,000 withheld; 402(g) turns away 24,000 - 23,500 = 500; 415(c) allows $20,000 of plan
    # compensation, cutting 23,500 - 20,000 = 3,500: excess 500 + 3,500 = 4,000, more than 415(c) cut alone.
    ("1985-03-01", "24000.00", "4000.00", "the 402(g) and 415(c) limits"),
    # Born 1970: $35,000 withheld; 23,500 regular + 7,500 catch-up, 35,000 - 31,000 = 4,000 turned away; 415(c)
    # (catch-up is no annual addition) cuts regular 23,500 to 20,000: 3,500 more. Excess 7,500.
    ("1970-03-01", "35000.00", "7500.00", "the 402(g), catch-up and 415(c) limits"),
])
def test_a_line_cut_by_the_rooms_and_415c_names_both(post, ledger, born, withheld_amount, excess, named):
    plan = parse_plan_text(NO_MATCH, "acme.toml")
    post("p.csv", make_csv([withheld(date_of_birth=born, gross_pay="40000.00", plan_compensation="20000.00",
                                     pretax_deferral_amount=withheld_amount)], COLS), plan=plan)
    assert ledger_amounts(ledger)[("2025-01-10", "excess_deferral")] == excess
    assert ledger_amounts(ledger)[("2025-01-10", "pretax")] == "20000.00"
    assert notice_texts(ledger) == [(2, "excess_deferral", f"${excess} withheld beyond {named}: held in "
                                     "excess_deferral; refund it with its earnings by 2026-04-15")]
    assert unbalanced_lines(ledger) == []
    assert run_checks(ledger) == []


# (employee, born, gross, pretax %, roth %, pretax amount, roth amount): each amount is its percent of gross,
# half-up to the cent.
PEOPLE = [
    ("A", "1985-05-01", "3846.15", "6.5", "2", "250.00", "76.92"),  # 249.99975 -> 250.00; 76.923 -> 76.92
    ("B", "1970-05-01", "5000.00", "10", "0", "500.00", "0.00"),
    ("C", "1985-05-01", "20000.00", "50", "0", "10000.00", "0.00"),
    ("D", "1962-05-01", "20000.00", "40", "20", "8000.00", "4000.00"),  # 63 in 2025: catch-up $11,250
]


def test_amounts_post_as_the_equivalent_percents_and_hold_what_percents_leave_not_deferred(tmp_path, limits, acme_plan):
    percents, amounts = [], []
    for d in (D1, D2, D3, D4):
        for e, born, gross, p_pct, r_pct, p_amt, r_amt in PEOPLE:
            percents.append(row(employee_id=e, date_of_birth=born, pay_date=d, gross_pay=gross,
                                pretax_deferral_pct=p_pct, roth_deferral_pct=r_pct))
            amounts.append(withheld(employee_id=e, date_of_birth=born, pay_date=d, gross_pay=gross,
                                    pretax_deferral_amount=p_amt, roth_deferral_amount=r_amt))
    seen = {}
    for name, rows in (("percents", percents), ("amounts", amounts)):
        path = tmp_path / f"{name}.csv"
        path.write_bytes(make_csv(rows, COLS))
        with Database(tmp_path / f"{name}.duckdb") as db:
            result = process_payroll_file(db, plan_id="acme", plan=acme_plan, path=path,
                                          file_name=f"acme/payroll/{name}.csv", run_id="r", limits=limits)
            assert result.rows_posted == 16
            seen[name] = {
                "entries": db.frame("SELECT employee_id, effective_date::VARCHAR, source, amount::VARCHAR FROM ledger "
                                    "WHERE source <> 'excess_deferral' ORDER BY ALL").rows(),
                "excess": db.frame("SELECT employee_id, effective_date::VARCHAR, amount::VARCHAR FROM ledger "
                                   "WHERE source = 'excess_deferral' ORDER BY ALL").rows(),
                "ytd": db.frame("SELECT * FROM ytd_totals ORDER BY ALL").rows(),
                "not_deferred": db.frame("SELECT employee_id, pay_date::VARCHAR, not_deferred::VARCHAR "
                                         "FROM payroll_postings WHERE not_deferred <> 0 ORDER BY ALL").rows(),
                "unbalanced": unbalanced_lines(db),
                "checks": run_checks(db),
            }
    pct, amt = seen["percents"], seen["amounts"]
    assert pct["entries"] == amt["entries"] and pct["ytd"] == amt["ytd"]
    assert pct["excess"] == [] and amt["not_deferred"] == []
    # C: 10,000 + 10,000, then 3,500 of room: 6,500 over on 02-07 and all 10,000 on 02-21.
    # D: 12,000 a period; 24,000 = 23,500 + 500 catch-up, then 11,250 - 500 = 10,750 of catch-up left on 02-07:
    # 12,000 - 10,750 = 1,250 over, and all 12,000 on 02-21. A ($326.92) and B ($500) stay under 402(g).
    assert amt["excess"] == [("C", D3, "6500.00"), ("C", D4, "10000.00"), ("D", D3, "1250.00"), ("D", D4, "12000.00")]
    assert pct["not_deferred"] == amt["excess"]
    assert pct["unbalanced"] == amt["unbalanced"] == []
    assert pct["checks"] == amt["checks"] == []


def test_a_file_may_mix_percent_rows_and_amount_rows(post, ledger):
    # Born 1985, $20,000 a period, alternating a withheld $10,000 and an elected 50% (= $10,000):
    # 10,000 + 10,000 = 20,000; the third (amount) posts 3,500 with 6,500 excess; the fourth (percent) posts
    # nothing and its 10,000 is not deferred, never withheld, so no excess and no second notice.
    rows = [withheld(date_of_birth="1985-03-01", pay_date=D1, gross_pay="20000.00", pretax_deferral_amount="10000.00"),
            row(date_of_birth="1985-03-01", pay_date=D2, gross_pay="20000.00", pretax_deferral_pct="50"),
            withheld(date_of_birth="1985-03-01", pay_date=D3, gross_pay="20000.00", pretax_deferral_amount="10000.00"),
            row(date_of_birth="1985-03-01", pay_date=D4, gross_pay="20000.00", pretax_deferral_pct="50")]
    result = post("p.csv", make_csv(rows, COLS))
    assert (result.rows_posted, result.notices) == (4, 1)
    assert [(d, s, a) for (d, s), a in ledger_amounts(ledger).items() if s != "match"] == [
        (D1, "pretax", "10000.00"), (D2, "pretax", "10000.00"), (D3, "excess_deferral", "6500.00"),
        (D3, "pretax", "3500.00")]
    # Match $800 on each of the first three periods; nothing deferred on the fourth, so no match.
    assert [d for (d, s) in ledger_amounts(ledger) if s == "match"] == [D1, D2, D3]
    assert line_columns(ledger, "pretax_deferral_pct::VARCHAR, pretax_deferral_amount::VARCHAR, "
                                "not_deferred::VARCHAR, excess_deferral::VARCHAR") == [
        (None, "10000.00", "0.00", "0.00"), ("50.00", None, "0.00", "0.00"),
        (None, "10000.00", "0.00", "6500.00"), ("50.00", None, "10000.00", "0.00")]
    assert unbalanced_lines(ledger) == []
    assert run_checks(ledger) == []


def test_withheld_roth_beyond_402g_is_excess_too(post, ledger):
    # Roth only: pre-tax amount $0, Roth $10,000 ×3 from $20,000: 10,000 + 10,000, then 3,500 fits, 6,500 excess.
    rows = [withheld(date_of_birth="1985-03-01", pay_date=d, gross_pay="20000.00", pretax_deferral_amount="0",
                     roth_deferral_amount="10000.00") for d in (D1, D2, D3)]
    post("p.csv", make_csv(rows, COLS))
    assert [(d, s, a) for (d, s), a in ledger_amounts(ledger).items() if s != "match"] == [
        (D1, "roth", "10000.00"), (D2, "roth", "10000.00"), (D3, "excess_deferral", "6500.00"), (D3, "roth", "3500.00")]
    assert events(ledger)[-1] == (4, "excess_deferral", "23500.00", "excess_deferral", "6500.00")
    assert unbalanced_lines(ledger) == []
    assert run_checks(ledger) == []


def test_a_roth_percent_beside_a_pretax_amount_is_not_deferred_not_excess(post, ledger):
    # $5,000 withheld pre-tax + 25% Roth (= $5,000) of $20,000 ×3: 10,000 + 10,000, then 3,500 of room, which
    # pre-tax fills first: pre-tax 3,500 with 5,000 - 3,500 = 1,500 excess; the Roth percent's 5,000 is not deferred.
    rows = [withheld(date_of_birth="1985-03-01", pay_date=d, gross_pay="20000.00", pretax_deferral_amount="5000.00",
                     roth_deferral_pct="25") for d in (D1, D2, D3)]
    post("p.csv", make_csv(rows, COLS))
    third = {s: a for (d, s), a in ledger_amounts(ledger).items() if d == D3}
    assert third == {"pretax": "3500.00", "excess_deferral": "1500.00", "match": "800.00"}
    # Elected 5,000 + 5,000 = 3,500 deferred + 5,000 not deferred + 1,500 excess.
    assert line_columns(ledger, "not_deferred::VARCHAR, excess_deferral::VARCHAR")[-1] == ("5000.00", "1500.00")
    assert notice_texts(ledger) == [(4, "excess_deferral", "$1500.00 withheld beyond the 402(g) limit: held in "
                                     "excess_deferral; refund it with its earnings by 2026-04-15")]
    assert unbalanced_lines(ledger) == []
    assert run_checks(ledger) == []


def test_a_remitted_match_off_by_a_cent_or_more_is_a_variance(post, ledger):
    # $100 withheld from $2,000 is 5%: computed match 100% of $60 + 50% of $40 = $80.00.
    rows = [withheld(employee_id=e, gross_pay="2000.00", pretax_deferral_amount="100.00", match_amount=m)
            for e, m in (("SAME", "80.00"), ("LESS", "79.99"), ("MORE", "85.00"), ("NONE", ""))]
    post("p.csv", make_csv(rows, COLS))
    # Difference = remitted - computed: 79.99 - 80.00 = -0.01; 85.00 - 80.00 = 5.00. Equal or not given: no row.
    assert ledger.frame("SELECT line_number, employee_id, remitted_match::VARCHAR, computed_match::VARCHAR, "
                        "difference::VARCHAR FROM match_variances ORDER BY line_number").rows() == [
        (3, "LESS", "79.99", "80.00", "-0.01"), (4, "MORE", "85.00", "80.00", "5.00")]
    # The ledger posts the computed match whatever was remitted: 4 × $80.
    assert ledger.frame("SELECT sum(amount)::VARCHAR s FROM ledger WHERE source = 'match'")["s"].item() == "320.00"
    assert run_checks(ledger) == []


def test_each_form_rule_rejects_its_row_and_rows_are_conserved(post, ledger):
    rows = [
        withheld(employee_id="BOTH", pretax_deferral_pct="5", pretax_deferral_amount="50.00"),
        # 600.00 + 400.01 = 1,000.01 > 1,000.00 of gross pay.
        withheld(employee_id="OVER", gross_pay="1000.00", pretax_deferral_amount="600.00", roth_deferral_amount="400.01"),
        withheld(employee_id="NONE"),
        # 600.00 + 400.00 = exactly the gross pay: accepted.
        withheld(employee_id="ALL", gross_pay="1000.00", pretax_deferral_amount="600.00", roth_deferral_amount="400.00"),
    ]
    result = post("p.csv", make_csv(rows, COLS))
    assert (result.rows_read, result.rows_posted, result.rows_rejected) == (4, 1, 3)
    assert ledger.frame("SELECT rows_read, rows_posted, rows_rejected FROM batches").row(0) == (4, 1, 3)
    assert ledger.frame("SELECT line_number, employee_id, column_name, reason_code FROM rejections "
                        "ORDER BY line_number").rows() == [
        (2, "BOTH", "pretax_deferral_amount", "percent_and_amount"),
        (3, "OVER", "pretax_deferral_amount", "deferral_over_pay"),
        (4, "NONE", "pretax_deferral_pct", "missing_value")]
    # ALL defers 100% of $1,000: match would be $30 + $10 = $40, but 415(c) allows 100% of plan compensation
    # ($1,000, already used by the deferrals), so the match is cut to $0 and nothing is excess.
    assert ledger_amounts(ledger) == {("2025-01-10", "pretax"): "600.00", ("2025-01-10", "roth"): "400.00"}
    assert run_checks(ledger) == []


def test_in_a_file_of_amounts_only_an_empty_cell_withheld_nothing(post, ledger):
    # No percent column for pre-tax: an empty amount is $0 withheld (payroll exports leave a deduction blank), so
    # E2's row still posts its $25.00 loan repayment. In a file with both columns a row must say which form it
    # gives (the test above: NONE is rejected).
    cols = ("employee_id", "date_of_birth", "hire_date", "pay_date", "gross_pay", "pretax_deferral_amount",
            "loan_repayment")
    result = post("p.csv", make_csv([withheld(employee_id="E1", pretax_deferral_amount="50.00"),
                                     withheld(employee_id="E2", pretax_deferral_amount="", loan_repayment="25.00")], cols))
    assert (result.rows_read, result.rows_posted, result.rows_rejected) == (2, 2, 0)
    # E1: $50 of $1,000 is 5%: match $30 + $10 = $40. E2: nothing deferred, no match, the loan repayment.
    assert ledger_amounts(ledger, "E1") == {("2025-01-10", "match"): "40.00", ("2025-01-10", "pretax"): "50.00"}
    assert ledger_amounts(ledger, "E2") == {("2025-01-10", "loan_repayment"): "25.00"}
    assert ledger.frame("SELECT pretax_deferral_amount::VARCHAR FROM payroll_lines WHERE employee_id = 'E2'").item() == "0.00"
    assert run_checks(ledger) == []


def test_excess_held_for_refund_is_no_part_of_a_leavers_rollover(post, ledger):
    import datetime as dt

    from pipelines.derived.rollover import rollover_step

    # Born 1985, $24,000 withheld from $30,000 on 2025-01-10, terminated that day (voluntary). 402(g): $23,500
    # pre-tax, $500 excess. Match 3% of 30,000 = 900 + the 3-5% band 600 at 50% = 300: $1,200, vested at once
    # (the plan's default schedule [100]). The account holds 23,500 + 1,200 + 500 = $25,200; the rollover report
    # counts 23,500 + 1,200 = $24,700: the $500 goes back as a corrective distribution, never rolled over.
    plan = parse_plan_text('plan_id = "acme"\nname = "Acme"\n[match]\n'
                           'tiers = [ { up_to_pct = 3, rate_pct = 100 }, { up_to_pct = 5, rate_pct = 50 } ]\n',
                           "acme.toml")
    rows = [withheld(date_of_birth="1985-03-01", gross_pay="30000.00", pretax_deferral_amount="24000.00",
                     termination_date="2025-01-10", termination_reason="voluntary")]
    post("p.csv", make_csv(rows, (*COLS, "termination_date", "termination_reason")), plan=plan)
    assert ledger_amounts(ledger)[("2025-01-10", "excess_deferral")] == "500.00"
    rollover_step(ledger, plan, as_of=dt.date(2025, 2, 28), run_id="r1", limits=None)
    assert ledger.frame("SELECT vested_balance::VARCHAR, eligible_rollover_amount::VARCHAR "
                        "FROM rollover_eligibility").row(0) == ("24700.00", "24700.00")
