"""The morning report: files posted through the real per-file path and the real derived steps into a ledger in
tmp_path, a RunReport built from their results the way the nightly flow builds it (no Prefect), then what
:mod:`pipelines.morning_report` says about them: what to act on and in which order, totals by hand, grouped
rejections, limits, true-ups, forfeitures, notices, no personal data, and the files it writes."""

from __future__ import annotations

import datetime as dt
import json
import re

import polars as pl
import pytest

from conftest import ACME_TOML, COLUMNS, make_csv, row
from pipelines import morning_report
from pipelines.derived import STEPS
from pipelines.file_batch import FileResult
from pipelines.flows import PROCESSORS, RunReport, Unrecognised
from pipelines.store import CheckFailure, Database, calculators, payroll, rmd, rollover
from pipelines.store.checks import check_names, run_checks
from schemas.plan import parse_plan_text

RUN_ID = "test-run"  # the run id conftest's post and post_kind give every batch; the report reads this run's
AS_OF = dt.date(2026, 1, 31)  # the 2025 true-up is due on 01-31 of the next year
PLAN_TOML = ACME_TOML + (
    '[true_up]\nenabled = true\n[vesting]\nschedule = [0, 0, 20, 40, 60, 80, 100]\nmethod = "elapsed"\n'
)
CENSUS = (
    "employee_id,date_of_birth,hire_date,termination_date,termination_reason,first_name,last_name,ssn\n"
    "P1001,1980-06-15,2020-01-01,,,Ada,Lovelace,987-65-4329\n"
    "P1002,1981-03-03,2019-05-01,,,Grace,Hopper,\n"
    "P1003,1985-02-02,2023-01-01,2025-12-31,voluntary,,,\n"
)
#: What the report must never show: names, the SSN and its last four, a date of birth, a rejected value, and the
#: employee ids of people no action needs.
PERSONAL = ("Ada", "Lovelace", "Grace", "Hopper", "987-65-4329", "4329", "1980-06-15", "2025-13-45", "P1001",
            "P1003", "P1004", "P1005")


@pytest.fixture(scope="module")
def night(tmp_path_factory, limits):
    """One night of plan acme through the real per-file path (census, then payroll in the order given, then every
    derived step), plus a failed and a not-run file of plan beta, a failed check and inbox entries no kind reads:
    (the open database, the RunReport). Built once for the module (conftest's ``post`` and ``post_kind`` are
    per-test fixtures; this posts the same way, under their run id): the tests only read it."""
    plan = parse_plan_text(PLAN_TOML, "acme.toml")
    root = tmp_path_factory.mktemp("morning")
    with Database(root / "test.duckdb") as db:

        def post(kind: str, name: str, data: bytes) -> FileResult:
            path = root / "INBOX" / "acme" / kind / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            return PROCESSORS[kind](db, plan_id="acme", plan=plan, path=path, file_name=f"acme/{kind}/{name}",
                                    run_id=RUN_ID, limits=limits, as_of=AS_OF)

        yield db, _post_night(db, plan, limits, post)


