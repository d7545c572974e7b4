"""Where the project's SQL and seed files live (inside the repo, or beside the installed package)."""

from __future__ import annotations

from pathlib import Path

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
DDL_DIR = SQL_DIR / "ddl"
SEEDS_DIR = SQL_DIR / "seeds"
CHECKS_DIR = SQL_DIR / "checks"
IRS_LIMITS_CSV = SEEDS_DIR / "irs_limits.csv"
