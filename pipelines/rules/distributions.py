"""Distributions: how much of a source may be paid out on a day.

Pure functions over polars frames. A distribution of ``gross`` from a source on ``paid_date`` is accepted when

* it leaves the source at or above zero at the end of its day and of every later day with entries
  (``exceeds_balance`` otherwise): an entry dated later, such as a distribution already posted, must not be
  left without the money it took;
* for an employer source of a person with no processed termination, it is within the vested part
  (``exceeds_vested`` otherwise): with P the vested percent from the plan's schedule, service counted to the
  paid date (or the termination before it), AB the source's balance that day and D what was paid from it
  before, the vested part still available is ``P × (AB + D) − D``, half-up to the cent (the formula of
  Treas. Reg. §1.411(a)-7(d)(5)(iii) for a balance partly paid out before full vesting); and the same with
  the source's balance now and every payment from it, whatever its date, so a row dated before a payment
  already posted cannot take what that payment left unvested. After a processed
  termination the non-vested part was forfeited, so what is left is vested.

Rows of one person and source are checked in order of paid date and line, each against the ledger and the
rows of the file accepted before it (a rejected row takes nothing). Each pass checks every key's next row at
once, so the passes are as many as the most rows one key has in the file, not one per row.
"""

from __future__ import annotations

import polars as pl

from pipelines.money import pct_of
from pipelines.rules.vesting import vested_percent
from schemas.plan import VestingConfig
from schemas.sources import EMPLOYER_SOURCES

_KEY = ["employee_id", "source"]


def vested_bp_on_paid_date(
    rows: pl.DataFrame, facts: pl.DataFrame, hours: pl.DataFrame, vesting: VestingConfig
) -> pl.DataFrame:
    """``line_number`` and ``vested_bp`` per row of ``rows`` from an employer source of a person with no
    processed termination (others need no vesting check). ``facts``: ``employee_id``, ``date_of_birth``,
    ``hire_date``, ``termination_date``, ``termination_reason``, ``prior_vesting_years``,
    ``has_processed_termination``; ``hours`` as :func:`pipelines.rules.vesting.vested_percent` takes it."""
    checked = rows.filter(pl.col("source").is_in(EMPLOYER_SOURCES)).join(facts, on="employee_id", how="inner").filter(
        ~pl.col("has_processed_termination")
    )
    ended = pl.col("termination_date").is_not_null() & (pl.col("termination_date") <= pl.col("paid_date"))
    # Service runs to the paid date, or to a termination before it (whose reason may vest 100%: death, disability).
    as_if_terminated = checked.select(
        "line_number", "employee_id", "date_of_birth", "hire_date", "prior_vesting_years",
        pl.when(ended).then(pl.col("termination_date")).otherwise(pl.col("paid_date")).alias("termination_date"),
        pl.when(ended).then(pl.col("termination_reason")).alias("termination_reason"),
    )
    return vested_percent(as_if_terminated, hours, vesting).select("line_number", "vested_bp")


