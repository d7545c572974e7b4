"""Money and percent arithmetic on integer cents: the one place rounding happens.

Amounts are ``Int64`` cents; percents are ``Int64`` basis points (hundredths of a percent, 100% = 10_000).
Products that could leave Int64 are formed in ``Int128`` and narrowed back only after dividing.
"""

from __future__ import annotations

import polars as pl

BP_PER_UNIT = 10_000  # basis points in 100%


def div_round_half_up(numerator: pl.Expr, denominator: int | pl.Expr) -> pl.Expr:
    """Divide integers and round half away from zero, the rounding used for every cent in planadmin.

    ``numerator`` may be Int64 or Int128; ``denominator`` is a positive integer, or an integer expression whose
    values must all be positive (a table's divisor, e.g. an RMD distribution period in tenths of a year). The
    result is Int64 and the narrowing is checked (strict cast), so an overflow is an error, never a wrong amount.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"c": [250, 249, -250, -249, 0]})
    >>> df.select(div_round_half_up(pl.col("c"), 100)).to_series().to_list()
    [3, 2, -3, -2, 0]
    >>> # $100,000.00 over a 26.5-year period, in tenths: 10,000,000 x 10 / 265 = 377,358.49 -> 377,358 cents
    >>> pl.select(div_round_half_up(pl.lit(100_000_000), pl.lit(265))).item()
    377358
    """
    if isinstance(denominator, int):
        if denominator <= 0:
            raise ValueError("denominator must be positive")
        d: int | pl.Expr = denominator
    else:
        d = denominator.cast(pl.Int128)
    n = numerator.cast(pl.Int128)
    magnitude = (n.abs() * 2 + d) // (d * 2)
    # Int128 has no unary minus in polars: subtract from zero instead.
    signed = pl.when(n < 0).then(pl.lit(0, dtype=pl.Int128) - magnitude).otherwise(magnitude)
    return signed.cast(pl.Int64, strict=True)


def pct_of(amount_cents: pl.Expr, pct_bp: pl.Expr) -> pl.Expr:
    """``amount × pct``, rounded half-up to the cent.

    Examples
    --------
    >>> import polars as pl
    >>> # 6.25% of $1,234.57: 123457 × 625 / 10000 = 7716.0625 cents -> 7716
    >>> pl.select(pct_of(pl.lit(123457), pl.lit(625))).item()
    7716
    """
    return div_round_half_up(amount_cents.cast(pl.Int128) * pct_bp.cast(pl.Int128), BP_PER_UNIT)


def parse_decimal_text(text: pl.Expr, scale_digits: int = 2) -> pl.Expr:
    """Parse validated unsigned decimal text (``"1234"``, ``"1234.5"``, ``"1234.56"``) into an integer
    count of ``10**-scale_digits`` units without touching floats.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"t": ["12", "12.5", "0.07", None]})
    >>> df.select(parse_decimal_text(pl.col("t"))).to_series().to_list()
    [1200, 1250, 7, None]
    """
    # polars parses decimal text digit by digit (no float on the way); scaling a Decimal by a power of ten is
    # exact. tests/test_fast_paths.py holds it to integer arithmetic on the digits.
    return (text.cast(pl.Decimal(38, scale_digits)) * 10**scale_digits).cast(pl.Int64)


def hundredths_to_decimal(hundredths: pl.Expr, precision: int = 18) -> pl.Expr:
    """Exact ``Decimal(precision, 2)`` from an integer count of hundredths (cents, basis points, hundredths
    of an hour), for DuckDB's DECIMAL columns.

    Examples
    --------
    >>> import polars as pl
    >>> pl.DataFrame({"c": [12345, -5]}).select(hundredths_to_decimal(pl.col("c"))).to_series().to_list()
    [Decimal('123.45'), Decimal('-0.05')]
    """
    return (hundredths.cast(pl.Decimal(38, 2)) / 100).cast(pl.Decimal(precision, 2))