def _post_night(db, plan, limits, post) -> RunReport:
    files: list[FileResult] = [post("census", "2026-01-31.csv", CENSUS.encode())]
    first = make_csv([
        row("P1001", pay_date="2025-01-24", gross_pay="1000.00", pretax_deferral_pct="5"),
        row("P1002", date_of_birth="1981-03-03", hire_date="2019-05-01", pay_date="2025-01-24", gross_pay="30000.00",
            pretax_deferral_pct="80"),
        row("P1003", date_of_birth="1985-02-02", hire_date="2023-01-01", pay_date="2025-01-24", gross_pay="2000.00",
            pretax_deferral_pct="5"),
        row("P1004", pay_date="2025-13-45"),  # line 5: bad_format pay_date
        row("P1005", gross_pay=""),  # line 6: missing_value gross_pay
    ])
    no_pay_date = make_csv([row("P1001", pay_date="2025-03-21")], tuple(c for c in COLUMNS if c != "pay_date"))
    for name, data in (
        ("2025-01-24.csv", first),
        ("2025-01-10.csv", make_csv([row("P1001", pay_date="2025-01-10")])),  # before 01-24: posted_out_of_order
        ("2025-02-07.csv", make_csv([row("P1002", date_of_birth="1981-03-03", hire_date="2019-05-01",
                                         pay_date="2025-02-07", gross_pay="30000.00", pretax_deferral_pct="80")])),
        ("2025-03-07-bad.csv", make_csv([row("P1001", pay_date="2025-13-45"), row("P1002", gross_pay="-5")])),
        ("2025-03-21-nocol.csv", no_pay_date),  # rejected whole: missing_column
        ("2025-01-24-copy.csv", first),  # skipped: already posted
        ("2025-01-24-again.csv", first),  # skipped: already posted
        ("2025-03-21-nocol-again.csv", no_pay_date),  # skipped: rejected before
    ):
        files.append(post("payroll", name, data))
    for _, step in STEPS:
        files.extend(step(db, plan, as_of=AS_OF, run_id=RUN_ID, limits=limits))
    files += [
        FileResult("beta", "beta/payroll/2025-01-10.csv", "failed", "beta-1-1",
                   error="internal error (KeyError) while processing; nothing from this file was posted"),
        FileResult("beta", "beta/payroll/2025-01-24.csv", "not_run", None,
                   error="not processed: an earlier file of this plan failed"),
    ]
    assert run_checks(db, RUN_ID) == []
    return RunReport(
        run_id=RUN_ID, as_of=AS_OF, files=files,
        check_failures=[CheckFailure("deferrals_within_402g", pl.DataFrame(
            {"plan_id": ["acme"], "employee_id": ["P1002"], "plan_year": [2025]}))],
        rmd_counts=list(rmd.status_counts(db, AS_OF.year - 1, AS_OF.year).iter_rows()),
        rollover_counts=list(rollover.category_counts(db).iter_rows()),
        window_counts=list(calculators.status_counts(db).iter_rows()),
        settlements=list(payroll.run_variances_and_excess(db, RUN_ID).iter_rows()),
        unrecognised=[
            Unrecognised("acme", "acme/Payroll", "a folder no kind reads (did you mean payroll/?)"),
            Unrecognised("gamma", "gamma/notes.txt", "a file directly in the plan folder: put it in <kind>/"),
            Unrecognised(None, "stray.csv", "a file outside any plan folder (files go in <plan>/<kind>/)"),
        ],
        unreadable_plans=["gamma"],
        left_for_next_run=[("acme/payroll/2025-04-04.csv", "its size changed while the run looked")],
        checks_run=check_names(),
    )


@pytest.fixture(scope="module")
def data(night) -> dict:
    db, report = night
    return morning_report.build(db, report)


def test_act_on_lists_failures_first_and_names_a_file_whose_rows_were_all_rejected(data):
    assert [(a["kind"], a["plan_id"], a["subject"]) for a in data["act_on"]] == [
        ("check_failed", "acme", "deferrals_within_402g"),
        ("internal_error", "beta", "beta/payroll/2025-01-10.csv"),
        ("file_rejected", "acme", "acme/payroll/2025-03-21-nocol.csv"),
        ("all_rows_rejected", "acme", "acme/payroll/2025-03-07-bad.csv"),
        ("unreadable_plan", "gamma", "gamma/"),
        ("unrecognised_file", "acme", "acme/Payroll"),
        ("unrecognised_file", "gamma", "gamma/notes.txt"),
        ("unrecognised_file", None, "stray.csv"),
        ("not_run", "beta", "beta/payroll/2025-01-24.csv"),
    ]
    # The check names the employee the administrator must look up; the all-rejected file its top reasons.
    assert data["act_on"][0]["detail"] == "1 row breaks it (planadmin check shows them); employees P1002"
    assert data["act_on"][3]["detail"] == (
        "all 2 rows rejected: negative_money (gross_pay) 1, bad_format (pay_date) 1")  # equal counts: precedence
    assert "missing_column" in data["act_on"][2]["detail"] or "pay_date" in data["act_on"][2]["detail"]
    files = {f["file"]: f["outcome"] for f in data["plans"]["acme"]["files"]}
    assert files["acme/payroll/2025-03-07-bad.csv"] == "all rows rejected"
    assert files["acme/payroll/2025-03-21-nocol.csv"] == "rejected"
    assert [k.value for k in morning_report.ActionKind][:4] == [
        "check_failed", "internal_error", "file_rejected", "all_rows_rejected"]
    assert data["run"]["ok"] is False


