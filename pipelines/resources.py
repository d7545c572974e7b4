"""Where the project's SQL and seed files live (inside the repo, or beside the installed package)."""

from __future__ import annotations

from pathlib import Path

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
DDL_DIR = SQL_DIR / "ddl"
MACROS_DIR = SQL_DIR / "macros"
VIEWS_DIR = SQL_DIR / "views"
QUERIES_DIR = SQL_DIR / "queries"
MIGRATIONS_DIR = SQL_DIR / "migrations"
SEEDS_DIR = SQL_DIR / "seeds"
CHECKS_DIR = SQL_DIR / "checks"
REPORTS_DIR = SQL_DIR / "reports"
IRS_LIMITS_CSV = SEEDS_DIR / "irs_limits.csv"
