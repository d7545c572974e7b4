"""Required minimum distributions: who must take one, for which years, how much, and what is left to take.

Pure functions over polars frames; the figures come from the seed tables (:mod:`pipelines.rmd_tables`).

* **Applicable age** by date of birth (``sql/seeds/rmd_applicable_ages.csv``): 70½, 72, 73 or 75. 70½ is
  reached on the day six calendar months after the 70th birthday (Treas. Reg. §1.401(a)(9)-2 Q&A-3).
* **First distribution year**: the year that age is reached; or, when later, for a participant who is not a
  more-than-5% owner (``ownership_pct`` > 5) and has no termination dated by 31 December of that year, the
  year they terminate (IRC §401(a)(9)(C)(i)(II)): still working, nothing is due yet. The **required beginning
  date** is 1 April of the following year, the first year's deadline; every later year's is 31 December.
* **Amount** for distribution year Y: the balance on 31 December of Y−1, Roth sources excluded from 2024
  (SECURE 2.0 §325), divided by the Uniform Lifetime Table's period for the age reached in Y, or by the Joint
  and Last Survivor Table's for both ages when the spouse is the sole beneficiary and more than 10 years
  younger (Treas. Reg. §1.401(a)(9)-5(c)); half-up to the cent. A zero balance owes nothing and gets no row.
* **Taken**: distributions of every type but ``corrective`` paid in Y. For the first year, those paid from
  1 January to 1 April of the next year count toward it first, up to its RMD; the rest count toward the
  second year. Remaining = max(0, RMD − taken); the excise if missed is the seed's rate of the remaining
  amount (25%, or 10% when corrected in time, from 2023: IRC §4974 as amended by SECURE 2.0 §302).
* Participants whose termination reason is ``death`` get no participant RMD: beneficiaries' RMDs are not
  computed here (:func:`deceased` lists them for review).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from pipelines.money import BP_PER_UNIT, div_round_half_up, pct_of
from pipelines.rmd_tables import RmdTableError, RmdTables
from schemas.payroll import date_reached

#: SECURE 2.0 §325: designated Roth accounts in employer plans need no pre-death RMDs from 2024.
ROTH_EXEMPT_FROM_YEAR = 2024
#: More than this share of the employer (in basis points: 5%) makes a participant a 5% owner, IRC §416(i)(1)(B).
FIVE_PCT_OWNER_BP = 500
#: Joint and Last Survivor Table only when the spouse is *more than* this many years younger.
SPOUSE_AGE_GAP_YEARS = 10
TABLE_AGE_CAP = 120  # both tables: "120 and older"
NOT_COUNTED_TYPES = ("corrective",)

NOTICE_COLUMNS = (
    "employee_id", "distribution_year", "age", "spouse_age", "applicable_age", "first_distribution_year",
    "required_beginning_date", "deadline", "prior_year_end_balance_cents", "distribution_period_tenths",
    "table_used", "rmd_cents", "taken_cents", "remaining_cents", "excise_if_missed_cents",
    "excise_if_corrected_cents", "status",
)


def _date(year: pl.Expr, month: int, day: int) -> pl.Expr:
    return pl.date(year, pl.lit(month), pl.lit(day))


def schedule(people: pl.DataFrame, tables: RmdTables) -> pl.DataFrame:
    """``people`` (``employee_id``, ``date_of_birth``, ``termination_date``, ``ownership_bp``) with
    ``applicable_age`` (text, as in the law), ``applicable_age_date`` (the day it is reached),
    ``first_distribution_year`` and ``required_beginning_date`` (both null while the still-working exception
    applies).

    >>> import datetime as dt
    >>> p = pl.DataFrame({"employee_id": ["A", "B"], "date_of_birth": [dt.date(1949, 6, 30), dt.date(1949, 7, 1)],
    ...                   "termination_date": [dt.date(2010, 1, 1)] * 2, "ownership_bp": [None, None]},
    ...                  schema_overrides={"ownership_bp": pl.Int64})
    >>> from pipelines.rmd_tables import load_rmd_tables
    >>> s = schedule(p, load_rmd_tables())
    >>> s.select("applicable_age", "applicable_age_date", "first_distribution_year").rows()
    [('70.5', datetime.date(2019, 12, 30), 2019), ('72', datetime.date(2021, 7, 1), 2021)]
    """
    cohorts = tables.applicable_ages.select("born_on_or_after", "born_on_or_before", "applicable_age_months",
                                            "applicable_age")
    joined = (
        people.with_row_index("_order").sort("date_of_birth")
        .join_asof(cohorts, left_on="date_of_birth", right_on="born_on_or_after", strategy="backward")
        .sort("_order").drop("_order")
    )
    uncovered = joined.filter(
        pl.col("applicable_age_months").is_null() | (pl.col("date_of_birth") > pl.col("born_on_or_before"))
    )
    if uncovered.height:
        raise RmdTableError(
            f"no RMD applicable age for dates of birth {sorted(set(uncovered['date_of_birth'].to_list()))[:5]}: "
            "add the cohort to sql/seeds/rmd_applicable_ages.csv"
        )
    months = pl.col("applicable_age_months")
    reached = date_reached(pl.col("date_of_birth"), months)
    age_year = reached.dt.year()
    year_end = _date(age_year, 12, 31)
    still_working = (
        (pl.col("ownership_bp").fill_null(0) <= FIVE_PCT_OWNER_BP)
        & (pl.col("termination_date").is_null() | (pl.col("termination_date") > year_end))
    )
    first_year = (
        pl.when(still_working).then(pl.col("termination_date").dt.year()).otherwise(age_year).cast(pl.Int32)
    )
    return joined.with_columns(
        reached.alias("applicable_age_date"),
        first_year.alias("first_distribution_year"),
        _date(first_year + 1, 4, 1).alias("required_beginning_date"),
    ).drop("born_on_or_after", "born_on_or_before", "applicable_age_months")


def deceased(people: pl.DataFrame) -> pl.DataFrame:
    """The participants whose termination reason is ``death``: no participant RMD, a beneficiary review."""
    return people.filter(pl.col("termination_reason") == "death")


def _periods(rows: pl.DataFrame, tables: RmdTables) -> pl.DataFrame:
    """``distribution_period_tenths`` and ``table_used`` per row (``age``, ``spouse_age``, ``is_joint``)."""
    too_early = rows.filter(pl.col("distribution_year") < tables.in_force_from_year)
    if too_early.height:
        raise RmdTableError(
            f"distribution years {sorted(set(too_early['distribution_year'].to_list()))} are before the life-"
            f"expectancy tables in sql/seeds/ ({tables.in_force_from_year} on): add the tables in force then"
        )
    uniform = tables.uniform.rename({"period_tenths": "_uniform"})
    joint = tables.joint.rename({"period_tenths": "_joint"})
    looked_up = (
        rows.with_columns(
            pl.col("age").clip(upper_bound=TABLE_AGE_CAP).alias("_age"),
            pl.col("spouse_age").clip(upper_bound=TABLE_AGE_CAP).alias("_spouse_age"),
        )
        .join(uniform, left_on="_age", right_on="age", how="left", maintain_order="left")
        .join(joint, left_on=["_age", "_spouse_age"], right_on=["owner_age", "spouse_age"], how="left",
              maintain_order="left")
    )
    period = pl.when(pl.col("is_joint")).then(pl.col("_joint")).otherwise(pl.col("_uniform"))
    missing = looked_up.filter(period.is_null())
    if missing.height:
        raise RmdTableError(
            "no distribution period for ages (participant, spouse) "
            f"{sorted(set(missing.select('age', 'spouse_age').rows()))[:5]} in sql/seeds/"
        )
    return looked_up.with_columns(
        period.alias("distribution_period_tenths"),
        pl.when(pl.col("is_joint")).then(pl.lit("joint_and_last_survivor")).otherwise(pl.lit("uniform_lifetime"))
        .alias("table_used"),
    ).drop("_age", "_spouse_age", "_uniform", "_joint")


def _paid_by_year(paid: pl.DataFrame) -> pl.DataFrame:
    """Per person and calendar year: everything paid (``paid_cents``) and, of it, what was paid from 1 January to
    1 April (``paid_by_april_cents``), corrective distributions left out."""
    counted = paid.filter(~pl.col("distribution_type").is_in(NOT_COUNTED_TYPES))
    year = pl.col("paid_date").dt.year().cast(pl.Int32)
    by_april = pl.col("paid_date") <= _date(year, 4, 1)
    return counted.group_by("employee_id", year.alias("paid_year")).agg(
        pl.col("gross_cents").sum().alias("paid_cents"),
        pl.col("gross_cents").filter(by_april).sum().alias("paid_by_april_cents"),
    )


def compute_notices(
    people: pl.DataFrame, balances: pl.DataFrame, paid: pl.DataFrame, as_of: date, tables: RmdTables
) -> pl.DataFrame:
    """One row per living participant and distribution year due or past due in the as-of year or the year
    before (columns :data:`NOTICE_COLUMNS`).

    ``people``: ``employee_id``, ``date_of_birth``, ``termination_date``, ``termination_reason``,
    ``ownership_bp``, ``spouse_date_of_birth``, ``spouse_is_sole_beneficiary``. ``balances``: ``employee_id``,
    ``year_end`` (a calendar year), ``balance_cents`` and ``roth_cents`` (the Roth sources' part) on its
    31 December, for the three years before the as-of year. ``paid``: ``employee_id``, ``paid_date``,
    ``gross_cents``, ``distribution_type``, paid from 1 January two years before the as-of year.
    """
    this_year = as_of.year
    # Two years are reported; the one before them is computed too, since a first year's RMD decides how much
    # of the next year's January-to-April distributions count toward the next year.
    years = pl.DataFrame({"distribution_year": list(range(this_year - 2, this_year + 1))},
                         schema={"distribution_year": pl.Int32})
    living = schedule(people.filter(pl.col("termination_reason").fill_null("") != "death"), tables)
    rows = (
        living.filter(pl.col("first_distribution_year").is_not_null()).join(years, how="cross")
        .filter(pl.col("distribution_year") >= pl.col("first_distribution_year"))
        # That earlier year only serves the window; before the tables in force (2022) it is not computed (its
        # deadline, 1 April of the year before the as-of year, has passed anyway).
        .filter((pl.col("distribution_year") >= this_year - 1)
                | (pl.col("distribution_year") >= tables.in_force_from_year))
        .with_columns(
            (pl.col("distribution_year") - pl.col("date_of_birth").dt.year()).cast(pl.Int32).alias("age"),
            (pl.col("distribution_year") - pl.col("spouse_date_of_birth").dt.year()).cast(pl.Int32).alias("spouse_age"),
            pl.when(pl.col("distribution_year") == pl.col("first_distribution_year"))
            .then(pl.col("required_beginning_date"))
            .otherwise(_date(pl.col("distribution_year"), 12, 31)).alias("deadline"),
        )
        .with_columns(
            (pl.col("spouse_is_sole_beneficiary").fill_null(False)
             & (pl.col("age") - pl.col("spouse_age") > SPOUSE_AGE_GAP_YEARS).fill_null(False)).alias("is_joint"),
        )
        # The spouse's age matters (and is shown) only when it chose the joint table.
        .with_columns(pl.when(pl.col("is_joint")).then(pl.col("spouse_age")).alias("spouse_age"))
    )
    year_end = balances.select(
        "employee_id", (pl.col("year_end") + 1).cast(pl.Int32).alias("distribution_year"), "balance_cents", "roth_cents"
    )
    rows = rows.join(year_end, on=["employee_id", "distribution_year"], how="left").with_columns(
        (pl.col("balance_cents").fill_null(0)
         - pl.when(pl.col("distribution_year") >= ROTH_EXEMPT_FROM_YEAR).then(pl.col("roth_cents").fill_null(0))
         .otherwise(0)).alias("prior_year_end_balance_cents"),
    ).filter(pl.col("prior_year_end_balance_cents") > 0)
    rows = _periods(rows, tables).with_columns(
        div_round_half_up(pl.col("prior_year_end_balance_cents") * 10, pl.col("distribution_period_tenths"))
        .alias("rmd_cents")
    )
    paid_by_year = _paid_by_year(paid)
    rows = (
        rows.join(paid_by_year.rename({"paid_year": "distribution_year"}), on=["employee_id", "distribution_year"],
                  how="left")
        .join(paid_by_year.select("employee_id", (pl.col("paid_year") - 1).alias("distribution_year"),
                                  pl.col("paid_by_april_cents").alias("next_by_april_cents")),
              on=["employee_id", "distribution_year"], how="left")
        .with_columns(pl.col("paid_cents", "paid_by_april_cents", "next_by_april_cents").fill_null(0))
    )
    is_first = pl.col("distribution_year") == pl.col("first_distribution_year")
    # Of the next year's 1 January to 1 April distributions, what the first year still needed.
    toward_first = pl.when(is_first).then(
        pl.min_horizontal((pl.col("rmd_cents") - pl.col("paid_cents")).clip(lower_bound=0), pl.col("next_by_april_cents"))
    ).otherwise(0)
    rows = rows.with_columns(toward_first.alias("_toward_first")).sort("employee_id", "distribution_year")
    counted_before = (
        pl.when(pl.col("distribution_year") == pl.col("first_distribution_year") + 1)
        .then(pl.col("_toward_first").shift(1).over("employee_id")).otherwise(0).fill_null(0)
    )
    rows = rows.with_columns((pl.col("paid_cents") + pl.col("_toward_first") - counted_before).alias("taken_cents"))
    rows = rows.with_columns((pl.col("rmd_cents") - pl.col("taken_cents")).clip(lower_bound=0).alias("remaining_cents"))
    rows = _with_excise(rows.filter(pl.col("distribution_year") >= this_year - 1), tables)
    status = (
        pl.when(pl.col("remaining_cents") == 0).then(pl.lit("satisfied"))
        .when(pl.col("deadline") < pl.lit(as_of)).then(pl.lit("overdue"))
        .otherwise(pl.lit("due"))
    )
    return rows.with_columns(status.alias("status")).select(NOTICE_COLUMNS)


def _with_excise(rows: pl.DataFrame, tables: RmdTables) -> pl.DataFrame:
    rates = tables.excise
    joined = rows.join_where(
        rates, pl.col("distribution_year") >= pl.col("from_year"), pl.col("distribution_year") <= pl.col("through_year")
    )
    if joined.height != rows.height:
        missing = set(rows["distribution_year"].to_list()) - set(joined["distribution_year"].to_list())
        raise RmdTableError(f"no RMD excise rate for distribution years {sorted(missing)} in sql/seeds/rmd_excise_rates.csv")
    bp = BP_PER_UNIT // 100
    return joined.with_columns(
        pct_of(pl.col("remaining_cents"), pl.col("excise_pct") * bp).alias("excise_if_missed_cents"),
        pct_of(pl.col("remaining_cents"), pl.col("corrected_excise_pct") * bp).alias("excise_if_corrected_cents"),
    ).sort("employee_id", "distribution_year")
