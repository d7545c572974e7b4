"""Shared test helpers: tiny payroll files built from dicts, plan files, a ledger in tmp_path, and one
session-wide Prefect test harness for the few flow tests."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import polars as pl
import pytest

from pipelines.store import Database
from pipelines.limits import load_irs_limits
from pipelines.balances_batch import process_balances_file
from pipelines.census_batch import process_census_file
from pipelines.distributions_batch import process_distributions_file
from pipelines.file_batch import FileResult
from pipelines.payroll_batch import process_payroll_file
from schemas.plan import PlanConfig, parse_plan_text

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")  # no network here; keep the logs quiet

COLUMNS = (
    "employee_id", "date_of_birth", "hire_date", "pay_date", "gross_pay", "pretax_deferral_pct",
    "roth_deferral_pct", "plan_compensation", "termination_date", "termination_reason",
)

ACME_TOML = """
plan_id = "acme"
name = "Acme Corp 401(k) Plan"
[match]
tiers = [ { up_to_pct = 3, rate_pct = 100 }, { up_to_pct = 5, rate_pct = 50 } ]
match_catch_up = true
[catch_up]
enabled = true
age_60_63 = true
"""


def row(
    employee_id: str = "E1",
    date_of_birth: str = "1980-06-15",
    hire_date: str = "2020-01-01",
    pay_date: str = "2025-01-10",
    gross_pay: str = "1000.00",
    pretax_deferral_pct: str = "5",
    **optional: str,
) -> dict[str, str]:
    """One payroll row as text, valid unless told otherwise."""
    return {
        "employee_id": employee_id, "date_of_birth": date_of_birth, "hire_date": hire_date, "pay_date": pay_date,
        "gross_pay": gross_pay, "pretax_deferral_pct": pretax_deferral_pct, **optional,
    }


def make_csv(rows: list[dict[str, str]], columns: tuple[str, ...] = COLUMNS, line_end: str = "\n",
             bom: bool = False) -> bytes:
    """A payroll file's bytes; values are written as given (quote them yourself if they hold commas)."""
    lines = [",".join(columns)] + [",".join(r.get(c, "") for c in columns) for r in rows]
    return (("\ufeff" if bom else "") + line_end.join(lines) + line_end).encode("utf-8")


@pytest.fixture(scope="session")
def limits() -> pl.DataFrame:
    return load_irs_limits()


@pytest.fixture()
def acme_plan() -> PlanConfig:
    return parse_plan_text(ACME_TOML, "acme.toml")


@pytest.fixture()
def ledger(tmp_path: Path):
    with Database(tmp_path / "test.duckdb") as db:
        yield db


@pytest.fixture()
def post(ledger: Database, tmp_path: Path, limits: pl.DataFrame, acme_plan: PlanConfig):
    """post(name, bytes, plan=acme) writes INBOX/acme/payroll/<name> and processes it into ``ledger``."""

    def _post(name: str, data: bytes, plan: PlanConfig | None = acme_plan, plan_id: str = "acme") -> FileResult:
        path = tmp_path / "INBOX" / plan_id / "payroll" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return process_payroll_file(
            ledger, plan_id=plan_id, plan=plan, path=path, file_name=f"{plan_id}/payroll/{name}",
            run_id="test-run", limits=limits,
        )

    return _post


@pytest.fixture()
def post_kind(ledger: Database, tmp_path: Path, limits: pl.DataFrame, acme_plan: PlanConfig):
    """post_kind(kind, name, text, as_of, plan=acme): write INBOX/<plan>/<kind>/<name> (CSV text) and process it
    with that kind's processor, as the nightly run would on ``as_of`` (an ISO date)."""
    processors = {"census": process_census_file, "balances": process_balances_file, "payroll": process_payroll_file,
                  "distributions": process_distributions_file}

    def _post(kind: str, name: str, text: str, as_of: str, plan: PlanConfig | None = None) -> FileResult:
        plan = plan or acme_plan
        path = tmp_path / "INBOX" / plan.plan_id / kind / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return processors[kind](
            ledger, plan_id=plan.plan_id, plan=plan, path=path, file_name=f"{plan.plan_id}/{kind}/{name}",
            run_id="test-run", limits=limits, as_of=dt.date.fromisoformat(as_of),
        )

    return _post


def ledger_amounts(ledger: Database, employee_id: str | None = None) -> dict[tuple[str, str], str]:
    """{(effective_date, source): amount as text} for one person (or all), for compact assertions."""
    where = "WHERE employee_id = ?" if employee_id else ""
    rows = ledger.frame(
        f"SELECT effective_date::VARCHAR d, source, amount::VARCHAR a FROM ledger {where} ORDER BY 1, 2",
        [employee_id] if employee_id else None,
    )
    return {(d, s): a for d, s, a in rows.iter_rows()}


def typed_payroll(pay_dates: list[str], born: str, comp_cents: int, pretax_bp: int, roth_bp: int = 0,
                  employee_id: str = "E1", prior_year_wages_cents: int | None = None) -> pl.DataFrame:
    """A typed payroll frame (as validation hands it to the rules) for one person, one row per pay date."""
    n = len(pay_dates)
    return pl.DataFrame({
        "employee_id": [employee_id] * n,
        "pay_date": [dt.date.fromisoformat(d) for d in pay_dates],
        "line_number": list(range(2, n + 2)),
        "date_of_birth": [dt.date.fromisoformat(born)] * n,
        "plan_compensation_cents": [comp_cents] * n,
        "gross_pay_cents": [comp_cents] * n,
        "pretax_deferral_bp": [pretax_bp] * n,
        "roth_deferral_bp": [roth_bp] * n,
        "loan_repayment_cents": [0] * n,
        "prior_year_wages_cents": pl.Series([prior_year_wages_cents] * n, dtype=pl.Int64),
    })


def biweekly(start: str, count: int) -> list[str]:
    first = dt.date.fromisoformat(start)
    return [(first + dt.timedelta(days=14 * i)).isoformat() for i in range(count)]


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory, prefect_harness) -> Path:  # noqa: ARG001 - the harness runs the flows
    """`make demo`'s database, built once a session (tests that change it work on a copy): the first night as of
    2026-01-15, the second as of 2026-01-31; each night's printed summary beside it as ``summary-<as-of>.txt``."""
    from typer.testing import CliRunner

    from pipelines.cli import app

    demo = Path(__file__).resolve().parent.parent / "fixtures" / "demo"
    db = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    for inbox, as_of in ((demo / "INBOX", "2026-01-15"), (demo / "INBOX-2026-01-31", "2026-01-31")):
        result = CliRunner().invoke(app, ["run", "--inbox", str(inbox), "--plans", str(demo / "PLANS"), "--db", str(db),
                                          "--as-of", as_of])
        assert result.exit_code == 0, result.output
        db.with_name(f"summary-{as_of}.txt").write_text(result.output)
    return db


@pytest.fixture(scope="session", autouse=True)
def _working_folder(tmp_path_factory):
    """Every test runs in a folder of its own session's: commands that write beside the working folder by default
    (the morning report's ``reports/``) never write into the repository."""
    folder = tmp_path_factory.mktemp("cwd")
    previous = os.getcwd()
    os.chdir(folder)
    yield folder
    os.chdir(previous)


@pytest.fixture(scope="session")
def prefect_harness():
    """One temporary Prefect API for the whole session (starting one costs 5-15 s)."""
    import logging

    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield
        # Its "stopping server" message would go to a stream pytest has already closed.
        logging.getLogger("prefect").setLevel(logging.WARNING)
