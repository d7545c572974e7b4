"""The named reports (sql/reports/, views report_<name>), `planadmin report` and `planadmin project`, run against
the shipped demo's two nights (its files say what each report must hold) and against small ledgers built here."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from conftest import biweekly, make_csv, row
from pipelines.cli import app
from pipelines.rules.vesting import vested_percent
from pipelines.store import Database
from pipelines.store.reports import all_reports, run_report
from schemas.plan import load_plan
from test_cli_flow import demo_generator

REPO = Path(__file__).resolve().parent.parent
PLANS = REPO / "fixtures/demo/PLANS"
DEMO_INBOX = REPO / "fixtures/demo/INBOX"
NIGHT_2 = dt.date(2026, 1, 31)
#: The demo's bad payroll rows are on ids A999nn / G999nn (fixtures/generate_demo.py, BAD_ROWS).
BAD_ID = r"^[AG]999"


def report(db: Path, name: str, **params) -> pl.DataFrame:  # noqa: ANN003
    with Database(db, read_only=True) as database:
        return run_report(database, name, **params)


def demo_payroll(plan_id: str) -> pl.DataFrame:
    """Every accepted payroll row of a plan's demo files, as text, with the file's pay date."""
    frames = [
        pl.read_csv(path, infer_schema=False).with_columns(pl.lit(path.stem.rsplit("_", 1)[1]).alias("file_date"))
        for path in sorted((DEMO_INBOX / plan_id / "payroll").glob("*.csv"))
    ]
    return pl.concat(frames, how="diagonal").filter(~pl.col("employee_id").str.contains(BAD_ID))


def cents(column: str) -> pl.Expr:
    return (pl.col(column).fill_null("0").str.to_decimal(scale=2) * 100).cast(pl.Int64)


# -- every report ------------------------------------------------------------------------------------------------

def test_every_report_says_its_columns_and_is_a_view_with_them(demo_db):
    with Database(demo_db, read_only=True) as db:
        for r in all_reports():
            assert r.description and r.parameters, r.name
            direct = run_report(db, r.name)
            assert tuple(direct.columns) == r.columns, r.name  # the header's columns are the result's
            # the view any SQL client reads gives the same rows as the report's own statement
            assert db.frame(f"SELECT * FROM {r.view}").sort(direct.columns).equals(direct.sort(direct.columns)), r.name
    names = {r.name for r in all_reports()}
    assert {"contributions_ytd", "deposits_due", "limit_watch", "balances", "forfeiture_account", "rejections",
            "missing_payrolls", "rmd_due", "rollover_eligibility", "match_window", "projection"} <= names


def test_the_plans_table_holds_what_the_plan_files_say(demo_db):
    with Database(demo_db, read_only=True) as db:
        rows = {r["plan_id"]: r for r in db.frame("SELECT * FROM plans").iter_rows(named=True)}
    assert set(rows) == {"acme", "globex", "initech"}
    acme, globex = rows["acme"], rows["globex"]
    # fixtures/demo/PLANS/acme.toml: tiers 100% of 3% + 50% of the next 2%, true-up on 01-15, graded 2-6 years.
    assert acme["match_tiers"] == [{"up_to_pct": Decimal("3.00"), "rate_pct": Decimal("100.00")},
                                   {"up_to_pct": Decimal("5.00"), "rate_pct": Decimal("50.00")}]
    assert (acme["full_match_deferral_pct"], acme["true_up_enabled"], acme["true_up_on"]) == (Decimal(5), True, "01-15")
    assert acme["vesting_schedule"] == [Decimal(p) for p in (0, 0, 20, 40, 60, 80, 100)]
    assert acme["vesting_method"] == "elapsed"
    # globex.toml: 50% of 6%, 3% nonelective, 3-year cliff by hours; sections it leaves out show their defaults.
    assert globex["match_tiers"] == [{"up_to_pct": Decimal("6.00"), "rate_pct": Decimal("50.00")}]
    assert (globex["nonelective_pct"], globex["vesting_method"], globex["true_up_enabled"]) == (Decimal(3), "hours", False)
    assert globex["vesting_schedule"] == [Decimal(p) for p in (0, 0, 0, 100)]
    assert (globex["normal_retirement_age"], globex["cash_out_limit"]) == (65, Decimal("1000.00"))
    assert len(globex["plan_file_sha256"]) == 64 and globex["loaded_as_of"] == NIGHT_2


# -- contributions and deposits ----------------------------------------------------------------------------------

def test_contributions_ytd_has_each_persons_pay_from_the_files(demo_db):
    found = report(demo_db, "contributions_ytd", year=2025)
    assert found["plan_year"].unique().to_list() == [2025]
    for plan_id in ("acme", "globex"):
        files = demo_payroll(plan_id).group_by("employee_id").agg(
            cents("gross_pay").sum().alias("gross"),
            pl.col("pretax_deferral_pct").sort_by("pay_date").last().alias("last_pretax"))
        mine = found.filter(pl.col("plan_id") == plan_id).unique("employee_id").select(
            "employee_id", (pl.col("gross_pay_ytd") * 100).cast(pl.Int64).alias("gross"),
            pl.col("pretax_deferral_pct"))
        joined = mine.join(files, on="employee_id", how="inner")
        assert joined.height == mine.height  # everyone with contributions was paid in the files
        assert (joined["gross"] == joined["gross_right"]).all()  # pay to date = the files' gross pay, to the cent
        assert (joined["pretax_deferral_pct"] == joined["last_pretax"].str.to_decimal(scale=2).fill_null(0)).all()
    with Database(demo_db, read_only=True) as db:
        by_person_year = db.frame(
            "SELECT plan_id, sum(regular_deferral + catch_up_deferral + employer_match + match_true_up + nonelective) "
            "AS total FROM contributions_by_person_year WHERE plan_year = 2025 GROUP BY ALL ORDER BY 1")
    # The report's amounts add up to what the ledger's per-person-year view counts (true-up included: its date,
    # 2026-01-15, is before the as-of date 2026-01-31).
    assert found.group_by("plan_id").agg(pl.col("amount").sum().alias("total")).sort("plan_id").equals(by_person_year)


def test_contributions_ytd_stops_at_the_as_of_date(demo_db):
    # As of 2025-03-31 acme has paid on 6 dates (10 and 24 January, 7 and 21 February, 7 and 21 March): 6 entries
    # at most per person and source, and nobody's last pay date after 21 March.
    early = report(demo_db, "contributions_ytd", year=2025, as_of=dt.date(2025, 3, 31), plan_id="acme")
    assert early["entries"].max() == 6 and early["last_pay_date"].max() == dt.date(2025, 3, 21)
    assert "match_true_up" not in early["source"].to_list()


def test_deposits_due_per_pay_date_with_the_dol_deadlines(demo_db):
    found = report(demo_db, "deposits_due", year=2025)
    for plan_id in ("acme", "globex"):
        files = demo_payroll(plan_id)
        mine = found.filter(pl.col("plan_id") == plan_id)
        # one pay date per file: 26 biweekly payrolls each
        assert sorted(d.isoformat() for d in mine["pay_date"].unique()) == sorted(files["file_date"].unique())
        loans = files.group_by("file_date").agg(cents("loan_repayment").sum().alias("loan")).filter(pl.col("loan") > 0)
        reported = mine.filter(pl.col("source") == "loan_repayment").select(
            pl.col("pay_date").cast(pl.Utf8).alias("file_date"), (pl.col("amount") * 100).cast(pl.Int64).alias("loan"))
        assert reported.sort("file_date").equals(loans.sort("file_date"))  # what payroll withheld, to the cent
    # acme pays Friday 10 January 2025: the 15th business day of February is Friday 21 February (3-7, 10-14,
    # 17-21); the small-plan safe harbor's 7th business day after it is Tuesday 21 January (13-17, 20, 21).
    first = found.filter((pl.col("plan_id") == "acme") & (pl.col("pay_date") == dt.date(2025, 1, 10)))
    employee = first.filter(pl.col("owner") == "employee")
    assert set(employee["deposit_deadline"]) == {dt.date(2025, 2, 21)}
    assert set(employee["small_plan_deposit_deadline"]) == {dt.date(2025, 1, 21)}
    # employer money has no DOL deadline
    employer = first.filter(pl.col("owner") == "employer")  # acme's match (it has no nonelective): no DOL deadline
    assert employer["source"].to_list() == ["match"] and employer["deposit_deadline"].null_count() == 1
    # globex pays Friday 3 January: safe harbor Tuesday 14 January (6-10, 13, 14).
    assert set(found.filter((pl.col("plan_id") == "globex") & (pl.col("pay_date") == dt.date(2025, 1, 3))
                            & (pl.col("owner") == "employee"))["small_plan_deposit_deadline"]) == {dt.date(2025, 1, 14)}


# -- limits ------------------------------------------------------------------------------------------------------

def test_limit_watch_lists_who_the_demo_files_take_to_402g_and_when(demo_db):
    """Who reached 402(g) in 2025, and on which pay date, computed from the demo's payroll files alone: each
    period elects (pre-tax % + Roth %) of its plan compensation (gross pay when none) counted under the 2025
    401(a)(17) limit ($350,000 year to date), half-up to the cent; the day the running total reaches $23,500."""
    found = report(demo_db, "limit_watch", year=2025, as_of=dt.date(2025, 12, 31))
    for plan_id in ("acme", "globex"):
        files = demo_payroll(plan_id).with_columns(
            cents("plan_compensation").alias("comp"), cents("gross_pay").alias("gross"),
            (cents("pretax_deferral_pct") + cents("roth_deferral_pct")).alias("bp"),
        ).with_columns(
            pl.when(pl.col("plan_compensation").is_null()).then("gross").otherwise("comp").alias("comp"),
        ).sort("employee_id", "pay_date").with_columns(pl.col("comp").cum_sum().over("employee_id").alias("ytd"))
        counted = (pl.min_horizontal(pl.col("ytd"), 35_000_000)
                   - pl.min_horizontal(pl.col("ytd") - pl.col("comp"), 35_000_000))
        elected = ((counted.cast(pl.Int128) * pl.col("bp") * 2 + 10_000) // 20_000).cast(pl.Int64)
        expected = (
            files.with_columns(elected.cum_sum().over("employee_id").alias("deferred"))
            .filter(pl.col("deferred") >= 2_350_000).group_by("employee_id")
            .agg(pl.col("pay_date").min().str.to_date()).sort("employee_id")
        )
        got = found.filter((pl.col("plan_id") == plan_id) & (pl.col("limit_name") == "402g")
                           & (pl.col("status") == "reached")).select("employee_id", pl.col("reached_on").alias("pay_date"))
        assert expected.height > 0 and got.sort("employee_id").equals(expected), plan_id
    # after the year's last payroll no pay date is left in 2025: nothing is projected
    assert found.filter(pl.col("status") == "projected").height == 0


def test_limit_watch_projects_the_pay_date_402g_is_reached(post, ledger):
    # $10,000 a period at 20% defers $2,000 on each of five biweekly pay dates, 10 January to 7 March: $10,000 of
    # the 2025 limit $23,500, $13,500 left, ceil(13,500 / 2,000) = 7 more pay dates: 21 March, 4 and 18 April, 2,
    # 16 and 30 May, 13 June. A 1% saver defers $100 a period and never gets there this year.
    for day in biweekly("2025-01-10", 5):
        rows = [row("HIGH", pay_date=day, gross_pay="10000.00", pretax_deferral_pct="20"),
                row("LOW", pay_date=day, gross_pay="10000.00", pretax_deferral_pct="1")]
        assert post(f"p_{day}.csv", make_csv(rows)).status == "posted"
    found = run_report(ledger, "limit_watch", year=2025, as_of=dt.date(2025, 3, 10))
    assert found.select("employee_id", "status", "reached_on", "room_left", "per_period_deferral",
                        "pay_dates_to_limit").rows() == [
        ("HIGH", "projected", dt.date(2025, 6, 13), Decimal("13500.00"), Decimal("2000.00"), 7)]


# -- balances and vesting ----------------------------------------------------------------------------------------

def test_balances_vest_as_the_termination_rules_would_on_the_as_of_date(demo_db):
    """The report's SQL vesting against the Python rules (pipelines.rules.vesting) for everyone with employer money:
    service to the termination in force or, for those still working, to the as-of date."""
    found = report(demo_db, "balances", as_of=NIGHT_2)
    employer = found.filter(pl.col("owner") == "employer")
    assert employer.height > 0 and set(found.filter(pl.col("owner") == "employee")["vested_pct"]) == {Decimal(100)}
    with Database(demo_db, read_only=True) as db:
        people = db.frame(
            "SELECT p.plan_id, p.employee_id, p.date_of_birth, p.hire_date, p.first_hire_date, p.prior_vesting_years, "
            "CASE WHEN t.termination_date <= DATE '2026-01-31' THEN t.termination_date ELSE DATE '2026-01-31' END "
            "AS termination_date, t.termination_reason, "
            "(SELECT min(first_effective_date) FROM balance_by_year b WHERE b.plan_id = p.plan_id "
            " AND b.employee_id = p.employee_id) AS first_entry_date, "
            "EXISTS (SELECT 1 FROM ytd_totals y WHERE y.plan_id = p.plan_id AND y.employee_id = p.employee_id) "
            "AS has_payroll FROM participants p LEFT JOIN terminations_in_force t USING (plan_id, employee_id)")
        hours = db.frame("SELECT plan_id, employee_id, plan_year::INTEGER AS plan_year, "
                         "cents(hours_worked) AS hours_worked_hundredths FROM ytd_totals")
        processed = db.frame("SELECT plan_id, employee_id, vested_pct FROM terminations t JOIN terminations_in_force f "
                             "USING (plan_id, employee_id, termination_date)")
    checked = 0
    for plan_id in ("acme", "globex"):
        vesting = load_plan(PLANS / f"{plan_id}.toml").vesting
        mine = people.filter(pl.col("plan_id") == plan_id)
        at_work = mine.filter(pl.col("termination_reason").is_null())
        # Someone still working: no "before the records" basis (that is about a termination), no rehire question.
        expected = vested_percent(at_work.with_columns(pl.lit(True).alias("has_payroll"),
                                                       pl.col("hire_date").alias("first_hire_date")),
                                  hours.filter(pl.col("plan_id") == plan_id), vesting)
        leavers = mine.filter(pl.col("termination_reason").is_not_null()).join(
            processed.filter(pl.col("plan_id") == plan_id), on="employee_id", how="anti")
        expected = pl.concat([expected, vested_percent(leavers, hours.filter(pl.col("plan_id") == plan_id), vesting)])
        got = employer.filter(pl.col("plan_id") == plan_id).unique("employee_id").join(
            expected.select("employee_id", "vested_bp", "vesting_basis"), on="employee_id", how="inner")
        assert ((got["vested_pct"] * 100).cast(pl.Int64) == got["vested_bp"]).all(), plan_id
        assert (got["vesting_basis"] == got["vesting_basis_right"]).all(), plan_id
        checked += got.height
        # processed leavers: the percent recorded when their non-vested money was forfeited; what is left is vested
        done = employer.filter(pl.col("plan_id") == plan_id).join(
            processed.filter(pl.col("plan_id") == plan_id), on="employee_id", how="inner")
        assert (done["vested_pct"] == done["vested_pct_right"]).all() and (done["vested_balance"] == done["balance"]).all()
    assert checked > 150
    with Database(demo_db, read_only=True) as db:
        ledger_total = db.frame("SELECT sum(amount) AS t FROM ledger WHERE effective_date <= DATE '2026-01-31'")["t"].item()
    assert found["balance"].sum() == ledger_total  # every dollar on record, nothing counted twice


def test_a_balance_vests_p_times_balance_plus_paid_minus_paid(post, post_kind, ledger):
    # Hired 2021-03-01, acme's graded schedule: on 2025-06-30, 4 completed years -> 60%. A $1,000.01 match opening
    # balance: 60% = $600.006 -> $600.01 vested (half-up). The employee's $500 pre-tax is 100%.
    plan = load_plan(PLANS / "acme.toml")
    census = "employee_id,date_of_birth,hire_date\nV1,1980-01-01,2021-03-01\n"
    assert post_kind("census", "c.csv", census, "2025-06-30", plan).status == "posted"
    statement = "employee_id,as_of_date,source,balance\nV1,2024-12-31,match,1000.01\nV1,2024-12-31,pretax,500.00\n"
    assert post_kind("balances", "b.csv", statement, "2025-06-30", plan).status == "posted"
    with ledger.transaction():
        from pipelines.store import plans as store_plans

        plan_file = PLANS / "acme.toml"
        store_plans.replace_plans(ledger, store_plans.plan_rows([plan], {"acme": plan_file}, dt.date(2025, 6, 30), "t"))
    found = run_report(ledger, "balances", as_of=dt.date(2025, 6, 30))
    assert found.select("source", "balance", "vested_pct", "vested_balance", "years_of_service").rows() == [
        ("match", Decimal("1000.01"), Decimal("60.00"), Decimal("600.01"), 4),
        ("pretax", Decimal("500.00"), Decimal("100.00"), Decimal("500.00"), None)]
    # A year earlier, 3 completed years -> 40%: $400.004 -> $400.00.
    earlier = run_report(ledger, "balances", as_of=dt.date(2025, 2, 28))
    assert earlier.filter(pl.col("source") == "match")["vested_balance"].item() == Decimal("400.00")


# -- forfeitures, rejections, payroll calendar ---------------------------------------------------------------------

def test_forfeiture_account_shows_each_years_forfeitures_and_when_to_use_them(demo_db):
    found = report(demo_db, "forfeiture_account")
    with Database(demo_db, read_only=True) as db:
        by_plan = dict(db.frame("SELECT plan_id, sum(forfeited_amount) FROM terminations GROUP BY ALL").rows())
    assert dict(found.group_by("plan_id").agg(pl.col("forfeited").sum()).rows()) == by_plan
    # Forfeited on 2026-01-15 (plan year 2026): to be used by the end of the following plan year, 2027-12-31.
    assert set(found["use_by"]) == {dt.date(2027, 12, 31)} and set(found["status"]) == {"open"}
    assert set(report(demo_db, "forfeiture_account", as_of=dt.date(2028, 1, 1))["status"]) == {"past_use_by"}


def test_forfeiture_uses_are_recorded_once_within_what_is_left(demo_db, tmp_path):
    import shutil

    db = tmp_path / "copy.duckdb"
    shutil.copy(demo_db, db)
    runner = CliRunner()
    forfeited = report(db, "forfeiture_account", plan_id="acme")
    assert forfeited.select("plan_year", "source").rows() == [(2026, "match")]
    total = forfeited["forfeited"].item()

    def use(amount: str, kind: str = "plan_expenses", day: str = "2026-02-02", year: str = "2026"):  # noqa: ANN202
        return runner.invoke(app, ["forfeitures", "use", "--plan", "acme", "--year", year, "--source", "match",
                                   "--amount", amount, "--use", kind, "--date", day, "--reference", "INV-7",
                                   "--db", str(db)])

    assert use("1000.00").exit_code == 0
    again = use("1000.00")  # the same use: recorded once
    assert again.exit_code == 0 and "already recorded" in again.output
    too_much = use(str(total))  # $1,000 is used: the whole forfeited amount is more than is left
    assert too_much.exit_code == 2 and f"{total - 1000} left" in too_much.output
    assert use("5.00", day="2026-01-14").exit_code == 2  # before the forfeiture (2026-01-15)
    assert use("5.00", year="2025").exit_code == 2  # nothing forfeited in plan year 2025
    assert use("5.00", kind="reversal").exit_code == 2  # a reversal is negative
    found = report(db, "forfeiture_account", plan_id="acme", as_of=dt.date(2026, 2, 28)).row(0, named=True)
    assert (found["used"], found["unused"], found["status"]) == (Decimal("1000.00"), total - 1000, "open")
    assert use(str(total - 1000), kind="allocate", day="2026-03-01").exit_code == 0
    assert report(db, "forfeiture_account", plan_id="acme", as_of=dt.date(2026, 3, 1))["status"].item() == "used"
    repeated = use(str(total - 1000), kind="allocate", day="2026-03-01")  # nothing is left, and it is the same use
    assert repeated.exit_code == 0 and "already recorded" in repeated.output
    assert use("-1000.00", kind="reversal", day="2026-03-02").exit_code == 0
    later = report(db, "forfeiture_account", plan_id="acme", as_of=dt.date(2028, 1, 1)).row(0, named=True)
    # $1,000 back in the account after the use by date: it must be acted on
    assert (later["unused"], later["status"]) == (Decimal("1000.00"), "past_use_by")
    with Database(db, read_only=True) as database:
        assert database.frame("SELECT count(*) FROM forfeiture_uses").item() == 3  # append only: three rows


def test_rejections_group_the_demos_bad_rows_by_file_and_reason(demo_db):
    found = report(demo_db, "rejections")
    generator = demo_generator()
    expected = {(f"{b.plan_id}/payroll/{b.plan_id}_payroll_{b.pay_date}.csv", b.kind): b.copies
                for b in generator.BAD_ROWS}
    payroll = found.filter(pl.col("file_kind") == "payroll")
    got = {}
    for r in payroll.iter_rows(named=True):
        got[(r["file_name"], r["reason_code"])] = max(got.get((r["file_name"], r["reason_code"]), 0), r["rows"])
    assert got == expected  # one row per file and reason; the duplicated row counts its 2 lines
    # newest run first: the second night's one rejection (A80008's rollover beyond its balance) leads
    assert found.row(0, named=True)["run_as_of"] == NIGHT_2
    assert found.row(0, named=True)["reason_code"] == "exceeds_balance"
    # 15 bad payroll rows (acme's and globex's 10, initech's 5: each its own file and reason), 5 bad census and
    # balances lines, that rollover
    assert found.height == len(expected) + len(generator.BAD_LINES) + 1 == 15 + 5 + 1


def test_missing_payrolls_from_the_observed_biweekly_calendar(demo_db):
    # acme (and initech) paid every other Friday through 2025-12-26: 2026-01-09 and 2026-01-23 have no payroll by
    # 2026-01-31. globex through 2025-12-19: 2026-01-02, 2026-01-16 and 2026-01-30.
    found = report(demo_db, "missing_payrolls")
    assert found.select("plan_id", "expected_pay_date", "status", "days_since").rows() == [
        ("acme", dt.date(2026, 1, 9), "not_received", 22), ("acme", dt.date(2026, 1, 23), "not_received", 8),
        ("globex", dt.date(2026, 1, 2), "not_received", 29), ("globex", dt.date(2026, 1, 16), "not_received", 15),
        ("globex", dt.date(2026, 1, 30), "not_received", 1),
        ("initech", dt.date(2026, 1, 9), "not_received", 22), ("initech", dt.date(2026, 1, 23), "not_received", 8)]
    assert report(demo_db, "missing_payrolls", as_of=dt.date(2026, 1, 8)).height == 1  # globex's 2 January only


def test_a_payroll_skipped_between_two_others_is_missing(post, ledger):
    # Biweekly from 10 January 2025 with 7 February's payroll never sent: missing; as of 31 March, 21 March's is
    # not received yet.
    for day in ("2025-01-10", "2025-01-24", "2025-02-21", "2025-03-07"):
        assert post(f"p_{day}.csv", make_csv([row("E1", pay_date=day)])).status == "posted"
    found = run_report(ledger, "missing_payrolls", as_of=dt.date(2025, 3, 31))
    assert found.select("expected_pay_date", "pay_frequency", "status").rows() == [
        (dt.date(2025, 2, 7), "biweekly", "missing"), (dt.date(2025, 3, 21), "biweekly", "not_received")]


# -- money out ---------------------------------------------------------------------------------------------------

def test_rmd_due_and_rollover_eligibility_from_their_tables(demo_db):
    due = report(demo_db, "rmd_due")
    expected = {k for k, v in demo_generator().EXPECTED_RMD_NOTICES.items() if v[3] in ("due", "overdue")}
    expected.add(("globex", "G80001", 2026))  # the first night's retiree: $26,373.77 due by 2027-04-01
    assert set(due.select("plan_id", "employee_id", "distribution_year").iter_rows()) == expected
    leavers = report(demo_db, "rollover_eligibility")
    # the run summary's counts: acme 1 cash-out, 2 automatic rollover, 8 consent required, 3 RMD first; globex 11
    # consent required, 2 RMD first
    assert dict(leavers.filter(pl.col("plan_id") == "acme").group_by("category").len().rows()) == {
        "cash_out": 1, "automatic_rollover": 2, "consent_required": 8, "rmd_first": 3}
    assert leavers.filter(pl.col("plan_id") == "globex").height == 13


# -- calculators -------------------------------------------------------------------------------------------------

def last_line(plan_id: str, employee_id: str) -> dict:
    files = demo_payroll(plan_id).filter(pl.col("employee_id") == employee_id).sort("pay_date")
    return files.row(-1, named=True)


def test_match_window_for_the_demo_as_of_the_second_night(demo_db):
    found = report(demo_db, "match_window")
    with Database(demo_db, read_only=True) as db:
        active = db.frame(
            "SELECT plan_id, count(*) AS n FROM payroll_postings p WHERE pay_date = (SELECT max(pay_date) FROM "
            "payroll_postings q WHERE q.plan_id = p.plan_id) AND NOT EXISTS (SELECT 1 FROM terminations_in_force t "
            "WHERE t.plan_id = p.plan_id AND t.employee_id = p.employee_id AND t.termination_date <= DATE '2026-01-31') "
            "GROUP BY ALL")
    assert dict(found.group_by("plan_id").len().rows()) == dict(active.rows())
    # the run's summary counts them per plan and status
    summary = demo_db.with_name(f"summary-{NIGHT_2}.txt").read_text()
    for plan_id in ("acme", "globex"):
        counts = dict(found.filter(pl.col("plan_id") == plan_id).group_by("status").len().rows())
        assert (f"Match windows {plan_id}: {counts.get('in_window', 0)} in the window, {counts.get('below_window', 0)} "
                f"below it") in summary
    # 2026 has no payroll yet: everyone starts the year at zero with 26 biweekly pay dates to come.
    assert set(found["plan_year"]) == {2026} and set(found["remaining_pay_dates"]) == {26}
    # acme has a true-up: nothing is lost to the limit; every figure adds up.
    assert found.filter(pl.col("plan_id") == "acme")["match_lost"].sum() == 0
    assert (found["full_match"] == found["match_at_current_rate"] + found["match_lost"] + found["match_uncaptured"]).all()
    line = last_line("acme", "A00001")
    assert (line["plan_compensation"], line["pretax_deferral_pct"]) == ("3150.00", "6")
    a1 = found.filter(pl.col("employee_id") == "A00001").row(0, named=True)
    # $3,150.00 a period at 6%. Full match from 5% (acme's last tier). Highest rate: 25 pay dates before the last
    # may use at most the 2026 limit $24,500 less the $157.50 that 5% defers on the last one: $24,342.50 / 25 =
    # $973.70 a period, and 315,000 x bp / 10,000 < 97,370.5 gives bp <= 3,091: 30.91%. 6% is inside.
    assert (a1["min_full_match_rate_pct"], a1["max_rate_within_limit_pct"], a1["status"]) == (
        Decimal("5.00"), Decimal("30.91"), "in_window")
    # Full match $126.00 a period (3% = $94.50 + half of 2% = $31.50), 26 periods: $3,276.00, all earned.
    assert (a1["full_match"], a1["match_at_current_rate"]) == (Decimal("3276.00"), Decimal("3276.00"))


def test_projection_for_the_demo_adds_up_and_starts_from_the_balance(demo_db):
    found = report(demo_db, "projection")
    windows = report(demo_db, "match_window")
    assert found.height == windows.height
    with Database(demo_db, read_only=True) as db:
        full = db.frame("SELECT * FROM projections")
    assert (full["balance_now"] + full["contributions"] + full["growth"] == full["balance_at_retirement"]).all()
    balances = report(demo_db, "balances", as_of=NIGHT_2, plan_id="acme")
    a2 = full.filter(pl.col("employee_id") == "A00002").row(0, named=True)
    # The balance now is the balances report's, all sources.
    assert a2["balance_now"] == balances.filter(pl.col("employee_id") == "A00002")["balance"].sum()
    line = last_line("acme", "A00002")
    assert (line["plan_compensation"], line["pretax_deferral_pct"]) == ("2673.08", "25")
    # $2,673.08 a period x 26 = $69,500.08 a year at 25%; born 1982, 67 in 2049: 23 years from 2026.
    assert (a2["annual_compensation"], a2["deferral_rate_pct"], a2["retirement_year"], a2["years_to_retirement"]) == (
        Decimal("69500.08"), Decimal("25.00"), 2049, 23)
    assert (a2["annual_return_pct"], a2["inflation_pct"], a2["retirement_age"]) == (Decimal(6), Decimal("2.5"), 67)


# -- the commands ------------------------------------------------------------------------------------------------

def test_report_command_writes_csv_json_and_parquet_that_read_back(demo_db, tmp_path):
    runner = CliRunner()
    expected = report(demo_db, "deposits_due", plan_id="globex", year=2025)
    piped = runner.invoke(app, ["report", "deposits_due", "--plan", "globex", "--year", "2025", "--db", str(demo_db)])
    assert piped.exit_code == 0, piped.output
    # not a terminal: CSV by default, exact dollars
    back = pl.read_csv(io.StringIO(piped.stdout), schema_overrides={"amount": pl.Utf8}, try_parse_dates=True)
    assert back.height == expected.height and back["amount"].to_list() == [str(v) for v in expected["amount"]]
    as_json = runner.invoke(app, ["report", "deposits_due", "--plan", "globex", "--year", "2025", "--db",
                                  str(demo_db), "--format", "json"])
    records = json.loads(as_json.stdout)
    assert len(records) == expected.height and records[0]["amount"] == str(expected["amount"][0])
    assert records[0]["pay_date"] == "2025-01-03"
    out = tmp_path / "out" / "deposits.parquet"
    written = runner.invoke(app, ["report", "deposits_due", "--plan", "globex", "--year", "2025", "--db",
                                  str(demo_db), "--format", "parquet", "--out", str(out)])
    assert written.exit_code == 0 and pl.read_parquet(out).equals(expected)


def test_report_command_lists_and_refuses_clearly(demo_db):
    runner = CliRunner()
    listing = runner.invoke(app, ["report", "--list", "--db", str(demo_db)])
    assert listing.exit_code == 0
    for r in all_reports():
        assert r.name in listing.stdout
    for args, message in ((["report", "nope"], "no report named 'nope'"),
                          (["report", "balances", "--format", "xml"], "is not one of"),
                          (["report", "balances", "--format", "parquet"], "needs --out"),
                          (["report", "balances", "--as-of", "2026-13-01"], "not a date")):
        result = runner.invoke(app, [*args, "--db", str(demo_db)])
        assert result.exit_code == 2 and message in result.output, args


def test_project_command_prints_the_assumptions_and_writes_a_chart(demo_db, tmp_path):
    runner = CliRunner()
    chart = tmp_path / "a00002.svg"
    result = runner.invoke(app, ["project", "--plan", "acme", "--employee", "A00002", "--db", str(demo_db),
                                 "--plans", str(PLANS), "--chart", str(chart), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    stored = report(demo_db, "projection", plan_id="acme").filter(pl.col("employee_id") == "A00002").row(0, named=True)
    # the defaults give the figures the nightly run stored
    assert Decimal(data["balance_at_retirement"]) == stored["balance_at_retirement"]
    assert data["assumptions"]["annual_return_pct"] == "6" and data["as_of"] == "2026-01-31"
    assert chart.read_text().startswith("<?xml") and "acme/A00002" in chart.read_text()
    lower = runner.invoke(app, ["project", "--plan", "acme", "--employee", "A00002", "--db", str(demo_db),
                                "--plans", str(PLANS), "--chart", str(chart), "--format", "json", "--return", "4"])
    assert Decimal(json.loads(lower.stdout)["balance_at_retirement"]) < Decimal(data["balance_at_retirement"])
    table = runner.invoke(app, ["project", "--plan", "acme", "--employee", "A00002", "--db", str(demo_db),
                                "--plans", str(PLANS), "--chart", str(tmp_path / "c.png")])
    assert "annual return 6%" in table.stdout and "yearly level annuity over 25 years" in table.stdout
    assert (tmp_path / "c.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    leaver = runner.invoke(app, ["project", "--plan", "acme", "--employee", "A80001", "--db", str(demo_db),
                                 "--plans", str(PLANS)])
    assert leaver.exit_code == 2 and "is not an active participant" in leaver.output
    bad = runner.invoke(app, ["project", "--plan", "acme", "--employee", "A00002", "--db", str(demo_db),
                              "--plans", str(PLANS), "--return", "abc"])
    assert bad.exit_code == 2 and "--return" in bad.output
    assert not re.search(r"9[0-9]{2}-[0-9]{2}-[0-9]{4}", result.output + table.output)


def test_a_duplicated_calculator_row_fails_the_checks(demo_db, tmp_path):
    import shutil

    from pipelines.store.checks import run_checks

    db = tmp_path / "copy.duckdb"
    shutil.copy(demo_db, db)
    with Database(db) as database:
        assert run_checks(database) == []
        database.execute("INSERT INTO projections SELECT * FROM projections WHERE employee_id = 'A00002'")
        failures = run_checks(database)
    assert [(f.check, f.rows.rows()) for f in failures] == [
        ("calculator_rows_unique", [("projections", "acme", "A00002", 2)])]


def test_every_report_reads_back_from_csv_and_json(demo_db):
    runner = CliRunner()
    for r in all_reports():
        expected = report(demo_db, r.name)
        as_csv = runner.invoke(app, ["report", r.name, "--db", str(demo_db), "--format", "csv"])
        assert as_csv.exit_code == 0, (r.name, as_csv.output)
        back = pl.read_csv(io.StringIO(as_csv.stdout), infer_schema=False)
        assert back.columns == list(r.columns) and back.height == expected.height, r.name
        as_json = runner.invoke(app, ["report", r.name, "--db", str(demo_db), "--format", "json"])
        records = json.loads(as_json.stdout)
        assert len(records) == expected.height and (not records or list(records[0]) == list(r.columns)), r.name
    # a list column (rejections' first lines) is space-separated text in CSV, a list in JSON
    lines = pl.read_csv(io.StringIO(runner.invoke(app, ["report", "rejections", "--db", str(demo_db)]).stdout),
                        infer_schema=False)
    duplicated = lines.filter(pl.col("reason_code") == "duplicate_in_file")["first_lines"].item()
    assert len(duplicated.split(" ")) == 2  # G99903's two copies


def test_limit_watch_as_of_a_past_date_counts_what_was_posted_by_then(demo_db):
    # As of 2025-06-30: the room left is the $23,500 limit less the pre-tax and Roth posted by then (the
    # contributions_ytd report of the same date), and nobody projected has reached 402(g) by then.
    day = dt.date(2025, 6, 30)
    found = report(demo_db, "limit_watch", year=2025, as_of=day)
    projected = found.filter(pl.col("status") == "projected")
    assert projected.height > 0 and (projected["reached_on"] > day).all()
    posted = report(demo_db, "contributions_ytd", year=2025, as_of=day).filter(
        pl.col("source").is_in(["pretax", "roth"])).group_by("plan_id", "employee_id").agg(pl.col("amount").sum())
    joined = projected.join(posted, on=["plan_id", "employee_id"], how="left")
    assert (joined["room_left"] == Decimal("23500.00") - joined["amount"].fill_null(0)).all()
    reached = found.filter((pl.col("status") == "reached") & (pl.col("limit_name") == "402g"))
    assert reached.join(projected, on=["plan_id", "employee_id"], how="inner").height == 0
    assert (reached["reached_on"] <= day).all()


def calendar(ledger: Database, as_of: dt.date) -> dict:
    from pipelines.store import calculators, reports

    with reports.parameters(ledger, as_of=as_of):
        schedule = ledger.frame("SELECT * FROM pay_schedules").row(0, named=True)
        remaining = calculators.remaining_pay_dates(ledger, "acme", as_of)["pay_date"].to_list()
        active = calculators.active_participants(ledger, "acme", as_of)["employee_id"].to_list()
    missing = run_report(ledger, "missing_payrolls", as_of=as_of)["expected_pay_date"].to_list()
    return {"schedule": schedule, "remaining": remaining, "active": active, "missing": missing}


def test_a_first_and_fifteenth_payroll_is_semimonthly(post, ledger):
    # The 1st and the 15th, January to June 2025: six of the eleven gaps are 14 days (1st -> 15th), too few for
    # biweekly (80%); semimonthly on days 1 and 15. As of 20 June nothing is missing, and 12 pay dates are left in
    # 2025 after 15 June (1 and 15 July ... 1 and 15 December): 24 a year.
    days = [f"2025-{m:02d}-{d:02d}" for m in range(1, 7) for d in (1, 15)]
    for day in days:
        assert post(f"p_{day}.csv", make_csv([row("E1", pay_date=day)])).status == "posted"
    found = calendar(ledger, dt.date(2025, 6, 20))
    s = found["schedule"]
    assert (s["frequency"], s["periods_per_year"], s["month_day_1"], s["month_day_2"]) == ("semimonthly", 24, 1, 15)
    assert found["missing"] == []
    assert len(found["remaining"]) == 12 and found["remaining"][0] == dt.date(2025, 7, 1)


def test_an_off_cycle_payroll_is_not_the_calendar_nor_the_latest_payroll(post, ledger):
    # Weekly Fridays from 3 January to 28 March 2025 for E1 and E2, then a Tuesday 1 April bonus payroll for E1
    # alone. The calendar stays on Fridays (4, 11, 18 April ...), nothing is missing on 2 April, and both are
    # active: paid on the latest regular pay date, 28 March.
    for day in [(dt.date(2025, 1, 3) + dt.timedelta(days=7 * i)).isoformat() for i in range(13)]:
        rows = [row("E1", pay_date=day), row("E2", pay_date=day)]
        assert post(f"p_{day}.csv", make_csv(rows)).status == "posted"
    assert post("bonus.csv", make_csv([row("E1", pay_date="2025-04-01", gross_pay="5000.00")])).status == "posted"
    found = calendar(ledger, dt.date(2025, 4, 2))
    assert (found["schedule"]["frequency"], found["schedule"]["last_regular_pay_date"]) == ("weekly", dt.date(2025, 3, 28))
    assert found["missing"] == [] and found["active"] == ["E1", "E2"]
    assert found["remaining"][:2] == [dt.date(2025, 4, 4), dt.date(2025, 4, 11)]
    assert len(found["remaining"]) == 39  # 4 April to 26 December: 266 days = 38 weeks, 39 Fridays


def test_a_last_business_day_monthly_payroll(post, ledger):
    # Paid on the month's last weekday in 2025: 31 Jan, 28 Feb, 31 Mar, 30 Apr, 30 May (31st a Saturday), 30 Jun,
    # 31 Jul, 29 Aug (31st a Sunday). Monthly on the last day: each is within 3 days of its month's end, so nothing
    # is missing on 15 September; 30 September to 31 December are left (4).
    days = ["2025-01-31", "2025-02-28", "2025-03-31", "2025-04-30", "2025-05-30", "2025-06-30", "2025-07-31",
            "2025-08-29"]
    for day in days:
        assert post(f"p_{day}.csv", make_csv([row("E1", pay_date=day)])).status == "posted"
    found = calendar(ledger, dt.date(2025, 9, 15))
    assert (found["schedule"]["frequency"], found["schedule"]["month_day_1"]) == ("monthly", 31)
    assert found["missing"] == []
    assert found["remaining"] == [dt.date(2025, 9, 30), dt.date(2025, 10, 31), dt.date(2025, 11, 30),
                                  dt.date(2025, 12, 31)]
