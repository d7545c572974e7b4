"""Read a payroll file as text and split it into accepted typed rows and rejections.

Pure functions of bytes and frames: nothing here touches DuckDB or Prefect. The one check that needs the
ledger (a row already posted from another file) is :func:`reject_already_posted`, given the posted keys.

Every data row keeps its ``line_number`` (the header is line 1; a quoted field spanning lines makes later
numbers count records rather than physical lines). Lines whose every field is empty are skipped and counted
as ``blank_lines``; every other row is either accepted or rejected, so rows read = accepted + rejected.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

import pandera.polars as pa
import polars as pl

from pipelines.money import parse_decimal_text
from schemas.fields import PAYROLL_FIELDS, PAYROLL_FIELDS_BY_NAME, Field
from schemas.payroll import DATE_FORMAT, row_schema, text_schema
from schemas.reasons import FileReject, RowReject

LINE = "line_number"

REJECTION_SCHEMA = {
    "line_number": pl.Int64,
    "employee_id": pl.Utf8,
    "column_name": pl.Utf8,
    "value": pl.Utf8,
    "reason_code": pl.Utf8,
    "reason": pl.Utf8,
}


@dataclass(frozen=True)
class FileError:
    """Why a whole file was rejected."""

    code: FileReject
    message: str
    column: str | None = None


@dataclass(frozen=True)
class ReadResult:
    """A file read as text: ``text`` has one Utf8 column per header column plus ``line_number``."""

    text: pl.DataFrame | None
    rows_read: int
    blank_lines: int
    error: FileError | None = None


@dataclass(frozen=True)
class Validated:
    accepted: pl.DataFrame
    rejections: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=REJECTION_SCHEMA))

    @property
    def rows_rejected(self) -> int:
        return self.rejections[LINE].n_unique()


def _header(decoded: str) -> list[str] | None:
    first_line = next(iter(decoded.splitlines()), None)
    if first_line is None or not first_line.strip():
        return None
    return [name.strip() for name in next(csv.reader([first_line]))]


def _check_header(names: list[str], fields: dict[str, Field]) -> FileError | None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            return FileError(FileReject.DUPLICATE_COLUMN, f"column '{name}' appears more than once", name)
        seen.add(name)
    for name in names:
        if name not in fields:
            return FileError(
                FileReject.UNKNOWN_COLUMN,
                f"unknown column '{name}' (a misspelled optional column would silently lose its values; "
                f"known columns: {', '.join(fields)})",
                name,
            )
    for f in fields.values():
        if f.required and f.name not in seen:
            return FileError(FileReject.MISSING_COLUMN, f"required column '{f.name}' is missing", f.name)
    return None


def read_payroll_bytes(data: bytes, fields: tuple[Field, ...] = PAYROLL_FIELDS) -> ReadResult:
    """Decode and parse a payroll file as text, or say why the whole file is rejected.

    UTF-8 with or without a BOM, LF or CRLF line ends. Values are stripped of surrounding blanks and an empty
    value is null.

    Examples
    --------
    >>> r = read_payroll_bytes(b"\\xef\\xbb\\xbfemployee_id,date_of_birth,hire_date,pay_date,gross_pay,"
    ...     b"pretax_deferral_pct\\r\\nE1,1980-01-01,2020-01-01,2025-01-10, 100.00 ,5\\r\\n\\r\\n")
    >>> (r.rows_read, r.blank_lines, r.text["gross_pay"].item(), r.text["line_number"].item())
    (1, 1, '100.00', 2)
    """
    by_name = {f.name: f for f in fields}
    try:
        decoded = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return ReadResult(None, 0, 0, FileError(FileReject.NOT_UTF8, f"not UTF-8: byte {exc.start} is invalid"))
    names = _header(decoded)
    if names is None:
        return ReadResult(None, 0, 0, FileError(FileReject.EMPTY_FILE, "the file is empty (no header row)"))
    header_error = _check_header(names, by_name)
    try:
        text = pl.read_csv(
            io.BytesIO(decoded.encode("utf-8")),
            infer_schema=False,
            new_columns=names,
            raise_if_empty=False,
        )
    except (pl.exceptions.PolarsError, csv.Error) as exc:
        message = str(exc).splitlines()[0][:300]
        return ReadResult(None, 0, 0, header_error or FileError(FileReject.UNREADABLE_CSV, f"unreadable CSV: {message}"))
    text = text.with_row_index(LINE, offset=2).with_columns(pl.col(LINE).cast(pl.Int64))
    data_columns = [c for c in text.columns if c != LINE]
    text = text.with_columns(
        pl.col(c).str.strip_chars().replace("", None) for c in data_columns
    )
    is_blank = pl.all_horizontal(pl.col(c).is_null() for c in data_columns)
    blank_lines = text.select(is_blank.sum()).item()
    text = text.filter(~is_blank)
    if header_error is not None:
        return ReadResult(None, text.height, blank_lines, header_error)
    if text.height == 0:
        return ReadResult(None, 0, blank_lines, FileError(FileReject.EMPTY_FILE, "the file has a header but no rows"))
    return ReadResult(text, text.height, blank_lines)


def to_typed(text: pl.DataFrame, fields: tuple[Field, ...] = PAYROLL_FIELDS) -> pl.DataFrame:
    """Typed columns (see :mod:`schemas.fields`) from stage-1-valid text; absent optional columns get their
    defaults (0 for Roth percent and loan repayment, gross pay for plan compensation, else null)."""
    exprs: list[pl.Expr] = [pl.col(LINE)]
    for f in fields:
        col = pl.col(f.name) if f.name in text.columns else pl.lit(None, pl.Utf8)
        if f.kind == "date":
            expr = col.str.to_date(DATE_FORMAT)
        elif f.kind in ("money", "pct", "hours"):
            expr = parse_decimal_text(col)
        elif f.kind == "ssn":
            expr = col.str.replace_all("-", "").str.slice(-4)
        else:
            expr = col
        exprs.append(expr.alias(f.typed_name))
    typed = text.select(exprs)
    defaults = [
        pl.col(f.typed_name).fill_null(pl.col(PAYROLL_FIELDS_BY_NAME[f.default_from].typed_name))
        for f in fields
        if f.default_from
    ]
    return typed.with_columns(
        *defaults,
        pl.col("roth_deferral_bp").fill_null(0),
        pl.col("loan_repayment_cents").fill_null(0),
    )


def mask_personal(column: pl.Expr, f: Field | None) -> pl.Expr:
    """A value fit for the rejections table: SSNs keep only their last four digits, names their initial."""
    if f is None or not f.is_personal:
        return column
    if f.kind == "ssn":
        digits = column.str.replace_all(r"[^0-9]", "")
        return pl.when(digits.str.len_chars() >= 4).then(pl.lit("***-**-") + digits.str.slice(-4)).otherwise(
            pl.lit("***")
        )
    return column.str.slice(0, 1) + pl.lit("***")


def _failures_to_rejections(err: pa.errors.SchemaErrors, frame: pl.DataFrame, source: pl.DataFrame) -> pl.DataFrame:
    """Pandera failure cases -> rejection rows. ``frame`` is what was validated (``index`` is its row
    position); ``source`` is the text frame the values are reported from."""
    cases = err.failure_cases.select(pl.col("index").cast(pl.Int64), pl.col("check").cast(pl.Utf8))
    cases = cases.filter(pl.col("index").is_not_null())
    lines = frame.select(pl.col(LINE)).with_row_index("index").with_columns(pl.col("index").cast(pl.Int64))
    tagged = cases.join(lines, on="index", how="inner").with_columns(
        pl.when(pl.col("check") == "not_nullable")
        .then(pl.lit(f"{RowReject.MISSING_VALUE.value}||required value is missing"))
        .otherwise(pl.col("check"))
        .str.splitn("|", 3)
        .struct.rename_fields(["reason_code", "column_name", "reason"])
        .alias("tag")
    ).unnest("tag")
    # A not-nullable failure names its column in pandera's own "column" field, not in the tag.
    nullable_column = err.failure_cases.select(
        pl.col("index").cast(pl.Int64), pl.col("column").cast(pl.Utf8).alias("_col"), pl.col("check").cast(pl.Utf8)
    ).filter(pl.col("check") == "not_nullable")
    tagged = tagged.join(nullable_column, on=["index", "check"], how="left").with_columns(
        pl.when(pl.col("column_name") == "").then(pl.col("_col")).otherwise(pl.col("column_name")).alias("column_name")
    )
    return _attach_values(tagged.select(LINE, "column_name", "reason_code", "reason").unique(), source)


def _attach_values(reasons: pl.DataFrame, source: pl.DataFrame) -> pl.DataFrame:
    """Add the offending (masked) value and the row's employee_id from the text frame."""
    rows = source.filter(pl.col(LINE).is_in(reasons[LINE].implode()))
    columns = [c for c in rows.columns if c != LINE]
    masked = rows.with_columns(
        mask_personal(pl.col(c), PAYROLL_FIELDS_BY_NAME.get(c)).alias(c) for c in columns
    )
    long = masked.unpivot(index=LINE, on=columns, variable_name="column_name", value_name="value")
    employee = rows.select(
        LINE,
        pl.col("employee_id") if "employee_id" in rows.columns else pl.lit(None, pl.Utf8).alias("employee_id"),
    )
    return (
        reasons.join(long, on=[LINE, "column_name"], how="left")
        .join(employee, on=LINE, how="left")
        .select(REJECTION_SCHEMA.keys())
        .cast(REJECTION_SCHEMA)
        .sort(LINE, "column_name", "reason_code")
    )


