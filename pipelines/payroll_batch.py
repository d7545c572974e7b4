"""A payroll file: the accepted rows through the contribution rules, posted in one transaction.

Plain Python over the store and the pure rules (the generic file path is :mod:`pipelines.file_batch`),
so it is tested without Prefect; the Prefect task in :mod:`pipelines.flows` only wraps it.
"""

from __future__ import annotations

from datetime import date
from functools import partial

import polars as pl

from pipelines.file_batch import (
    FileContext, FileResult, MakeBatch, check_conserved, process_file, rejected_rows,
)
from pipelines.ingest import ReadResult, Validated, reject_already_posted
from pipelines.money import hundredths_to_decimal
from pipelines.rules.contributions import compute_contributions, limit_events, ytd_increments
from pipelines.store import Database, ParticipantUpdates
from pipelines.store import payroll as payroll_store
from schemas.reasons import NoticeCode
from schemas.sources import PAYROLL_SOURCES
from schemas.kinds import PAYROLL

FILE_KIND = PAYROLL.kind

#: Payroll rows set birth and hire dates; they add a termination but never clear one (a final paycheck's
#: empty cell is not a rehire: a later hire date is, see the ``terminations_in_force`` view).
PAYROLL_UPDATES = ParticipantUpdates(
    replace=("date_of_birth", "hire_date"),
    fill=("ssn_last4", "first_name", "last_name", "ownership_pct"),
    termination="add",
)


def payroll_facts(contributions: pl.DataFrame, as_of: date | None) -> pl.DataFrame:
    """One row of participant facts per person: the latest pay date's row, with the latest termination the
    file reports for them, the latest hire date (a ``rehire_date`` when given) and the earliest (``first_hire_date``), dated by that pay date but never later than the run's as-of date (a file sent
    ahead of its pay date must not outdate facts that arrive before then).

    Examples
    --------
    >>> import polars as pl, datetime as dt
    >>> rows = pl.DataFrame({"employee_id": ["E1", "E1"], "pay_date": [dt.date(2025, 2, 28), dt.date(2025, 3, 14)],
    ...     "line_number": [2, 3], "date_of_birth": [dt.date(1980, 1, 1)] * 2, "hire_date": [dt.date(2020, 1, 1)] * 2,
    ...     "termination_date": [dt.date(2025, 2, 28), None], "termination_reason": ["death", None],
    ...     "ssn_last4": [None, None], "first_name": [None, None], "last_name": [None, None], "ownership_bp": [None, None]})
    >>> payroll_facts(rows, dt.date(2025, 3, 10)).select("termination_date", "termination_reason", "facts_as_of").row(0)
    (datetime.date(2025, 2, 28), 'death', datetime.date(2025, 3, 10))
    """
    facts_as_of = pl.col("pay_date") if as_of is None else pl.min_horizontal("pay_date", pl.lit(as_of, pl.Date))
    terminated = pl.col("termination_date").is_not_null()
    if "rehire_date" in contributions.columns:  # the latest hire: a rehire ends an earlier termination
        contributions = contributions.with_columns(
            pl.col("hire_date").alias("_first_hire"), pl.coalesce("rehire_date", "hire_date").alias("hire_date"))
    else:
        contributions = contributions.with_columns(pl.col("hire_date").alias("_first_hire"))
    return (
        contributions.sort("pay_date", "line_number")
        .group_by("employee_id", maintain_order=True)
        .agg(
            *[pl.col(c).last() for c in ("date_of_birth", "hire_date", "ssn_last4", "first_name", "last_name",
                                          "ownership_bp")],
            pl.col("termination_date").filter(terminated).last(),
            pl.col("termination_reason").filter(terminated).last(),
            pl.col("_first_hire").min().alias("first_hire_date"),
            facts_as_of.last().alias("facts_as_of"),
        )
    )


def _out_of_order_notices(contributions: pl.DataFrame, prior: pl.DataFrame) -> pl.DataFrame:
    """Rows dated before a pay date already posted for the person and year: posted, but worth knowing, since
    the year's rooms were filled in posting order rather than date order."""
    late = contributions.join(
        prior.select("employee_id", "plan_year", "ytd_last_pay_date"), on=["employee_id", "plan_year"], how="inner"
    ).filter(pl.col("pay_date") < pl.col("ytd_last_pay_date"))
    return late.select(
        "line_number",
        "employee_id",
        pl.lit(NoticeCode.POSTED_OUT_OF_ORDER.value).alias("code"),
        pl.format(
            "pay_date {} is before {}, already posted for this person and year: the year's limits were applied "
            "in posting order",
            pl.col("pay_date"),
            pl.col("ytd_last_pay_date"),
        ).alias("message"),
    ).sort("line_number")


