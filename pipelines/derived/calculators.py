"""The participant calculators as a derived step: every night, for each plan, every active participant's match
window for the rest of the year (:mod:`pipelines.rules.match_window`) and retirement projection under the default
assumptions (:mod:`pipelines.rules.projection`) replace the plan's rows in ``match_windows`` and ``projections``,
in one transaction. Nothing is posted.

Active: paid on the plan's latest regular pay date on or before the as-of date (an off-cycle payroll after it does
not count), with no termination in force by then. The calendar is the plan's observed pay frequency (view
``pay_schedules``): the year's remaining pay dates are those it still expects after that date (a payroll that is
late still counts as to come). A plan whose payroll has
no regular frequency (fewer than two pay dates, or irregular gaps) gets no rows: neither calculator can say what
the rest of the year holds. Year-to-date state is the as-of year's: in January, before the year's first payroll,
everyone starts the year at zero with the rates of their latest line.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from pipelines.file_batch import FileResult
from pipelines.limits import limits_for_years
from pipelines.money import BP_PER_UNIT, div_round_half_up, hundredths_to_decimal, pct_of
from pipelines.rules.contributions import attach_limits
from pipelines.rules.match_window import match_window
from pipelines.rules.projection import Assumptions, project_years, summarize
from pipelines.store import Database, calculators, reports
from pipelines.store.convert import dec
from schemas.plan import PlanConfig


def window_people(active: pl.DataFrame, remaining: int, year: int, limits: pl.DataFrame,
                  plan: PlanConfig) -> pl.DataFrame:
    """The match-window rules' input: rates, the period's pay and what is left of each room this year."""
    frame = attach_limits(
        active.with_columns(pl.lit(year, pl.Int32).alias("plan_year")), limits_for_years(limits, [year]),
        plan.catch_up,
    )
    return frame.select(
        "employee_id", "plan_year", "period_compensation_cents", "pretax_deferral_bp", "roth_deferral_bp",
        pl.lit(remaining, pl.Int64).alias("remaining_periods"),
        (pl.col("regular_limit_cents") - pl.col("ytd_regular_room_used_cents")).clip(lower_bound=0)
        .alias("regular_room_left_cents"),
        (pl.col("catch_up_limit_cents") - pl.col("ytd_catch_up_cents")).clip(lower_bound=0)
        .alias("catch_up_room_left_cents"),
        (pl.col("compensation_limit_cents") - pl.col("ytd_plan_compensation_cents")).clip(lower_bound=0)
        .alias("compensation_room_left_cents"),
    )


def window_rows(windows: pl.DataFrame, active: pl.DataFrame, dates: pl.DataFrame, frequency: str, as_of: date,
                run_id: str) -> pl.DataFrame:
    """``match_windows`` rows: rates as percents, money as dollars, the limit's period as its pay date."""
    period_dates = dates.select(pl.col("period").cast(pl.Int64).alias("projected_limit_period"),
                                pl.col("pay_date").alias("limit_reached_on"))

    def pct(column: str) -> pl.Expr:
        return hundredths_to_decimal(pl.col(column), 5)

    return (
        windows.join(active.select("employee_id", "period_compensation_cents"), on="employee_id", how="left")
        .with_columns(pl.col("projected_limit_period").cast(pl.Int64))
        .join(period_dates, on="projected_limit_period", how="left")
        .select(
            pl.col("employee_id"), pl.col("plan_year").cast(pl.Int32), pl.lit(as_of).alias("as_of"),
            pl.lit(frequency).alias("pay_frequency"), pl.col("remaining_periods").cast(pl.Int32).alias("remaining_pay_dates"),
            pl.lit(dates["pay_date"].min() if dates.height else None, pl.Date).alias("next_pay_date"),
            pl.lit(dates["pay_date"].max() if dates.height else None, pl.Date).alias("last_pay_date_of_year"),
            dec("period_compensation_cents").alias("period_compensation"), pct("current_bp").alias("current_rate_pct"),
            pct("min_full_match_bp").alias("min_full_match_rate_pct"),
            pct("max_no_limit_bp").alias("max_rate_within_limit_pct"), "status", "window_note",
            dec("match_at_current_rate_cents").alias("match_at_current_rate"), dec("full_match_cents").alias("full_match"),
            dec("match_lost_cents").alias("match_lost"), dec("match_uncaptured_cents").alias("match_uncaptured"),
            "limit_reached_on", pl.lit(run_id).alias("run_id"),
        )
    )