def check_distributions(
    rows: pl.DataFrame, events: pl.DataFrame, paid_before: pl.DataFrame, vested: pl.DataFrame
) -> pl.DataFrame:
    """Per row of ``rows`` (``line_number``, ``employee_id``, ``source``, ``paid_date``, ``gross_amount_cents``):
    ``verdict`` (``ok``, ``exceeds_balance`` or ``exceeds_vested``) and the amount that was available
    (``available_cents``: the lower of the balance limit and, when checked, the vested one).

    ``events``: ``employee_id``, ``source``, ``effective_date``, ``amount_cents`` (an opening balance and each
    later day's net entries, from before the earliest paid date); ``paid_before``: ``employee_id``, ``source``,
    ``paid_date``, ``gross_cents`` (distributions already posted); ``vested``: ``line_number``, ``vested_bp``
    for the rows that need a vesting check.

    >>> import datetime as dt
    >>> d = dt.date
    >>> rows = pl.DataFrame({"line_number": [2, 3], "employee_id": ["A", "A"], "source": ["pretax"] * 2,
    ...                      "paid_date": [d(2025, 3, 1), d(2025, 4, 1)], "gross_amount_cents": [600_00, 500_00]})
    >>> events = pl.DataFrame({"employee_id": ["A"], "source": ["pretax"], "effective_date": [d(2024, 12, 31)],
    ...                        "amount_cents": [1_000_00]})
    >>> none_paid = pl.DataFrame(schema={"employee_id": pl.Utf8, "source": pl.Utf8, "paid_date": pl.Date,
    ...                                  "gross_cents": pl.Int64})
    >>> no_vesting = pl.DataFrame(schema={"line_number": pl.Int64, "vested_bp": pl.Int64})
    >>> # $1,000 in the source: $600 leaves $400, so the $500 after it is more than the balance.
    >>> check_distributions(rows, events, none_paid, no_vesting).select("line_number", "verdict", "available_cents").rows()
    [(2, 'ok', 100000), (3, 'exceeds_balance', 40000)]
    """
    ranked = rows.sort(*_KEY, "paid_date", "line_number").with_columns(
        pl.col("line_number").cum_count().over(_KEY).alias("_rank")
    ).join(vested, on="line_number", how="left")
    base = pl.concat([
        events.select(*_KEY, pl.col("effective_date").alias("day"), pl.col("amount_cents").cast(pl.Int64)),
        paid_before.select(*_KEY, pl.col("paid_date").alias("day"), pl.lit(0, pl.Int64).alias("amount_cents")),
    ])
    paid = paid_before.select(*_KEY, "paid_date", pl.col("gross_cents").cast(pl.Int64))
    verdicts: list[pl.DataFrame] = []
    accepted = ranked.clear().select(*_KEY, "paid_date", "gross_amount_cents")
    for rank in range(1, (ranked["_rank"].max() or 0) + 1):
        candidates = ranked.filter(pl.col("_rank") == rank)
        # End-of-day balances per key: the ledger's, less the rows accepted so far; each candidate's day a point too.
        path = (
            pl.concat([
                base,
                accepted.select(*_KEY, pl.col("paid_date").alias("day"), (0 - pl.col("gross_amount_cents")).alias("amount_cents")),
                candidates.select(*_KEY, pl.col("paid_date").alias("day"), pl.lit(0, pl.Int64).alias("amount_cents")),
            ])
            .group_by(*_KEY, "day").agg(pl.col("amount_cents").sum())
            .sort(*_KEY, "day")
            .with_columns(pl.col("amount_cents").cum_sum().over(_KEY).alias("balance_cents"))
            .with_columns(pl.col("balance_cents").reverse().cum_min().reverse().over(_KEY).alias("lowest_from_day_cents"))
        )
        all_paid = pl.concat([paid, accepted.rename({"gross_amount_cents": "gross_cents"})]).rename({"paid_date": "_paid"})
        paid_so_far = (
            candidates.select("line_number", *_KEY, "paid_date")
            .join(all_paid, on=_KEY, how="left")
            .group_by("line_number").agg(
                pl.col("gross_cents").filter(pl.col("_paid") <= pl.col("paid_date")).sum().alias("paid_before_cents"),
                pl.col("gross_cents").sum().alias("paid_ever_cents"),
            )
        )
        last_day = path.group_by(_KEY).agg(pl.col("balance_cents").last().alias("balance_now_cents"))
        checked = (
            candidates.join(path, left_on=[*_KEY, "paid_date"], right_on=[*_KEY, "day"], how="left")
            .join(paid_so_far, on="line_number", how="left")
            .join(last_day, on=_KEY, how="left")
            .with_columns(pl.col("paid_before_cents", "paid_ever_cents", "balance_cents", "lowest_from_day_cents",
                                 "balance_now_cents").fill_null(0))
            .with_columns(
                # On the paid date; and counting every payment from the source, a later-dated one already posted
                # included, so a backdated row cannot take what a later one left unvested.
                pl.min_horizontal(
                    pct_of(pl.col("balance_cents") + pl.col("paid_before_cents"), pl.col("vested_bp"))
                    - pl.col("paid_before_cents"),
                    pct_of(pl.col("balance_now_cents") + pl.col("paid_ever_cents"), pl.col("vested_bp"))
                    - pl.col("paid_ever_cents"),
                ).alias("vested_available_cents")
            )
            .with_columns(
                pl.when(pl.col("gross_amount_cents") > pl.col("lowest_from_day_cents")).then(pl.lit("exceeds_balance"))
                .when(pl.col("gross_amount_cents") > pl.col("vested_available_cents")).then(pl.lit("exceeds_vested"))
                .otherwise(pl.lit("ok")).alias("verdict"),
                pl.min_horizontal("lowest_from_day_cents", "vested_available_cents").clip(lower_bound=0)
                .alias("available_cents"),
            )
        )
        verdicts.append(checked.select("line_number", "verdict", "available_cents"))
        accepted = pl.concat([
            accepted, checked.filter(pl.col("verdict") == "ok").select(*_KEY, "paid_date", "gross_amount_cents")
        ])
    if not verdicts:
        return pl.DataFrame(schema={"line_number": pl.Int64, "verdict": pl.Utf8, "available_cents": pl.Int64})
    return pl.concat(verdicts).sort("line_number")
