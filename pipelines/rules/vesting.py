"""Vesting on termination: years of service, the vested percent, and the forfeiture of what is not vested.

Pure functions over polars frames. Employee money (pre-tax, Roth, catch-ups, rollovers) is always 100%
vested and never appears here; each employer source (match, true-up, nonelective) is split into a vested
part, rounded half-up to the cent, and the forfeited rest, so ``vested + forfeited = balance`` exactly.

Input frames
------------
``terminated``: ``employee_id``, ``date_of_birth``, ``hire_date``, ``termination_date``,
``termination_reason``, ``prior_vesting_years`` (null counts 0), and optionally ``first_entry_date`` (the
person's earliest ledger entry, null when none) with ``has_payroll`` (any payroll of theirs posted here), and
``first_hire_date`` (the earliest hire date reported).
``hours``: ``employee_id``, ``plan_year``, ``hours_worked_hundredths`` (payroll hours per calendar year).
``balances``: ``employee_id``, ``source``, ``balance_cents`` (each employer source's ledger balance) and,
optionally, ``paid_cents`` (what was paid out of it before: counted as accrued, so the vested part left is
P × (balance + paid) − paid).
"""

from __future__ import annotations

import polars as pl

from pipelines.money import BP_PER_UNIT, pct_of
from schemas.sources import EMPLOYER_SOURCES
from schemas.payroll import age_at
from schemas.plan import VestingConfig

#: IRC §411(a)(5)(A) / 29 CFR 2530.200b-2: a year of service is a 12-month computation period (here the
#: calendar year) with at least 1,000 hours of service.
HOURS_FOR_A_YEAR_OF_SERVICE = 1_000
FULLY_VESTING_REASONS = ("death", "disability")

TERMINATION_SCHEMA = {
    "employee_id": pl.Utf8,
    "termination_date": pl.Date,
    "termination_reason": pl.Utf8,
    "years_of_service": pl.Int32,
    "vested_bp": pl.Int64,
    "vesting_basis": pl.Utf8,
    "employer_balance_cents": pl.Int64,
    "vested_employer_balance_cents": pl.Int64,
    "forfeited_cents": pl.Int64,
}


def years_of_service(terminated: pl.DataFrame, hours: pl.DataFrame, method: str) -> pl.Series:
    """Completed years of vesting service at termination, per row of ``terminated``, prior service included.

    ``"elapsed"``: whole years from hire date to termination date (the anniversary itself completes a year).
    ``"hours"``: calendar years up to the termination year with at least 1,000 payroll hours.

    Examples
    --------
    >>> import polars as pl, datetime as dt
    >>> t = pl.DataFrame({"employee_id": ["A", "B"], "hire_date": [dt.date(2020, 3, 1)] * 2,
    ...     "termination_date": [dt.date(2023, 2, 28), dt.date(2023, 3, 1)], "prior_vesting_years": [None, 1]})
    >>> h = pl.DataFrame(schema={"employee_id": pl.Utf8, "plan_year": pl.Int32, "hours_worked_hundredths": pl.Int64})
    >>> years_of_service(t, h, "elapsed").to_list()  # A: a day short of 3 years; B: 3 years + 1 prior
    [2, 4]
    """
    prior = pl.col("prior_vesting_years").fill_null(0).cast(pl.Int32)
    if method == "elapsed":
        service = terminated.select((age_at(pl.col("termination_date"), pl.col("hire_date")) + prior).alias("years"))
        return service["years"].alias("years_of_service")
    if method != "hours":
        raise ValueError(f"unknown vesting method {method!r}")
    qualifying = (
        hours.join(terminated.select("employee_id", "termination_date"), on="employee_id", how="inner")
        .filter(
            (pl.col("plan_year") <= pl.col("termination_date").dt.year())
            & (pl.col("hours_worked_hundredths") >= HOURS_FOR_A_YEAR_OF_SERVICE * 100)
        )
        .group_by("employee_id")
        .agg(pl.len().cast(pl.Int32).alias("_years"))
    )
    counted = terminated.join(qualifying, on="employee_id", how="left", maintain_order="left")
    return counted.select((pl.col("_years").fill_null(0) + prior).alias("years_of_service"))["years_of_service"]