def projection_people(active: pl.DataFrame, periods_per_year: int) -> pl.DataFrame:
    """The projection's input: the latest period's pay × the plan's periods a year as this year's pay."""
    return active.select(
        "employee_id", "date_of_birth", "balance_cents",
        (pl.col("period_compensation_cents") * periods_per_year).alias("annual_compensation_cents"),
        "pretax_deferral_bp", "roth_deferral_bp",
    )


def rest_of_year(people: pl.DataFrame, windows: pl.DataFrame, periods_per_year: int, plan: PlanConfig,
                 a: Assumptions) -> pl.DataFrame:
    """What the rest of the as-of year adds before the projection's first whole year, per person of the window
    rules' input ``people``: deferrals at the current rate on each remaining pay date until the 402(g) and catch-up
    rooms run out, the match that earns (the window's ``match_at_current_rate``), the nonelective on the pay left
    under 401(a)(17), and the balance's growth for that part of the year (remaining pay dates / periods a year of
    the annual return). 415(c) is not applied to this part year (it binds only above $72,000 of additions).

    >>> from schemas.plan import parse_plan_text
    >>> people = pl.DataFrame({"employee_id": ["e"], "period_compensation_cents": [200_000],
    ...     "pretax_deferral_bp": [1_000], "roth_deferral_bp": [0], "remaining_periods": [13],
    ...     "regular_room_left_cents": [1_000_000], "catch_up_room_left_cents": [0],
    ...     "compensation_room_left_cents": [36_000_000], "balance_cents": [10_000_000]})
    >>> windows = pl.DataFrame({"employee_id": ["e"], "match_at_current_rate_cents": [0]})
    >>> plan = parse_plan_text('plan_id = "p"\\nname = "P"\\n', "p.toml")
    >>> # 13 x 10% x $2,000 = $2,600 deferred; growth $100,000 x 6% x 13/26 = $3,000.
    >>> rest_of_year(people, windows, 26, plan, Assumptions()).row(0)
    ('e', 260000, 0, 300000)
    """
    n = pl.col("remaining_periods").cast(pl.Int64)
    per_period = pct_of(pl.col("period_compensation_cents"), pl.col("pretax_deferral_bp") + pl.col("roth_deferral_bp"))
    pay_left = pl.min_horizontal(n * pl.col("period_compensation_cents"), pl.col("compensation_room_left_cents"))
    return people.join(windows.select("employee_id", "match_at_current_rate_cents"), on="employee_id", how="left").select(
        "employee_id",
        pl.min_horizontal(n * per_period, pl.col("regular_room_left_cents") + pl.col("catch_up_room_left_cents"))
        .alias("rest_deferral_cents"),
        (pl.col("match_at_current_rate_cents").fill_null(0) + pct_of(pay_left, pl.lit(plan.nonelective.bp, pl.Int64)))
        .alias("rest_employer_cents"),
        div_round_half_up(pl.col("balance_cents").cast(pl.Int128) * a.annual_return_bp * n,
                          periods_per_year * BP_PER_UNIT).alias("rest_growth_cents"),
    )


