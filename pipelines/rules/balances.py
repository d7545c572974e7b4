"""Balance statements: the ledger entry that makes a person's balance in a source equal a statement.

A trustee's or prior recordkeeper's statement says what a person held in a source on a date. The entry posted
for it, dated that day, is the statement minus what the ledger holds for that person and source up to that
day: an ``opening_balance`` when the ledger held nothing for them by then, else ``earnings`` (a gain, or a
loss when negative). Several statements for one person and source in one file are taken in date order, each
on top of the entries for the earlier ones.
"""

from __future__ import annotations

import polars as pl

STATEMENT_SCHEMA = {
    "employee_id": pl.Utf8,
    "source": pl.Utf8,
    "as_of_date": pl.Date,
    "line_number": pl.Int64,
    "statement_balance_cents": pl.Int64,
    "ledger_balance_cents": pl.Int64,
    "amount_cents": pl.Int64,
    "entry_type": pl.Utf8,
}


def statement_entries(statements: pl.DataFrame, ledger_at: pl.DataFrame) -> pl.DataFrame:
    """One row per statement (see ``STATEMENT_SCHEMA``): the ledger's balance before it (entries dated on or
    before its date, the file's earlier statements included) and the amount to post.

    ``statements``: ``employee_id``, ``source``, ``as_of_date``, ``balance_cents``, ``line_number``.
    ``ledger_at``: per statement key, ``ledger_balance_cents`` (the sum of the person's entries in the
    source dated on or before ``as_of_date``) and ``has_entries``; keys the ledger has nothing for may be
    absent.

    With ``c`` = statement − ledger balance, the amounts of a person's statements in date order are the
    differences of ``c`` (the first is ``c`` itself), so after posting them every statement holds.

    Examples
    --------
    >>> import polars as pl, datetime as dt
    >>> s = pl.DataFrame({"employee_id": ["A", "A"], "source": ["roth"] * 2,
    ...     "as_of_date": [dt.date(2024, 12, 31), dt.date(2025, 6, 30)], "balance_cents": [500_000, 520_000],
    ...     "line_number": [2, 3]})
    >>> # the ledger holds $100 of 2025 contributions by 30 June, nothing by 31 December 2024
    >>> at = pl.DataFrame({"employee_id": ["A"], "source": ["roth"], "as_of_date": [dt.date(2025, 6, 30)],
    ...     "ledger_balance_cents": [10_000], "has_entries": [True]})
    >>> statement_entries(s, at).select("amount_cents", "entry_type").rows()  # 5000.00; 5200 - 5000 - 100
    [(500000, 'opening_balance'), (10000, 'earnings')]
    """
    key = ["employee_id", "source", "as_of_date"]
    person = ["employee_id", "source"]
    joined = (
        statements.join(ledger_at.select(*key, "ledger_balance_cents", "has_entries"), on=key, how="left")
        .with_columns(pl.col("ledger_balance_cents").fill_null(0), pl.col("has_entries").fill_null(False))
        .sort(*person, "as_of_date")
    )
    gap = pl.col("balance_cents") - pl.col("ledger_balance_cents")
    amount = (gap - gap.shift(1, fill_value=0).over(person)).alias("amount_cents")
    earlier_postings = (pl.col("amount_cents") != 0).cast(pl.Int32).cum_sum().shift(1, fill_value=0).over(person)
    return (
        joined.with_columns(amount)
        .with_columns(
            # the balance the statement's entry is measured against, the file's earlier statements included
            (pl.col("balance_cents") - pl.col("amount_cents")).alias("ledger_balance_cents"),
            pl.when(~pl.col("has_entries") & (earlier_postings == 0))
            .then(pl.lit("opening_balance"))
            .otherwise(pl.lit("earnings"))
            .alias("entry_type")
        )
        .rename({"balance_cents": "statement_balance_cents"})
        .select(STATEMENT_SCHEMA.keys())
        .cast(STATEMENT_SCHEMA)
        .sort("line_number")
    )
