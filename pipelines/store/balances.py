"""Balances: the ledger's entries that are not payroll amounts, the ``balance_by_year`` state kept with every
entry, and the reads that need a balance (statements, employer balances at termination).

Every write of money goes through :func:`add_balance_changes` in the same transaction, payroll's wide rows
included (:mod:`pipelines.store.payroll`), so the state always equals the ledger
(``sql/checks/balance_by_year_matches_ledger.sql``).
"""

from __future__ import annotations

import polars as pl

from pipelines.store.convert import dec
from pipelines.store.db import Database
from pipelines.store.runs import BatchRecord, insert_batch, insert_rejections

_KEY = ["plan_id", "employee_id", "source", "year"]


def _fold_changes(rows: pl.DataFrame) -> pl.DataFrame:
    """One row per (plan, person, source, year), as the upsert would fold them row by row."""
    return rows.group_by(_KEY, maintain_order=True).agg(
        pl.col("net_change").sum(), pl.col("entries").sum(), pl.col("first_effective_date").min()
    )


def add_balance_changes(db: Database, plan_id: str, amounts: pl.DataFrame) -> None:
    """Add entries (``employee_id``, ``source``, ``effective_date``, ``amount_cents``; zero amounts are not
    entries) to ``balance_by_year``, by the calendar year of their effective date."""
    changes = (
        amounts.filter(pl.col("amount_cents") != 0)
        .group_by("employee_id", "source", pl.col("effective_date").dt.year().cast(pl.Int32).alias("year"))
        .agg(pl.col("amount_cents").sum().alias("net_cents"), pl.len().cast(pl.Int64).alias("entries"),
             pl.col("effective_date").min().alias("first_effective_date"))
        .select(pl.lit(plan_id).alias("plan_id"), "employee_id", "source", "year",
                dec("net_cents").alias("net_change"), "entries", "first_effective_date")
    )
    db.write("balances/add_changes", changes, combine=_fold_changes)


def post_entries(db: Database, b: BatchRecord, entries: pl.DataFrame, entry_type: str | None = None) -> None:
    """Append ledger entries (``employee_id, effective_date, plan_year, source, amount_cents, line_number``,
    and ``entry_type`` unless all are of type ``entry_type``) and their balance changes."""
    rows = entries.select(
        pl.lit(b.plan_id).alias("plan_id"),
        "employee_id",
        "effective_date",
        pl.col("plan_year").cast(pl.Int32),
        pl.col("entry_type") if entry_type is None else pl.lit(entry_type).alias("entry_type"),
        "source",
        dec("amount_cents").alias("amount"),
        pl.lit(b.batch_id).alias("batch_id"),
        pl.col("line_number").cast(pl.Int32),
    )
    db.write("balances/insert_entries", rows)
    add_balance_changes(db, b.plan_id, entries)


def latest_statements(db: Database, plan_id: str, keys: pl.DataFrame) -> pl.DataFrame:
    """Per (employee_id, source) of ``keys``: the newest imported statement's date (``latest_statement_date``)
    and the newest forfeiture's (``latest_forfeiture_date``), either may be null."""
    return db.query("balances/latest_statements", {"plan_id": plan_id},
                    wanted_keys=keys.select("employee_id", "source").unique())


def balances_on(db: Database, plan_id: str, keys: pl.DataFrame) -> pl.DataFrame:
    """Per (employee_id, source, as_of_date) of ``keys``: the ledger's balance from entries dated on or before
    that day (``ledger_balance_cents``) and whether there are any (``has_entries``)."""
    return db.query("balances/balances_on", {"plan_id": plan_id},
                    wanted_keys=keys.select("employee_id", "source", "as_of_date").unique())


def employer_balances(db: Database, plan_id: str, employee_ids: pl.Series) -> pl.DataFrame:
    """Each person's balance per employer source (all entry types: contributions and earnings)."""
    return db.query("balances/employer_balances", {"plan_id": plan_id},
                    wanted_ids=employee_ids.unique().to_frame("employee_id"))


def post_statements(db: Database, b: BatchRecord, statements: pl.DataFrame, rejections: pl.DataFrame) -> None:
    """A balances file: its statements, the entries that make the ledger agree with them, its rejections and
    batch row."""
    entries = statements.filter(pl.col("amount_cents") != 0).select(
        "employee_id",
        pl.col("as_of_date").alias("effective_date"),
        pl.col("as_of_date").dt.year().alias("plan_year"),
        "entry_type",
        "source",
        "amount_cents",
        "line_number",
    )
    rows = statements.select(
        pl.lit(b.plan_id).alias("plan_id"),
        "employee_id",
        "source",
        "as_of_date",
        dec("statement_balance_cents").alias("statement_balance"),
        dec("ledger_balance_cents").alias("ledger_balance"),
        dec("amount_cents").alias("amount"),
        "entry_type",
        pl.lit(b.batch_id).alias("batch_id"),
        pl.col("line_number").cast(pl.Int32),
    )
    insert_batch(db, b)
    db.append("balance_statements", rows)
    post_entries(db, b, entries)
    insert_rejections(db, b, rejections)
