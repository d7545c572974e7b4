"""The forfeiture account: what a plan year's forfeitures of a source hold, and the uses an administrator records
(``forfeiture_uses``, append only)."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timezone
from decimal import Decimal

import polars as pl

from pipelines.store.db import Database

USES = ("plan_expenses", "reduce_employer_contributions", "allocate", "reversal")


def account(db: Database, plan_id: str, plan_year: int, source: str) -> dict | None:
    """``forfeited``, ``used`` (Decimal dollars) and ``first_forfeited_on``; None when nothing was forfeited."""
    found = db.query("forfeitures/account", {"plan_id": plan_id, "plan_year": plan_year, "source": source})
    return found.row(0, named=True) if found.height else None


def use_id(plan_id: str, plan_year: int, source: str, used_on: date, use: str, amount: Decimal,
           reference: str | None) -> str:
    """The use's idempotency key: a hash of its business key (JSON-encoded, so no separator can collide).

    >>> use_id("acme", 2026, "match", date(2026, 3, 1), "plan_expenses", Decimal("100.00"), None)[:12]
    '85353edfd91a'
    """
    key = [plan_id, str(plan_year), source, used_on.isoformat(), use, f"{amount:.2f}", reference]
    return hashlib.sha256(json.dumps(key).encode()).hexdigest()[:32]


def is_recorded(db: Database, uid: str) -> bool:
    """Whether the use with this id was recorded."""
    return bool(db.frame("SELECT count(*) AS n FROM forfeiture_uses WHERE use_id = $id", {"id": uid})["n"].item())


def record_use(db: Database, plan_id: str, plan_year: int, source: str, used_on: date, use: str, amount: Decimal,
               reference: str | None) -> tuple[str, bool]:
    """Append the use (the caller holds the transaction); (use_id, False) when the same use was recorded before."""
    uid = use_id(plan_id, plan_year, source, used_on, use, amount, reference)
    if is_recorded(db, uid):
        return uid, False
    db.append("forfeiture_uses", pl.DataFrame({
        "use_id": [uid], "plan_id": [plan_id], "plan_year": [plan_year], "source": [source], "used_on": [used_on],
        "use": [use], "amount": [amount], "reference": [reference],
        "recorded_at": [datetime.now(timezone.utc).replace(tzinfo=None)],
    }, schema={"use_id": pl.Utf8, "plan_id": pl.Utf8, "plan_year": pl.Int32, "source": pl.Utf8, "used_on": pl.Date,
               "use": pl.Utf8, "amount": pl.Decimal(18, 2), "reference": pl.Utf8, "recorded_at": pl.Datetime("us")}))
    return uid, True
