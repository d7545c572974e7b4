"""RMD notices as a derived step: every night, for each plan, the required minimum distributions of the as-of
year and the year before are recomputed from the participant facts, the year-end balances and the distributions
posted (:mod:`pipelines.rules.rmd`), and replace the plan's current rows in ``rmd_notices`` (earlier figures
that changed go to ``rmd_notice_history``), in one transaction. Deceased participants with money here are
listed once for a beneficiary review (a notice in a batch of kind ``rmd``). Re-running changes nothing.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from pipelines.file_batch import FileResult, now
from pipelines.money import hundredths_to_decimal
from pipelines.rmd_tables import RmdTables, load_rmd_tables
from pipelines.rules.rmd import compute_notices, deceased
from pipelines.store import Database, rmd, runs
from schemas.plan import PlanConfig
from schemas.reasons import NoticeCode, notice_rows

FILE_KIND = "rmd"


def review_notices(reviews: pl.DataFrame) -> pl.DataFrame:
    """One notice per deceased participant with money here."""
    return notice_rows(
        reviews, NoticeCode.RMD_BENEFICIARY_REVIEW,
        pl.format(
            "died (termination reason death, {}) with {} dollars in the plan: beneficiaries' required minimum "
            "distributions are not computed here; review the beneficiaries and what they must take",
            pl.col("termination_date"), hundredths_to_decimal(pl.col("balance_cents")),
        ),
    )


def update_rmd_notices(
    db: Database, plan: PlanConfig, *, as_of: date, run_id: str, tables: RmdTables | None = None
) -> FileResult | None:
    """Recompute the plan's notices for the as-of year and the year before; a result only when deceased
    participants were listed for review tonight."""
    started = now()
    tables = tables or load_rmd_tables()
    plan_id, year = plan.plan_id, as_of.year
    people = rmd.people(db, plan_id, year)
    living = people.filter(pl.col("termination_reason").fill_null("") != "death")
    balances = rmd.year_end_balances(db, plan_id, living["employee_id"], year - 3, year - 1)
    paid = rmd.paid_since(db, plan_id, date(year - 2, 1, 1), as_of)
    notices = compute_notices(people, balances, paid, as_of, tables)
    reviews = rmd.beneficiary_reviews(db, plan_id, deceased(people))
    record = None
    if reviews.height:
        name = f"{plan_id}/rmd/{as_of}"
        record = runs.derived_batch(db, run_id=run_id, plan_id=plan_id, kind=FILE_KIND, name=name,
                                    label=f"rmd-{as_of}", rows=reviews.height, started=started, finished=now())
    with db.transaction():
        rmd.replace_notices(db, plan_id, notices, (year - 1, year), as_of, run_id)
        if record is not None:
            rmd.post_reviews(db, record, review_notices(reviews))
    if record is None:
        return None
    return FileResult(plan_id, record.file_name, "posted", record.batch_id, reviews.height, reviews.height, 0,
                      notices=reviews.height)


def rmd_step(db: Database, plan: PlanConfig, *, as_of: date, run_id: str, limits: pl.DataFrame) -> list[FileResult]:
    """The derived step: :func:`update_rmd_notices`, as a list (empty unless a review was listed)."""
    result = update_rmd_notices(db, plan, as_of=as_of, run_id=run_id)
    return [] if result is None else [result]