def vested_percent(terminated: pl.DataFrame, hours: pl.DataFrame, vesting: VestingConfig) -> pl.DataFrame:
    """``terminated`` with ``years_of_service``, ``vested_bp`` (basis points) and ``vesting_basis``, the first
    that applies:

    * ``prior_recordkeeper`` (100% of the stated balance): no payroll of the person was posted here and the
      ledger's first entry for them is dated after the termination (given ``first_entry_date`` and
      ``has_payroll``), so the termination predates the plan's records here and the prior recordkeeper's
      vesting stands (a conversion must not forfeit twice);
    * ``hire_date_changed`` (100%, nothing forfeited): the hire date on record is later than the first one
      reported (given ``first_hire_date``): a rehire, whose earlier service and breaks in service, or a
      corrected date, need a plan administrator's decision;
    * ``death`` or ``disability`` (100%);
    * ``normal_retirement_age`` (100%: that age reached at termination);
    * else ``schedule``.
    """
    years = years_of_service(terminated, hours, vesting.method)
    last = len(vesting.schedule) - 1
    schedule_bp = {n: vesting.pct_bp_after(n) for n in range(last + 1)}
    at_nra = age_at(pl.col("termination_date"), pl.col("date_of_birth")) >= vesting.normal_retirement_age
    before_records = (
        ~pl.col("has_payroll") & (pl.col("first_entry_date") > pl.col("termination_date"))
        if "first_entry_date" in terminated.columns
        else pl.lit(False)
    )
    rehired = (
        pl.col("first_hire_date") < pl.col("hire_date") if "first_hire_date" in terminated.columns else pl.lit(False)
    )
    basis = (
        pl.when(before_records)
        .then(pl.lit("prior_recordkeeper"))
        .when(rehired)
        .then(pl.lit("hire_date_changed"))
        .when(pl.col("termination_reason").is_in(FULLY_VESTING_REASONS))
        .then(pl.col("termination_reason"))
        .when(at_nra)
        .then(pl.lit("normal_retirement_age"))
        .otherwise(pl.lit("schedule"))
    )
    return terminated.with_columns(years).with_columns(
        basis.alias("vesting_basis"),
        pl.when(basis == "schedule")
        .then(pl.col("years_of_service").clip(0, last).replace_strict(schedule_bp, return_dtype=pl.Int64))
        .otherwise(pl.lit(BP_PER_UNIT, pl.Int64))
        .alias("vested_bp"),
    )