def test_counts_totals_by_source_and_skipped_files_once(data):
    assert data["run"]["counts"] == {
        # census + 01-24 + 01-10 + 02-07 posted; 03-07-bad all rejected; nocol rejected; 3 skipped; beta's two.
        "files_posted": 4, "files_all_rows_rejected": 1, "files_rejected": 1, "files_skipped": 3,
        "files_failed": 1, "files_not_run": 1,
        "derived_batches": 2,  # the 2025 true-up and the terminations
        # rows: census 3 + 5 + 1 + 1 + 2 (all rejected) + nocol 1 (rejected with its file) = 13 read;
        # posted 3 + 3 + 1 + 1 = 8; rejected 2 + 2 + 1 = 5.
        "rows_read": 13, "rows_posted": 8, "rows_rejected": 5,
        "unrecognised": 3, "left_for_next_run": 1,
    }
    acme = data["plans"]["acme"]
    assert acme["skipped"] == {"already_posted": 2, "rejected_before": 1}  # one count per plan, no row each
    assert not any("copy" in f["file"] or "again" in f["file"] for f in acme["files"])
    assert acme["posted_by_source"] == {
        # pre-tax: P1001 5% of $1,000.00 = $50.00 on 01-10 and on 01-24; P1003 5% of $2,000.00 = $100.00;
        # P1002 80% of $30,000.00 = $24,000.00 stops at 402(g) $23,500.00 on 01-24, and $0 on 02-07 (no room).
        # 50 + 50 + 100 + 23,500 = $23,700.00.
        "pretax": "23700.00",
        # match 100% of the first 3% + 50% of the next 2%: P1001 $30.00 + $10.00 = $40.00 twice; P1003 $60.00 +
        # $20.00 = $80.00; P1002 $900.00 + $300.00 = $1,200.00 on 01-24, $0 on 02-07. 80 + 80 + 1,200 = $1,360.00.
        "match": "1360.00",
        # True-up of 2025: P1002's year: pay $60,000.00, deferral $23,500.00 (39%): 3% $1,800.00 + 50% of 2%
        # $600.00 = $2,400.00, less the $1,200.00 matched = $1,200.00 (P1001 and P1003 were matched in full).
        "match_true_up": "1200.00",
        # P1003 hired 2023-01-01, left 2025-12-31: 2 completed years, 20% vested: $80.00 match x 80% = $64.00.
        "forfeiture match": "-64.00",
    }
    assert acme["true_ups"] == [
        {"file": "acme/true-up/2025", "plan_year": 2025, "status": "posted", "people": 3, "amount": "1200.00"}]
    assert acme["terminations"] == {"processed": 1, "by_vesting_basis": {"schedule": 1},
                                    "forfeited": {"match": "64.00"}, "forfeited_total": "64.00"}
    assert data["plans"]["beta"]["files"][0]["outcome"] == "failed"
    assert list(data["plans"]) == ["acme", "beta", "gamma"]
    assert data["plans"]["gamma"]["unreadable"] is True and data["plans"]["gamma"]["files"] == []


def test_rejections_are_grouped_with_line_numbers_not_people(data):
    assert [(g["file"], g["reason_code"], g["column"], g["rows"], g["first_lines"])
            for g in data["plans"]["acme"]["rejected_rows"]] == [
        ("acme/payroll/2025-01-24.csv", "missing_value", "gross_pay", 1, [6]),
        ("acme/payroll/2025-01-24.csv", "bad_format", "pay_date", 1, [5]),
        ("acme/payroll/2025-03-07-bad.csv", "negative_money", "gross_pay", 1, [3]),
        ("acme/payroll/2025-03-07-bad.csv", "bad_format", "pay_date", 1, [2]),
    ]  # per file in reject-code precedence (schemas/reasons.py), not line order


def test_limits_reached_and_notices_by_code(data):
    acme = data["plans"]["acme"]
    # P1002's $24,000.00 election crossed 402(g) ($23,500.00 in 2025) on 2025-01-24: one person reached it.
    assert acme["limits"] == [{"limit": "402g", "source": None, "people": 1, "amount": None}]
    # The 01-10 file came after the 01-24 one for P1001.
    assert [(n["code"], n["notices"]) for n in acme["notices"]] == [("posted_out_of_order", 1)]
    assert acme["notices"][0]["meaning"].startswith("a pay date before one already posted")
    assert acme["leavers"] and sum(acme["leavers"].values()) == 1  # P1003, vested $16.00


def test_checks_listed_with_the_failure(data):
    checks = {c["name"]: c for c in data["checks"]}
    assert set(checks) == set(check_names())
    assert checks["deferrals_within_402g"] == {"name": "deferrals_within_402g", "passed": False, "failing_rows": 1}
    assert sum(c["passed"] for c in data["checks"]) == len(check_names()) - 1