def project_people(
    active: pl.DataFrame, remaining: int, periods_per_year: int, plan: PlanConfig, limits: pl.DataFrame,
    a: Assumptions, as_of: date,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Match windows, then projections, for active participants: (windows, projection people, projection year
    rows, summary). The projection starts from the balance at the as-of year's end (the
    rest of this year added, :func:`rest_of_year`); the summary counts that part year in its contributions and
    growth, so balance now + contributions + growth = balance at retirement still holds."""
    inputs = window_people(active, remaining, as_of.year, limits, plan)
    windows = match_window(inputs, plan)
    rest = rest_of_year(inputs.join(active.select("employee_id", "balance_cents"), on="employee_id"), windows,
                        periods_per_year, plan, a)
    people = projection_people(active, periods_per_year)
    at_year_end = people.join(rest, on="employee_id").with_columns(
        (pl.col("balance_cents") + pl.col("rest_deferral_cents") + pl.col("rest_employer_cents")
         + pl.col("rest_growth_cents")).alias("balance_cents"))
    years = project_years(at_year_end.select(people.columns), plan, limits, a, as_of)
    summary = summarize(at_year_end.select(people.columns), years, a, as_of).join(rest, on="employee_id").with_columns(
        (pl.col("balance_now_cents") - pl.col("rest_deferral_cents") - pl.col("rest_employer_cents")
         - pl.col("rest_growth_cents")).alias("balance_now_cents"),
        (pl.col("contributions_cents") + pl.col("rest_deferral_cents") + pl.col("rest_employer_cents"))
        .alias("contributions_cents"),
        (pl.col("growth_cents") + pl.col("rest_growth_cents")).alias("growth_cents"),
    )
    return windows, people, years, summary


def projection_rows(people: pl.DataFrame, summary: pl.DataFrame, a: Assumptions, as_of: date,
                    run_id: str) -> pl.DataFrame:
    def pct(bp: int) -> pl.Expr:
        return hundredths_to_decimal(pl.lit(bp, pl.Int64), 5)

    return summary.join(people, on="employee_id", how="left").select(
        "employee_id", pl.lit(as_of).alias("as_of"), pl.lit(a.retirement_age, pl.Int32).alias("retirement_age"),
        pct(a.annual_return_bp).alias("annual_return_pct"), pct(a.salary_growth_bp).alias("salary_growth_pct"),
        pct(a.inflation_bp).alias("inflation_pct"), pct(a.withdrawal_rate_bp).alias("withdrawal_rate_pct"),
        pl.lit(a.annuity_years, pl.Int32).alias("annuity_years"),
        dec("annual_compensation_cents").alias("annual_compensation"),
        hundredths_to_decimal(pl.col("pretax_deferral_bp") + pl.col("roth_deferral_bp"), 5).alias("deferral_rate_pct"),
        pl.col("retirement_year").cast(pl.Int32), pl.col("years_to_retirement").cast(pl.Int32),
        dec("balance_now_cents").alias("balance_now"), dec("contributions_cents").alias("contributions"),
        dec("growth_cents").alias("growth"), dec("balance_at_retirement_cents").alias("balance_at_retirement"),
        dec("balance_today_dollars_cents").alias("balance_at_retirement_today"),
        dec("income_4pct_cents").alias("yearly_income_withdrawal_rate"),
        dec("income_4pct_today_cents").alias("yearly_income_withdrawal_rate_today"),
        dec("annuity_cents").alias("yearly_annuity"), dec("annuity_today_cents").alias("yearly_annuity_today"),
        pl.lit(run_id).alias("run_id"),
    )


def calculators_step(
    db: Database, plan: PlanConfig, *, as_of: date, run_id: str, limits: pl.DataFrame
) -> list[FileResult]:
    """The derived step: rebuild the plan's match windows and projections; it posts nothing."""
    plan_id = plan.plan_id
    with reports.parameters(db, as_of=as_of):
        schedule = calculators.pay_frequency(db, plan_id)
        active = calculators.active_participants(db, plan_id, as_of)
        dates = calculators.remaining_pay_dates(db, plan_id, as_of)
    windows = projections = None
    if schedule is not None and schedule[1] is not None and active.height:
        frequency, periods_per_year = schedule
        a = Assumptions()
        found, people, _, summary = project_people(active, dates.height, periods_per_year, plan, limits, a, as_of)
        windows = window_rows(found, active, dates, frequency, as_of, run_id)
        projections = projection_rows(people, summary, a, as_of, run_id)
    with db.transaction():
        calculators.replace_match_windows(db, plan_id, windows.with_columns(pl.lit(plan_id).alias("plan_id"))
                                          if windows is not None else pl.DataFrame())
        calculators.replace_projections(db, plan_id, projections.with_columns(pl.lit(plan_id).alias("plan_id"))
                                        if projections is not None else pl.DataFrame())
    return []