def compute_forfeitures(
    terminated: pl.DataFrame, hours: pl.DataFrame, balances: pl.DataFrame, vesting: VestingConfig
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One row per termination (see ``TERMINATION_SCHEMA``) and the forfeiture amounts per person and employer
    source (``employee_id``, ``source``, ``amount_cents`` negative; zero amounts are left out).

    Examples
    --------
    >>> import polars as pl, datetime as dt
    >>> from schemas.plan import VestingConfig
    >>> t = pl.DataFrame({"employee_id": ["A"], "date_of_birth": [dt.date(1980, 1, 1)],
    ...     "hire_date": [dt.date(2021, 6, 1)], "termination_date": [dt.date(2024, 6, 1)],
    ...     "termination_reason": ["voluntary"], "prior_vesting_years": [None]})
    >>> h = pl.DataFrame(schema={"employee_id": pl.Utf8, "plan_year": pl.Int32, "hours_worked_hundredths": pl.Int64})
    >>> b = pl.DataFrame({"employee_id": ["A"], "source": ["match"], "balance_cents": [100_001]})
    >>> rows, entries = compute_forfeitures(t, h, b, VestingConfig(schedule=(0, 0, 20, 40, 60, 80, 100)))
    >>> rows.select("years_of_service", "vested_bp", "vested_employer_balance_cents", "forfeited_cents").row(0)
    (3, 4000, 40000, 60001)
    >>> entries.rows()  # 40% of $1,000.01 = $400.004 -> $400.00 vested; $600.01 forfeited
    [('A', 'match', -60001)]
    """
    vested = vested_percent(terminated, hours, vesting)
    employer = balances.filter(pl.col("source").is_in(EMPLOYER_SOURCES))
    paid = pl.col("paid_cents").fill_null(0) if "paid_cents" in balances.columns else pl.lit(0, pl.Int64)
    if employer.filter(pl.col("balance_cents") < 0).height:
        raise AssertionError("an employer source has a negative balance at termination")
    split = (
        employer.join(vested.select("employee_id", "vested_bp"), on="employee_id", how="inner")
        .with_columns(
            # With money already paid out of the source (D), the vested part left is P x (balance + D) - D, never
            # below zero nor above the balance (Treas. Reg. 1.411(a)-7(d)(5)(iii)).
            (pct_of(pl.col("balance_cents") + paid, pl.col("vested_bp")) - paid)
            .clip(lower_bound=0).clip(upper_bound=pl.col("balance_cents")).alias("vested_cents")
        )
        .with_columns((pl.col("balance_cents") - pl.col("vested_cents")).alias("forfeited_cents"))
    )
    per_person = split.group_by("employee_id").agg(
        pl.col("balance_cents").sum().alias("employer_balance_cents"),
        pl.col("vested_cents").sum().alias("vested_employer_balance_cents"),
        pl.col("forfeited_cents").sum(),
    )
    rows = (
        vested.join(per_person, on="employee_id", how="left", maintain_order="left")
        .with_columns(
            pl.col(c).fill_null(0)
            for c in ("employer_balance_cents", "vested_employer_balance_cents", "forfeited_cents")
        )
        .select(TERMINATION_SCHEMA.keys())
        .cast(TERMINATION_SCHEMA)
        .sort("employee_id")
    )
    if rows.filter(
        pl.col("forfeited_cents") + pl.col("vested_employer_balance_cents") != pl.col("employer_balance_cents")
    ).height:
        raise AssertionError("forfeited + vested differs from the employer balance")
    entries = (
        split.filter(pl.col("forfeited_cents") != 0)
        .select("employee_id", "source", (0 - pl.col("forfeited_cents")).alias("amount_cents"))
        .sort("employee_id", "source")
    )
    return rows, entries


def forfeiture_top_ups(forfeitable: pl.DataFrame) -> pl.DataFrame:
    """Forfeitures still owed by processed terminations: employer money that arrived after processing (a final
    paycheck's match, a year-end true-up, a late statement) loses its non-vested share at the vested percent
    recorded then. ``forfeitable``: ``employee_id``, ``source``, ``vested_bp``, ``subject_cents`` (all money
    subject to vesting so far), ``forfeited_cents`` (forfeited so far), ``balance_cents`` (the source's balance
    now: a forfeiture never takes more). Returns ``employee_id``, ``source``, ``amount_cents`` (negative), only
    where more is owed; nothing is ever given back automatically.

    Examples
    --------
    >>> import polars as pl
    >>> f = pl.DataFrame({"employee_id": ["A", "B", "C"], "source": ["match"] * 3, "vested_bp": [4000] * 3,
    ...     "subject_cents": [120_000, 100_000, 120_000], "forfeited_cents": [60_000] * 3,
    ...     "balance_cents": [48_000, 40_000, 10_000]})
    >>> # A: 1,200.00 subject, 60% not vested = 720.00 owed, 600.00 forfeited -> 120.00 more; B: settled;
    >>> # C: 120.00 owed but only 100.00 left in the source (losses since) -> 100.00
    >>> forfeiture_top_ups(f).rows()
    [('A', 'match', -12000), ('C', 'match', -10000)]
    """
    owed = pl.col("subject_cents") - pct_of(pl.col("subject_cents"), pl.col("vested_bp"))
    more = pl.min_horizontal(owed - pl.col("forfeited_cents"), pl.col("balance_cents"))
    return (
        forfeitable.with_columns(more.alias("_more"))
        .filter(pl.col("_more") > 0)
        .select("employee_id", "source", (0 - pl.col("_more")).alias("amount_cents"))
        .sort("employee_id", "source")
    )