def with_prior_year_wages(accepted: pl.DataFrame, state: pl.DataFrame) -> pl.DataFrame:
    """``prior_year_wages_cents`` for the Roth catch-up rule: the file's ``prior_year_fica_wages`` when given,
    else the gross pay the ledger holds for the person's previous year plus any previous-year rows of this
    file; null when neither knows of any."""
    in_file = accepted.group_by("employee_id", "plan_year").agg(pl.col("gross_pay_cents").sum().alias("_in_file"))
    posted = state.select("employee_id", "plan_year", pl.col("ytd_gross_pay_cents").alias("_posted"))
    previous = (
        posted.join(in_file, on=["employee_id", "plan_year"], how="full", coalesce=True)
        .select(
            "employee_id",
            (pl.col("plan_year") + 1).alias("plan_year"),
            pl.when(pl.col("_posted").is_null() & pl.col("_in_file").is_null())
            .then(None)
            .otherwise(pl.col("_posted").fill_null(0) + pl.col("_in_file").fill_null(0))
            .alias("_previous_gross"),
        )
    )
    return accepted.join(previous, on=["employee_id", "plan_year"], how="left").with_columns(
        pl.coalesce("prior_year_fica_wages_cents", "_previous_gross").alias("prior_year_wages_cents")
    ).drop("_previous_gross")


def _after_true_up_notices(contributions: pl.DataFrame, prior: pl.DataFrame) -> pl.DataFrame:
    """Payroll for a year whose true-up was already posted: posted, but the true-up will not be redone."""
    late = contributions.join(
        prior.filter(pl.col("true_up_posted_on").is_not_null()).select("employee_id", "plan_year", "true_up_posted_on"),
        on=["employee_id", "plan_year"],
        how="inner",
    )
    return late.select(
        "line_number",
        "employee_id",
        pl.lit(NoticeCode.PAYROLL_AFTER_TRUE_UP.value).alias("code"),
        pl.format(
            "the {} true-up was already posted on {}; this payroll is not reflected in it",
            pl.col("plan_year"),
            pl.col("true_up_posted_on"),
        ).alias("message"),
    ).sort("line_number")


def excess_deferral_notices(contributions: pl.DataFrame, roth_for_high_earners: str = "convert") -> pl.DataFrame:
    """One ``excess_deferral`` notice per line whose withheld amounts went beyond the limits: how much, which limit,
    and the refund deadline (IRC §402(g)(2)(A)(ii): 15 April of the next year). Under the plan's ``"stop"`` Roth
    catch-up rule, pre-tax withheld for a high earner's catch-up is turned away by that rule, not by a full room.

    >>> import polars as pl, datetime as dt
    >>> c = pl.DataFrame({"line_number": [7], "employee_id": ["E1"], "plan_year": [2025], "excess_deferral_cents": [12_345],
    ...     "pretax_415c_reduction_cents": [0], "roth_415c_reduction_cents": [0], "is_catch_up_eligible": [True],
    ...     "is_roth_catch_up_only": [False], "roth_catch_up_cents": [0]})
    >>> excess_deferral_notices(c)["message"].item()
    '$123.45 withheld beyond the 402(g) and catch-up limits: held in excess_deferral; refund it with its earnings by 2026-04-15'
    """
    over = contributions.filter(pl.col("excess_deferral_cents") > 0)
    cut_by_415c = pl.col("pretax_415c_reduction_cents") + pl.col("roth_415c_reduction_cents")
    rooms_too = pl.col("excess_deferral_cents") > cut_by_415c  # beyond what 415(c) cut: the rooms turned it away
    eligible = pl.col("is_catch_up_eligible")
    stopped = pl.lit(roth_for_high_earners == "stop") & pl.col("is_roth_catch_up_only") & (pl.col("roth_catch_up_cents") > 0)
    limit = (
        pl.when(stopped).then(pl.format(
            "the Roth catch-up rule (IRC 414(v)(7): no pre-tax catch-up above the prior-year wage threshold; the plan "
            "stops it){}",
            pl.when(pl.col("excess_deferral_cents") > pl.col("roth_catch_up_cents"))
            .then(pl.lit(" and the 402(g) and catch-up limits")).otherwise(pl.lit(""))))
        .when(cut_by_415c == 0).then(pl.when(eligible).then(pl.lit("the 402(g) and catch-up limits"))
                                       .otherwise(pl.lit("the 402(g) limit")))
        .when(~rooms_too).then(pl.lit("the 415(c) limit"))
        .when(eligible).then(pl.lit("the 402(g), catch-up and 415(c) limits"))
        .otherwise(pl.lit("the 402(g) and 415(c) limits"))
    )
    return over.select(
        "line_number", "employee_id", pl.lit(NoticeCode.EXCESS_DEFERRAL.value).alias("code"),
        pl.format("${} withheld beyond {}: held in excess_deferral; refund it with its earnings by {}-04-15",
                  hundredths_to_decimal(pl.col("excess_deferral_cents")), limit, pl.col("plan_year") + 1)
        .alias("message"),
    )