def _run_schema(schema: pa.DataFrameSchema, frame: pl.DataFrame, source: pl.DataFrame) -> pl.DataFrame:
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as err:
        return _failures_to_rejections(err, frame, source)
    return pl.DataFrame(schema=REJECTION_SCHEMA)


def _reject_lines(lines: pl.Series, reason: RowReject, column: str, message: str, source: pl.DataFrame) -> pl.DataFrame:
    reasons = pl.DataFrame({LINE: lines}).with_columns(
        pl.lit(column).alias("column_name"), pl.lit(reason.value).alias("reason_code"), pl.lit(message).alias("reason")
    )
    return _attach_values(reasons, source)


def validate_payroll(text: pl.DataFrame, limit_years: list[int]) -> Validated:
    """Stages 1-2 (pandera) and the in-file duplicate check; see :mod:`schemas.reasons` for precedence."""
    stage1 = _run_schema(text_schema(text.columns), text, text)
    clean_text = text.filter(~pl.col(LINE).is_in(stage1[LINE].implode()))
    typed = to_typed(clean_text)
    stage2 = _run_schema(row_schema(limit_years), typed, text)
    typed = typed.filter(~pl.col(LINE).is_in(stage2[LINE].implode()))

    key = ["employee_id", "pay_date"]
    keyed = text.filter(pl.all_horizontal(pl.col(k).is_not_null() for k in key))
    duplicated = keyed.filter(pl.struct(key).is_duplicated())[LINE]
    dup_lines = typed.filter(pl.col(LINE).is_in(duplicated.implode()))[LINE]
    stage3 = _reject_lines(
        dup_lines,
        RowReject.DUPLICATE_IN_FILE,
        "pay_date",
        "another row of this file has the same employee_id and pay_date (every copy is rejected)",
        text,
    )
    accepted = typed.filter(~pl.col(LINE).is_in(dup_lines.implode()))
    rejections = pl.concat([stage1, stage2, stage3]).sort(LINE, "column_name", "reason_code")
    result = Validated(accepted, rejections)
    if accepted.height + result.rows_rejected != text.height:
        raise AssertionError(
            f"rows not conserved: {text.height} read, {accepted.height} accepted, {result.rows_rejected} rejected"
        )
    return result


def reject_already_posted(validated: Validated, posted: pl.DataFrame, text: pl.DataFrame) -> Validated:
    """Move rows whose (employee_id, pay_date) the ledger already holds from another file to rejections."""
    hits = validated.accepted.join(posted.select("employee_id", "pay_date"), on=["employee_id", "pay_date"], how="semi")
    if hits.height == 0:
        return validated
    extra = _reject_lines(
        hits[LINE],
        RowReject.ALREADY_POSTED,
        "pay_date",
        "this employee_id and pay_date were already posted from another file (no double posting)",
        text,
    )
    return Validated(
        validated.accepted.join(hits.select(LINE), on=LINE, how="anti"),
        pl.concat([validated.rejections, extra]).sort(LINE, "column_name", "reason_code"),
    )
