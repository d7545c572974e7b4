"""The ``plans`` table: each plan's rules as the run read them from its plan file, replaced at every run."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl

from pipelines.store.db import Database
from schemas.plan import PlanConfig

_PCT = pl.Decimal(5, 2)


def plan_rows(configs: list[PlanConfig], files: dict[str, Path], as_of: date, run_id: str) -> pl.DataFrame:
    """One row per plan, the columns of ``sql/ddl/160_plans.sql``."""
    rows = []
    for c in configs:
        rows.append({
            "plan_id": c.plan_id, "name": c.name,
            "match_tiers": [{"up_to_pct": t.up_to_pct, "rate_pct": t.rate_pct} for t in c.match.tiers],
            "match_catch_up": c.match.match_catch_up,
            "full_match_deferral_pct": None if c.match.full_match_bp is None else Decimal(c.match.full_match_bp) / 100,
            "catch_up_enabled": c.catch_up.enabled, "catch_up_age_60_63": c.catch_up.age_60_63,
            "roth_catch_up_for_high_earners": c.catch_up.roth_for_high_earners,
            "true_up_enabled": c.true_up.enabled, "true_up_on": c.true_up.on,
            "true_up_requires_last_day_employment": c.true_up.requires_last_day_employment,
            "true_up_min_hours": c.true_up.min_hours, "nonelective_pct": c.nonelective.pct,
            "vesting_schedule": list(c.vesting.schedule), "vesting_method": c.vesting.method,
            "normal_retirement_age": c.vesting.normal_retirement_age,
            "cash_out_limit": c.distributions.cash_out_limit, "force_out_limit": c.distributions.force_out_limit,
            "exclude_rollovers_from_force_out": c.distributions.exclude_rollovers_from_force_out,
            "plan_file_sha256": hashlib.sha256(files[c.plan_id].read_bytes()).hexdigest(),
            "loaded_as_of": as_of, "run_id": run_id,
        })
    schema = {
        "plan_id": pl.Utf8, "name": pl.Utf8,
        "match_tiers": pl.List(pl.Struct({"up_to_pct": _PCT, "rate_pct": pl.Decimal(7, 2)})),
        "match_catch_up": pl.Boolean, "full_match_deferral_pct": _PCT, "catch_up_enabled": pl.Boolean,
        "catch_up_age_60_63": pl.Boolean, "roth_catch_up_for_high_earners": pl.Utf8, "true_up_enabled": pl.Boolean,
        "true_up_on": pl.Utf8, "true_up_requires_last_day_employment": pl.Boolean,
        "true_up_min_hours": pl.Decimal(9, 2), "nonelective_pct": _PCT, "vesting_schedule": pl.List(_PCT),
        "vesting_method": pl.Utf8, "normal_retirement_age": pl.Int32, "cash_out_limit": pl.Decimal(18, 2),
        "force_out_limit": pl.Decimal(18, 2), "exclude_rollovers_from_force_out": pl.Boolean,
        "plan_file_sha256": pl.Utf8, "loaded_as_of": pl.Date, "run_id": pl.Utf8,
    }
    return pl.DataFrame(rows, schema=schema)


def replace_plans(db: Database, rows: pl.DataFrame) -> None:
    """Make ``rows`` the current rules of their plans (other plans' rows stay: their history is still here)."""
    db.run("plans/clear", wanted_ids=rows.select("plan_id"))
    db.append("plans", rows)
