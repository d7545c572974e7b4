"""Read an employer's export through its import profile (:mod:`schemas.profile`): the export's header checked
against the profile, its columns renamed to fields, its dates, money and percents rewritten in planadmin's own
form. Validation then runs unchanged (:mod:`pipelines.ingest`), and every rejection is reported in the export's
own terms: its line, its header, its value (masked).

Pure functions of bytes and frames, no I/O. The rules for values, per field kind:

* **date**: the profile's formats are tried in order; a text the profile lists as "no date" (and an empty
  cell) is no date. ``%Y`` takes exactly four digits and ``%y`` two; a two-digit year takes the century the
  field's rule picks (:attr:`schemas.fields.Field.two_digit_year`, overridable per profile): ``past`` puts the
  date on or before the run's as-of date, ``year_ahead`` at most a year after it, ``nearest`` nearest it.
* **money**: an optional currency symbol, thousands separators in groups of three, at most 2 decimals; a
  negative as ``-12.50``, ``-$12.50``, ``$-12.50`` or ``(12.50)``. Negative money is then rejected by
  validation (``negative_money``) as for any file.
* **pct**: a number with or without a trailing ``%``.

A value that does not convert rejects its row before any other check (stage 0), naming the export column, the
value (masked) and the form the profile expects; the row's other values are not judged.
"""

from __future__ import annotations

import re
from datetime import date

import polars as pl

from pipelines.ingest import (
    LINE, REJECTION_SCHEMA, FileError, ReadResult, _shown, duplicate_column, mask_personal, read_csv_bytes,
    shown_column,
)
from schemas.fields import Field
from schemas.kinds import FileSpec
from schemas.profile import DATE_DIRECTIVES, DatesConfig, ImportProfile, MoneyConfig
from schemas.reasons import FileReject, RowReject

def format_pattern(fmt: str) -> str:
    """The regex a value must match to be read with strptime format ``fmt``: the digit counts chrono does not
    enforce (``%Y`` would take ``25`` as the year 25, ``%y`` would take ``3`` as 2003).

    >>> format_pattern("%m/%d/%y")
    '^[0-9]{1,2}/[0-9]{1,2}/[0-9]{2}$'
    """
    out, i = [], 0
    while i < len(fmt):
        if fmt[i] == "%" and i + 1 < len(fmt):
            if fmt[i + 1] not in DATE_DIRECTIVES:  # a loaded profile's formats were checked against the same list
                raise ValueError(f"date format {fmt!r}: %{fmt[i + 1]} is not supported (use %Y %y %m %d %b %B)")
            out.append(DATE_DIRECTIVES[fmt[i + 1]])
            i += 2
        else:
            out.append(re.escape(fmt[i]))
            i += 1
    return "^" + "".join(out) + "$"