def match_variances(contributions: pl.DataFrame) -> pl.DataFrame:
    """Lines whose remitted match (``match_amount``) differs from the match planadmin computed by a cent or more:
    ``remitted_match_cents``, ``computed_match_cents``, ``difference_cents`` (remitted - computed: more than zero,
    the employer sent more than the plan's formula gives)."""
    if "match_amount_cents" not in contributions.columns:
        return pl.DataFrame(schema={"employee_id": pl.Utf8, "pay_date": pl.Date, "plan_year": pl.Int32,
                                    "line_number": pl.Int64, "remitted_match_cents": pl.Int64,
                                    "computed_match_cents": pl.Int64, "difference_cents": pl.Int64})
    return contributions.filter(
        pl.col("match_amount_cents").is_not_null() & (pl.col("match_amount_cents") != pl.col("match_cents"))
    ).select(
        "employee_id", "pay_date", "plan_year", "line_number",
        pl.col("match_amount_cents").alias("remitted_match_cents"), pl.col("match_cents").alias("computed_match_cents"),
        (pl.col("match_amount_cents") - pl.col("match_cents")).alias("difference_cents"),
    ).sort("line_number")


def _post_payroll(db: Database, ctx: FileContext, read: ReadResult, validated: Validated, batch: MakeBatch) -> FileResult:
    plan_id, plan, file_name, limits = ctx.plan_id, ctx.plan, ctx.file_name, ctx.limits
    assert read.text is not None
    validated = reject_already_posted(validated, payroll_store.already_posted(db, plan_id, validated.accepted), read.values)
    accepted = validated.accepted.with_columns(pl.col("pay_date").dt.year().cast(pl.Int32).alias("plan_year"))
    keys = accepted.select("employee_id", "plan_year")
    state = payroll_store.prior_ytd(db, plan_id, pl.concat([keys, keys.with_columns(pl.col("plan_year") - 1)]))
    payroll = with_prior_year_wages(accepted, state).drop("plan_year")
    contributions = compute_contributions(payroll, state, limits, plan)
    notices = pl.concat([_out_of_order_notices(contributions, state), _after_true_up_notices(contributions, state),
                         excess_deferral_notices(contributions, plan.catch_up.roth_for_high_earners)]).sort("line_number")
    rows_posted, rows_rejected = contributions.height, validated.rows_rejected
    check_conserved(file_name, read, rows_posted, rows_rejected)
    record = batch("posted", read.rows_read, rows_posted, rows_rejected, read.blank_lines, None)
    rejections = read.as_exported(validated.rejections)
    with db.transaction():
        payroll_store.post_payroll(
            db, record, contributions, ytd_increments(contributions), rejections, notices,
            limit_events(contributions), payroll_facts(contributions, ctx.as_of), PAYROLL_UPDATES,
            match_variances(contributions),
        )
    sums = contributions.select(pl.col(f"{s}_cents").sum().alias(s) for s in PAYROLL_SOURCES).row(0, named=True)
    totals = {source: int(cents) for source, cents in sorted(sums.items()) if cents}
    return FileResult(
        plan_id, file_name, "posted", record.batch_id, read.rows_read, rows_posted, rows_rejected, None, totals,
        rejected_rows(rejections), notices.height,
    )


#: Post one payroll file, or record why it was rejected, or skip it when its content was posted before.
process_payroll_file = partial(process_file, spec=PAYROLL, handler=_post_payroll)
