"""The invariant checks: ``sql/checks/*.sql``, each returning the rows that break an invariant (none expected)."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from pipelines.resources import CHECKS_DIR
from pipelines.store.db import Database


@dataclass(frozen=True)
class CheckFailure:
    check: str
    rows: pl.DataFrame


def check_names() -> list[str]:
    return [check.stem for check in sorted(CHECKS_DIR.glob("*.sql"))]


def run_checks(db: Database, run_id: str | None = None) -> list[CheckFailure]:
    """Run every check. With ``run_id``, the per-year checks look only at the (plan, year) pairs that run's
    batches posted to (``check_years``, see ``sql/views/050_check_years.sql``): earlier runs proved the rest and
    the ledger is append only, so a night's checks cost what its years hold, not all history. Without it,
    every pair (``planadmin check``)."""
    scoped = run_id is not None
    if scoped:
        db.run("checks/scope_years", {"run_id": run_id})
    db.run("checks/scope_contributions")
    try:
        failures = []
        for check in sorted(CHECKS_DIR.glob("*.sql")):
            rows = db.frame(check.read_text(encoding="utf-8"))
            if rows.height:
                failures.append(CheckFailure(check.stem, rows))
        return failures
    finally:
        db.execute("DROP TABLE IF EXISTS temp.main.contributions_by_person_year")
        if scoped:
            db.execute("DROP TABLE IF EXISTS temp.main.check_years")