def _a_year_after(day: date) -> date:
    """The same day a year later (29 February: 1 March)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return date(day.year + 1, 3, 1)


def _shift_years(day: pl.Expr, years: pl.Expr) -> pl.Expr:
    """``day`` moved by whole ``years``; null when the day does not exist then (29 February)."""
    moved = day.dt.offset_by(pl.format("{}y", years))
    return pl.when(moved.dt.day() == day.dt.day()).then(moved)


def parse_date(text: pl.Expr, dates: DatesConfig, two_digit_year: str, as_of: date) -> pl.Expr:
    """The date ``text`` writes in one of ``dates.formats`` (the first that reads it), or null.

    Examples
    --------
    >>> cfg = DatesConfig(formats=("%m/%d/%Y", "%m/%d/%y"))
    >>> s = pl.DataFrame({"t": ["03/07/2025", "3/7/25", "3/7/26", "3/7/2", "12/31/76"]})
    >>> s.select(parse_date(pl.col("t"), cfg, "past", date(2026, 1, 15))).to_series().to_list()
    [datetime.date(2025, 3, 7), datetime.date(2025, 3, 7), datetime.date(1926, 3, 7), None, datetime.date(1976, 12, 31)]
    >>> s.select(parse_date(pl.col("t"), cfg, "nearest", date(2026, 1, 15))).to_series().to_list()
    [datetime.date(2025, 3, 7), datetime.date(2025, 3, 7), datetime.date(2026, 3, 7), None, datetime.date(1976, 12, 31)]
    """
    candidates = []
    for fmt in dates.formats:
        parsed = pl.when(text.str.contains(format_pattern(fmt))).then(text.str.to_date(fmt, strict=False))
        if "%y" in fmt:
            year = parsed.dt.year().cast(pl.Int32)
            same_century = pl.lit(as_of.year // 100 * 100, pl.Int32) + year % 100
            in_century = _shift_years(parsed, same_century - year)
            if two_digit_year in ("past", "year_ahead"):
                latest = as_of if two_digit_year == "past" else _a_year_after(as_of)
                parsed = pl.when(in_century <= pl.lit(latest)).then(in_century).otherwise(
                    _shift_years(in_century, pl.lit(-100)))
            else:
                days = [(c, (c - pl.lit(as_of)).dt.total_days().abs())
                        for c in (_shift_years(in_century, pl.lit(-100)), in_century, _shift_years(in_century, pl.lit(100)))]
                nearest = pl.min_horizontal(d for _, d in days)
                parsed = pl.coalesce(pl.when(d == nearest).then(c) for c, d in days)
        candidates.append(parsed)
    return pl.coalesce(candidates)


def money_text(text: pl.Expr, money: MoneyConfig) -> pl.Expr:
    """``text`` as planadmin writes money (``-1234.5``), or null when it is not money as ``money`` describes.

    >>> s = pl.DataFrame({"t": ["$1,234.56", "(12.50)", "-$3", "1234", "$12,34.00", "1.234", "($5)", "-(5)", "$ -"]})
    >>> s.select(money_text(pl.col("t"), MoneyConfig())).to_series().to_list()
    ['1234.56', '-12.50', '-3', '1234', None, None, '-5', None, '0']
    """
    sym = re.escape(money.currency_symbol) if money.currency_symbol else ""
    sep = re.escape(money.thousands_separator)
    dec = re.escape(money.decimal_separator)
    number = rf"(?:[0-9]{{1,3}}(?:{sep}[0-9]{{3}})+|[0-9]+)" if sep else "[0-9]+"
    body = rf"{number}(?:{dec}[0-9]{{1,2}})?"
    signed = rf"(-?)\s*(?:{sym})?\s*(-?)\s*({body})" if sym else rf"(-?)\s*()({body})"
    bare = text.str.strip_chars()
    # Spreadsheet accounting formats write zero as a dash: "-", "$ -", "$-".
    is_dash_zero = bare.str.contains(rf"^(?:{sym})?\s*-\s*$") if sym else bare == "-"
    in_parens = bare.str.contains(r"^\(.*\)$")
    inner = pl.when(in_parens).then(bare.str.slice(1, bare.str.len_chars() - 2).str.strip_chars()).otherwise(bare)
    parts = inner.str.extract_groups(rf"^{signed}$")
    minus = (parts.struct.field("1") == "-").cast(pl.Int32) + (parts.struct.field("2") == "-").cast(pl.Int32)
    digits = parts.struct.field("3")
    if sep:
        digits = digits.str.replace_all(money.thousands_separator, "", literal=True)
    digits = digits.str.replace(money.decimal_separator, ".", literal=True)
    negative = minus + in_parens.cast(pl.Int32)
    return pl.when(is_dash_zero).then(pl.lit("0")).when(digits.is_not_null() & (negative <= 1)).then(
        pl.when(negative == 1).then(pl.lit("-") + digits).otherwise(digits)
    )


def pct_text(text: pl.Expr, decimal_separator: str = ".") -> pl.Expr:
    """A percent with its ``%`` sign dropped (``6.5 %`` -> ``6.5``; ``6,5%`` -> ``6.5`` where the export writes a
    decimal comma); anything else as it is, for validation.

    >>> pl.DataFrame({"t": ["6%", "6.5 %", "7", "x%"]}).select(pct_text(pl.col("t"))).to_series().to_list()
    ['6', '6.5', '7', 'x']
    >>> pl.DataFrame({"t": ["6,5%"]}).select(pct_text(pl.col("t"), ",")).item()
    '6.5'
    """
    bare = text.str.strip_chars().str.strip_suffix("%").str.strip_chars()
    return bare if decimal_separator == "." else bare.str.replace(decimal_separator, ".", literal=True)


def export_header_error(names: list[str], profile: ImportProfile, profile_name: str) -> FileError | None:
    """Why an export's header does not fit its profile: a repeated column, a column the profile neither maps nor
    ignores, or a mapped column the export lacks (named with the field it was to fill)."""
    repeated = duplicate_column(names)
    if repeated is not None:
        return repeated
    for name in names:
        if name not in profile.columns and name not in profile.ignored:
            return FileError(
                FileReject.UNKNOWN_COLUMN,
                f"{_shown(name)} is neither mapped nor ignored by import profile '{profile_name}' (add it to its "
                "columns or to ignored)",
                shown_column(name),
            )
    for header, field_name in profile.columns.items():
        if header not in names:
            return FileError(
                FileReject.MISSING_COLUMN,
                f"column '{header}' is missing: import profile '{profile_name}' reads {field_name} from it",
                header,
            )
    return None


def _conversion(f: Field, profile: ImportProfile, as_of: date) -> tuple[pl.Expr, pl.Expr | None, str] | None:
    """(the converted text, whether a value failed to convert, what the profile expects) for a field whose values
    the profile rewrites; None for the others."""
    col = pl.col(f.name)
    if f.kind == "date":
        is_no_date = col.is_in(list(profile.dates.no_date))
        parsed = parse_date(col, profile.dates, profile.two_digit_year(f.name), as_of).dt.strftime("%Y-%m-%d")
        expected = f"a date as {' or '.join(profile.dates.formats)}"
        if profile.dates.no_date:
            expected += f", or {' or '.join(repr(t) for t in profile.dates.no_date)} for no date"
        converted = pl.when(~is_no_date).then(parsed)
        return converted, converted.is_null() & col.is_not_null() & ~is_no_date, expected
    if f.kind == "money":
        m = profile.money
        example = f"{m.currency_symbol}1{m.thousands_separator}234{m.decimal_separator}56"
        converted = money_text(col, m)
        return (converted, converted.is_null() & col.is_not_null(),
                f"an amount such as {example} (at most 2 decimals; -12.50 or (12.50) if negative)")
    if f.kind == "pct":  # what is left after the % sign, validation judges as any percent
        return pct_text(col, profile.money.decimal_separator), None, ""
    return None


def read_export(data: bytes, spec: FileSpec, profile: ImportProfile, profile_name: str, as_of: date) -> ReadResult:
    """Read an export with its profile: a :class:`~pipelines.ingest.ReadResult` whose ``text`` is in
    planadmin's own form (fields as columns, constants added), whose ``shown`` keeps the export's values under
    the same names, and whose ``headers`` give each field's export header. Rows with a value that does not
    convert are in ``malformed``."""
    read = read_csv_bytes(data, spec.fields, check_header=lambda names: export_header_error(names, profile, profile_name))
    if read.text is None:
        return read
    fields = spec.by_name
    mapped = read.text.select(
        LINE,
        *[pl.col(header).alias(name) for header, name in profile.columns.items()],
        *[pl.lit(value, pl.Utf8).alias(name) for name, value in profile.constants.items()],
    )
    # Rejections show the export's own text (mapped); validation reads the profile's values for its codes.
    given = mapped
    mapped = mapped.with_columns(pl.col(name).replace(table) for name, table in profile.values.items())
    converted, failed = [], []
    for name in profile.columns.values():
        rule = _conversion(fields[name], profile, as_of)
        if rule is None:
            continue
        value, is_failed, expected = rule
        converted.append(value.alias(name))
        if is_failed is not None:
            failed.append((name, is_failed, expected))
    text = mapped.with_columns(converted)
    headers = {name: profile.header_for(name) for name in mapped.columns if name != LINE}
    if not failed:
        return ReadResult(text, read.rows_read, read.blank_lines, malformed=read.malformed, shown=given,
                          headers=headers)
    employee = pl.col("employee_id") if "employee_id" in mapped.columns else pl.lit(None, pl.Utf8)
    rejections = pl.concat([
        mapped.filter(bad).join(given.select(LINE, pl.col(name).alias("_given")), on=LINE).select(
            LINE,
            employee.alias("employee_id"),
            pl.lit(name).alias("column_name"),  # a field, like every rejection: ReadResult.as_exported names its header
            mask_personal(pl.col("_given"), fields[name]).alias("value"),
            pl.lit(RowReject.BAD_FORMAT.value).alias("reason_code"),
            pl.lit(f"not {expected} (import profile '{profile_name}')").alias("reason"),
        ).cast(REJECTION_SCHEMA)
        for name, bad, expected in failed
    ])
    bad_lines = rejections[LINE].unique()
    keep = ~pl.col(LINE).is_in(bad_lines.implode())
    malformed = pl.concat([read.malformed, rejections]).sort(LINE, "column_name", nulls_last=True)
    return ReadResult(text.filter(keep), read.rows_read, read.blank_lines, malformed=malformed,
                      shown=given.filter(keep), headers=headers)
