"""The named reports (``sql/reports/<name>.sql``): one statement each, headed by what it answers, its parameters
and its columns. Every read-write open also creates each as a view ``report_<name>``; their parameters are DuckDB
session variables (``SET VARIABLE as_of = DATE '2025-12-31'``, ``SET VARIABLE year = 2025``) read by the macros
``report_as_of()`` and ``report_year()``, with the last completed run's as-of date as the default.

>>> [r.name for r in all_reports()][:3]
['balances', 'contributions_ytd', 'deposits_due']
>>> get_report("deposits_due").columns[:3]
('plan_id', 'pay_date', 'source')
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

import polars as pl

from pipelines.resources import REPORTS_DIR
from pipelines.store.db import Database


class UnknownReportError(KeyError):
    """No ``sql/reports/<name>.sql``."""


@dataclass(frozen=True)
class Report:
    name: str
    description: str
    parameters: str
    columns: tuple[str, ...]
    sql: str

    @property
    def view(self) -> str:
        return f"report_{self.name}"


def _parse(path) -> Report:  # noqa: ANN001 - a Path
    sql = path.read_text(encoding="utf-8")
    header = dict(re.findall(r"^-- (report|parameters|columns): (.*)$", sql, re.MULTILINE))
    missing = {"report", "parameters", "columns"} - header.keys()
    if missing:
        raise AssertionError(f"{path}: the header must say {sorted(missing)} (-- report: ..., -- parameters: ..., -- columns: ...)")
    columns = tuple(c.strip() for c in header["columns"].split(","))
    return Report(path.stem, header["report"].strip(), header["parameters"].strip(), columns, sql)


@functools.cache
def all_reports() -> tuple[Report, ...]:
    """Every report, by name."""
    return tuple(_parse(p) for p in sorted(REPORTS_DIR.glob("*.sql")))


def get_report(name: str) -> Report:
    for report in all_reports():
        if report.name == name:
            return report
    raise UnknownReportError(name)


def run_report(
    db: Database, name: str, *, plan_id: str | None = None, year: int | None = None, as_of: date | None = None
) -> pl.DataFrame:
    """The report's rows, for one plan or all, with the session's ``year`` and ``as_of`` set (or reset to their
    defaults). Runs the report's own SQL, so a database whose views an older release created still answers."""
    report = get_report(name)
    sql = report.sql.rstrip().rstrip(";")
    with parameters(db, as_of=as_of, year=year):
        if plan_id is None:
            return db.frame(sql)
        return db.frame(f"SELECT * FROM (\n{sql}\n) AS report WHERE plan_id = $plan_id", {"plan_id": plan_id})


@contextmanager
def parameters(db: Database, *, as_of: date | None = None, year: int | None = None) -> Iterator[None]:
    """For a block, the session's report parameters (``report_as_of()``, ``report_year()``: read by the report
    views and the pay-calendar views ``pay_schedules`` and ``expected_pay_dates``); one not given keeps its default.
    Both are reset to their defaults afterwards."""
    # Typed values only (a date, an int): formatting them into SET VARIABLE cannot inject SQL.
    db.execute(f"SET VARIABLE as_of = DATE '{as_of.isoformat()}'" if as_of is not None else "RESET VARIABLE as_of")
    db.execute(f"SET VARIABLE year = {int(year)}" if year is not None else "RESET VARIABLE year")
    try:
        yield
    finally:
        db.execute("RESET VARIABLE as_of")
        db.execute("RESET VARIABLE year")