def _values(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _values(v)
    elif isinstance(value, list):
        for v in value:
            yield from _values(v)
    else:
        yield value


def test_json_round_trips_with_money_as_exact_strings(data):
    assert json.loads(json.dumps(data)) == data
    assert all(v is None or isinstance(v, (str, int, bool)) for v in _values(data))  # no floats, no dates
    acme = data["plans"]["acme"]
    amounts = [*acme["posted_by_source"].values(), acme["terminations"]["forfeited_total"],
               *(f["amount_posted"] for f in acme["files"] if f["outcome"] != "rejected")]
    assert [f["amount_posted"] for f in data["plans"]["beta"]["files"]] == [None, None]  # nothing was posted
    assert all(re.fullmatch(r"-?\d+\.\d{2}", a) for a in amounts)
    # The 01-24 file: pre-tax 50 + 23,500 + 100 = $23,650.00 and match 40 + 1,200 + 80 = $1,320.00: $24,970.00.
    assert {f["file"]: f["amount_posted"] for f in acme["files"]}["acme/payroll/2025-01-24.csv"] == "24970.00"


def test_markdown_has_the_sections_in_order_and_no_personal_data(night, data):
    md = morning_report.to_markdown(data)
    assert md.startswith("# Nightly report 2026-01-31 (run test-run)\n")
    sections = [line for line in md.splitlines() if line.startswith("## ")]
    assert sections == ["## Act on", "## Plan acme", "## Plan beta", "## Plan gamma", "## Left for the next run",
                        "## Not read", "## Checks"]
    act_on = md.split("## Act on")[1].split("## Plan acme")[0]
    assert "all rows rejected" in act_on and act_on.index("check failed") < act_on.index("all rows rejected")
    assert "| acme/payroll/2025-03-07-bad.csv | all rows rejected |" in md
    assert "2 skipped as already posted" in md
    # The census's names and SSN reached the database, never the report.
    assert night[0].frame("SELECT count(*) FROM census_lines WHERE ssn_last4 = '4329'").item() == 1
    text = json.dumps(data)
    for secret in PERSONAL:
        assert secret not in md, secret
        assert secret not in text, secret
    # The one employee id shown is the check's, in what to act on.
    assert "P1002" not in json.dumps({k: v for k, v in data.items() if k != "act_on"})
    assert md.count("P1002") == 1


def test_an_empty_night_has_nothing_to_act_on(ledger):
    data = morning_report.build(ledger, RunReport(run_id="0123456789abcdef", as_of=AS_OF, checks_run=["a_check"]))
    md = morning_report.to_markdown(data)
    assert data["act_on"] == [] and data["plans"] == {} and data["run"]["ok"] is True
    assert md.startswith("# Nightly report 2026-01-31 (run 01234567)\n")
    assert "## Act on\n\nNothing to act on.\n" in md
    assert "1 of 1 invariant checks passed." in md


def test_write_keeps_an_earlier_runs_report_for_the_same_date(ledger, tmp_path):
    reports = tmp_path / "REPORTS" / "nightly"

    def run(run_id: str) -> tuple:
        data = morning_report.build(ledger, RunReport(run_id=run_id, as_of=AS_OF))
        return morning_report.write(reports, data, morning_report.to_markdown(data))

    assert run("3f2a9c1d0000") == (reports / "2026-01-31.md", reports / "2026-01-31.json")
    run("77aa55bb1111")
    run("77aa55bb1111")  # the same run writing again replaces its own report
    assert sorted(p.name for p in reports.iterdir()) == [
        "2026-01-31.json", "2026-01-31.md", "2026-01-31.run-3f2a9c1d.json", "2026-01-31.run-3f2a9c1d.md"]
    assert json.loads((reports / "2026-01-31.json").read_text())["run"]["run_id"] == "77aa55bb1111"
    assert json.loads((reports / "2026-01-31.run-3f2a9c1d.json").read_text())["run"]["run_id"] == "3f2a9c1d0000"
    assert (reports / "2026-01-31.run-3f2a9c1d.md").read_text().startswith("# Nightly report 2026-01-31 (run 3f2a9c1d)")
    # A third run keeps the second's too.
    run("c0ffee001234")
    assert (reports / "2026-01-31.run-77aa55bb.md").exists() and (reports / "2026-01-31.run-3f2a9c1d.md").exists()
