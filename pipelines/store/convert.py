"""Cents in polars, DECIMAL(·,2) in DuckDB: the conversions, one each way.

Into the database, :func:`dec` turns an Int64 count of hundredths (cents, basis points, hundredths of an
hour) into an exact ``Decimal(precision, 2)`` column; out of it, SQL uses the ``cents()`` macro
(``sql/macros/cents.sql``). Neither passes through a float.
"""

from __future__ import annotations

import polars as pl

from pipelines.money import hundredths_to_decimal


def dec(column: str, precision: int = 18) -> pl.Expr:
    """The Int64 hundredths column ``column`` as an exact ``Decimal(precision, 2)``.

    >>> pl.DataFrame({"x_cents": [12345]}).select(dec("x_cents")).item()
    Decimal('123.45')
    """
    return hundredths_to_decimal(pl.col(column), precision)
