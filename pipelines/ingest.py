"""Read an input file (payroll, census, balances) as text and split it into accepted typed rows and rejections.

Pure functions of bytes and frames: nothing here touches DuckDB or Prefect. Checks that need the database (a
row already posted from another file, a person the plan does not know) are made by the caller with
:func:`reject_rows`, given the lines to reject.

Every data row keeps its ``line_number``: the physical line it starts on (the header is line 1), also
after a quoted field that spans lines. Lines whose every field is empty are skipped and counted
as ``blank_lines``; every other row is either accepted or rejected, so rows read = accepted + rejected.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

import pandera.polars as pa
import polars as pl

from pipelines.money import parse_decimal_text
from schemas.fields import DEFERRAL_FORMS, FIELDS_BY_NAME, PAYROLL_FIELDS, Field
from schemas.kinds import PAYROLL, FileSpec, ValidationContext
from schemas.payroll import DATE_FORMAT, text_schema
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
    """A file read as text: ``text`` has one Utf8 column per header column plus ``line_number``;
    ``malformed`` holds the rejections of records that could not be split into the header's fields."""

    text: pl.DataFrame | None
    rows_read: int
    blank_lines: int
    error: FileError | None = None
    malformed: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=REJECTION_SCHEMA))
    #: Read through an import profile (:mod:`pipelines.profiles`): the export's own values under the field
    #: names (``text`` holds them rewritten), and each field's export header.
    shown: pl.DataFrame | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def values(self) -> pl.DataFrame | None:
        """The values a rejection reports: as the file wrote them."""
        return self.shown if self.shown is not None else self.text

    def as_exported(self, rejections: pl.DataFrame) -> pl.DataFrame:
        """Rejections naming the file's own columns (an export's headers, through its profile)."""
        if not self.headers:
            return rejections
        return rejections.with_columns(pl.col("column_name").replace(self.headers))


@dataclass(frozen=True)
class Validated:
    accepted: pl.DataFrame
    rejections: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=REJECTION_SCHEMA))

    @property
    def rows_rejected(self) -> int:
        return self.rejections[LINE].n_unique()


_SHOWABLE_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_ .-]{0,63}$")


def _shown(name: str) -> str:
    """A header name fit to print: a name that looks like data (an SSN, say, when the header row is missing)
    is described, never echoed."""
    if name == "":
        return "an empty column name (a trailing separator in the header?)"
    if _SHOWABLE_NAME_RE.match(name):
        return f"column '{name}'"
    return "a column name that looks like data, not shown (is the header row missing, or the separator not a comma?)"


def shown_column(name: str) -> str | None:
    """A header name fit to store as a rejection's column: None for one that looks like data (an SSN, when the
    header row is missing)."""
    return name if _SHOWABLE_NAME_RE.match(name) else None


def duplicate_column(names: list[str]) -> FileError | None:
    """The file's rejection when a header name appears twice (planadmin's own format or an export's)."""
    seen: set[str] = set()
    for name in names:
        if name in seen:
            return FileError(FileReject.DUPLICATE_COLUMN, f"{_shown(name)} appears more than once", shown_column(name))
        seen.add(name)
    return None


def _check_header(names: list[str], fields: dict[str, Field]) -> FileError | None:
    repeated = duplicate_column(names)
    if repeated is not None:
        return repeated
    seen = set(names)
    for name in names:
        if name not in fields:
            return FileError(
                FileReject.UNKNOWN_COLUMN,
                f"unknown {_shown(name)} (a misspelled optional column would silently lose its values; "
                f"known columns: {', '.join(fields)})",
                shown_column(name),
            )
    for f in fields.values():
        if f.required and f.name not in seen and (f.alternative is None or f.alternative not in seen):
            either = f" (or '{f.alternative}')" if f.alternative else ""
            return FileError(FileReject.MISSING_COLUMN, f"required column '{f.name}'{either} is missing", f.name)
    return None


_QUOTED_FIELD_RE = r'"(?:[^"]|"")*"'


def split_records(decoded: str) -> pl.DataFrame:
    r"""Split CSV text into records, each with the physical line it starts on, vectorised.

    A record is a physical line, or several when a quoted field holds a line break (the running count of
    ``"`` is odd at the end of a line). ``field_count`` counts separators outside quoted fields, so a row with
    too many or too few fields is found before any parser sees it. ``is_unclosed`` marks a final record whose
    quote never closes.

    Examples
    --------
    >>> r = split_records('a,b\n"x\ny",2\n\n3,4,5\n')
    >>> r.select("line_number", "field_count", "is_unclosed").rows()
    [(1, 2, False), (2, 2, False), (4, 1, False), (5, 3, False)]
    """
    lines = (
        pl.Series("text", [decoded]).str.split("\n").explode().to_frame()
        .with_row_index(LINE, offset=1)
        .with_columns(pl.col(LINE).cast(pl.Int64), pl.col("text").str.strip_suffix("\r"))
    )
    if decoded.endswith("\n"):
        lines = lines.head(lines.height - 1)
    if '"' not in decoded:  # the common case, and the fast one: every line is a record, every comma counts
        records = lines.with_columns(pl.lit(False).alias("is_unclosed"))
        unquoted = pl.col("text")
    else:
        odd_after = (pl.col("text").str.count_matches('"', literal=True).cum_sum() % 2) == 1
        records = lines.with_columns((~odd_after.shift(1, fill_value=False)).cum_sum().alias("_record"))
        if records["_record"].n_unique() == records.height:  # no quoted line breaks: no need to regroup lines
            records = records.with_columns(odd_after.alias("is_unclosed")).drop("_record")
        else:
            records = (
                records.group_by("_record", maintain_order=True)
                .agg(pl.col(LINE).first(), pl.col("text").str.join("\n"), odd_after.last().alias("is_unclosed"))
                .drop("_record")
            )
        unquoted = pl.col("text").str.replace_all(_QUOTED_FIELD_RE, "")
    return records.with_columns(
        (unquoted.str.count_matches(",", literal=True) + 1).cast(pl.Int64).alias("field_count"),
        (pl.col("text").str.strip_chars() == "").alias("is_blank"),
    )


def _malformed(records: pl.DataFrame, header_count: int) -> pl.DataFrame:
    """Rejections for records that are not well-formed CSV rows (no value is echoed: it may hold an SSN)."""
    bad = records.filter(~pl.col("is_blank") & (pl.col("is_unclosed") | (pl.col("field_count") != header_count)))
    return bad.select(
        pl.col(LINE),
        pl.lit(None, pl.Utf8).alias("employee_id"),
        pl.lit(None, pl.Utf8).alias("column_name"),
        pl.lit(None, pl.Utf8).alias("value"),
        pl.when(pl.col("is_unclosed"))
        .then(pl.lit(RowReject.UNCLOSED_QUOTE.value))
        .when(pl.col("field_count") < 0)
        .then(pl.lit(RowReject.MALFORMED_RECORD.value))
        .otherwise(pl.lit(RowReject.WRONG_FIELD_COUNT.value))
        .alias("reason_code"),
        pl.when(pl.col("is_unclosed"))
        .then(pl.lit("a quoted field opened in this record never closes (the rest of the file is this record)"))
        .when(pl.col("field_count") < 0)
        .then(pl.lit("not valid CSV: a quote inside an unquoted field or after a closing quote, or a bare "
                     "carriage return"))
        .otherwise(pl.format("has {} fields; the header has {}", pl.col("field_count"), pl.lit(header_count)))
        .alias("reason"),
    ).cast(REJECTION_SCHEMA)


def _parse_record(record: str) -> list[str] | None:
    """One record with the csv module in strict mode; None when it is not valid CSV (a stray quote such as
    ``"E2"x``, a lone carriage return)."""
    try:
        return next(csv.reader([record], strict=True), [])
    except csv.Error:
        return None


def _lenient_parse(records: list[str], names: list[str]) -> tuple[pl.DataFrame, list[int]]:
    """Parse records one by one with the csv module (strict); also return the positions that are not valid
    CSV or do not split into the header's fields."""
    parsed = [_parse_record(record) or [] for record in records]
    width = len(names)
    wrong = [i for i, fields in enumerate(parsed) if len(fields) != width]
    frame = pl.DataFrame(
        [fields if len(fields) == width else [None] * width for fields in parsed],
        schema={n: pl.Utf8 for n in names},
        orient="row",
    )
    return frame, wrong


def read_csv_bytes(
    data: bytes, fields: tuple[Field, ...] = PAYROLL_FIELDS,
    check_header: Callable[[list[str]], FileError | None] | None = None,
) -> ReadResult:
    r"""Decode and parse an input file as text against its kind's ``fields`` (or ``check_header``, for an
    export read through an import profile), or say why the whole file is rejected.

    UTF-8 with or without a BOM, LF or CRLF line ends. Values are stripped of surrounding blanks, normalised
    to Unicode NFC, and an empty value is null. A record with the wrong number of fields or an unclosed quote
    is a row rejection (``malformed``) on the line it starts; the rest of the file is still read.

    Examples
    --------
    >>> r = read_csv_bytes(b"\xef\xbb\xbfemployee_id,date_of_birth,hire_date,pay_date,gross_pay,"
    ...     b"pretax_deferral_pct\r\nE1,1980-01-01,2020-01-01,2025-01-10, 100.00 ,5\r\n\r\nE2,oops\r\n")
    >>> (r.rows_read, r.blank_lines, r.text["gross_pay"].item(), r.text["line_number"].item())
    (2, 1, '100.00', 2)
    >>> r.malformed.select("line_number", "reason").row(0)
    (4, 'has 2 fields; the header has 6')
    """
    by_name = {f.name: f for f in fields}
    try:
        decoded = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return ReadResult(None, 0, 0, FileError(FileReject.NOT_UTF8, f"not UTF-8: byte {exc.start} is invalid"))
    if not decoded.strip():
        return ReadResult(None, 0, 0, FileError(FileReject.EMPTY_FILE, "the file is empty (no header row)"))
    records = split_records(decoded)
    header = records.row(0, named=True)
    if header["is_blank"]:
        return ReadResult(None, 0, 0, FileError(FileReject.EMPTY_FILE, "line 1 is blank: the header row must come first"))
    if header["is_unclosed"]:
        return ReadResult(None, 0, 0, FileError(FileReject.UNREADABLE_CSV, "the header row has an unclosed quote"))
    header_fields = _parse_record(header["text"])
    if not header_fields:
        return ReadResult(None, 0, 0, FileError(FileReject.UNREADABLE_CSV, "the header row is not valid CSV"))
    # Headers compare as text, so the same name in decomposed Unicode (an accented header exported on a Mac) matches.
    names = [unicodedata.normalize("NFC", name.strip()) for name in header_fields]
    body = records.slice(1)
    blank_lines = int(body["is_blank"].sum())
    malformed = _malformed(body, len(names))
    rows_read = body.height - blank_lines
    header_error = check_header(names) if check_header is not None else _check_header(names, by_name)
    if header_error is not None:
        return ReadResult(None, rows_read, blank_lines, header_error)
    good = body.filter(~pl.col("is_blank") & ~pl.col(LINE).is_in(malformed[LINE].implode()))
    if good.height == 0 and malformed.height == 0:
        return ReadResult(None, 0, blank_lines, FileError(FileReject.EMPTY_FILE, "the file has a header but no rows"))
    try:
        text = pl.read_csv(
            io.BytesIO(good["text"].str.join("\n").item().encode("utf-8")) if good.height else io.BytesIO(b""),
            has_header=False,
            new_columns=names,
            schema={n: pl.Utf8 for n in names},
            raise_if_empty=False,
        )
    except pl.exceptions.PolarsError:
        # polars is strict about stray quotes (`"123"x`); Python's csv module reads them leniently. This
        # slow path runs only for files polars refuses. Never echo polars' message: it quotes raw text.
        text, wrong = _lenient_parse(good["text"].to_list(), names)
        if wrong:
            misread = good[wrong].with_columns(pl.lit(-1, pl.Int64).alias("field_count"))
            malformed = pl.concat([malformed, _malformed(misread, len(names))]).sort(LINE)
            text = text.with_row_index("_i").filter(~pl.col("_i").is_in(wrong)).drop("_i")
            good = good.with_row_index("_i").filter(~pl.col("_i").is_in(wrong)).drop("_i")
    if text.height != good.height:
        raise AssertionError(f"CSV parser returned {text.height} rows for {good.height} records")
    # NFC leaves ASCII unchanged, and is the costliest step of reading: only text beyond ASCII pays for it.
    normalize = (lambda e: e) if decoded.isascii() else (lambda e: e.str.normalize("NFC"))  # noqa: E731
    text = text.with_columns(good[LINE]).select(LINE, *names).with_columns(
        normalize(pl.col(c).str.strip_chars()).replace("", None) for c in names
    )
    # A row of only separators (",,,,") is a blank line too.
    is_blank = pl.all_horizontal(pl.col(c).is_null() for c in names)
    all_empty = text.filter(is_blank).height
    text = text.filter(~is_blank)
    return ReadResult(text, rows_read - all_empty, blank_lines + all_empty, malformed=malformed)


#: Each deferral's percent field with its withheld-amount field, and the other way round.
_AMOUNT_OF = dict(DEFERRAL_FORMS)
_PCT_OF = {amount: pct for pct, amount in DEFERRAL_FORMS}


def to_typed(text: pl.DataFrame, fields: tuple[Field, ...] = PAYROLL_FIELDS) -> pl.DataFrame:
    """Typed columns (see :mod:`schemas.fields`) from stage-1-valid text; an absent optional column or empty
    cell takes its field's ``default`` or ``default_from`` column (else stays null)."""
    by_name = {f.name: f for f in fields}
    exprs: list[pl.Expr] = [pl.col(LINE)]
    for f in fields:
        col = pl.col(f.name) if f.name in text.columns else pl.lit(None, pl.Utf8)
        if f.kind == "date":
            expr = col.str.to_date(DATE_FORMAT)
        elif f.kind in ("money", "pct", "hours"):
            expr = parse_decimal_text(col)
        elif f.kind == "ssn":
            expr = col.str.replace_all("-", "").str.slice(-4)
        elif f.kind == "bool":
            expr = col.str.to_lowercase() == "true"
        elif f.kind == "count":
            expr = col.cast(pl.Int32)
        else:
            expr = col
        if f.default is not None:
            # A percent left empty beside its withheld amount is not 0%: the row gives that source as an amount.
            amount = _AMOUNT_OF.get(f.name)
            if amount is not None and amount in text.columns:
                expr = pl.when(pl.col(amount).is_null()).then(expr.fill_null(f.default)).otherwise(expr)
            else:
                expr = expr.fill_null(f.default)
        elif f.name in _PCT_OF and _PCT_OF[f.name] not in text.columns:
            # A file of withheld amounts only (no percent column for the source): an empty cell withheld nothing.
            expr = expr.fill_null(0)
        exprs.append(expr.alias(f.typed_name))
    typed = text.select(exprs)
    return typed.with_columns(
        pl.col(f.typed_name).fill_null(pl.col(by_name[f.default_from].typed_name)) for f in fields if f.default_from
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


def _failures_to_rejections(err: pa.errors.SchemaErrors, frame: pl.DataFrame, source: pl.DataFrame,
                            fields: dict[str, Field]) -> pl.DataFrame:
    """Pandera failure cases -> rejection rows. ``frame`` is what was validated (``index`` is its row
    position); ``source`` is the text frame the values are reported from."""
    cases = err.failure_cases.select(pl.col("index").cast(pl.Int64), pl.col("check").cast(pl.Utf8))
    if cases["index"].null_count():
        # A check that failed as a whole (it raised) would otherwise silently pass every row.
        failed = cases.filter(pl.col("index").is_null())["check"].to_list()
        raise AssertionError(f"a validation check failed without row positions: {failed}")
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
    return _attach_values(tagged.select(LINE, "column_name", "reason_code", "reason").unique(), source, fields)


def _attach_values(reasons: pl.DataFrame, source: pl.DataFrame, fields: dict[str, Field]) -> pl.DataFrame:
    """Add the offending (masked) value and the row's employee_id from the text frame."""
    rows = source.filter(pl.col(LINE).is_in(reasons[LINE].implode()))
    columns = [c for c in rows.columns if c != LINE]
    masked = rows.with_columns(
        mask_personal(pl.col(c), fields.get(c, FIELDS_BY_NAME.get(c))).alias(c) for c in columns
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


def screen_rows(schema: pa.DataFrameSchema, frame: pl.DataFrame) -> pl.Series | None:
    """Per row, whether it passes every check of ``schema`` (nullability and each check's expression, see
    :func:`schemas.payroll.expr_check`), in one polars pass; None when the frame's columns or types differ
    from the schema's (pandera must then judge the whole frame).

    pandera runs each check as its own query and builds failure cases for all of them, about eight times the
    cost of this pass on a clean payroll file. ``tests/test_fast_paths.py`` holds the two to the same verdicts.
    """
    exprs: list[pl.Expr] = []
    for name, column in schema.columns.items():
        if name not in frame.columns or (column.dtype is not None and frame.schema[name] != column.dtype.type):
            return None
        if not column.nullable:
            exprs.append(pl.col(name).is_not_null())
        exprs += [_check_expr(check) for check in column.checks]
    exprs += [_check_expr(check) for check in schema.checks]
    if not exprs:
        return pl.Series("ok", [True] * frame.height, pl.Boolean)
    return frame.select(pl.all_horizontal(e.fill_null(True) for e in exprs).alias("ok")).to_series()


def _check_expr(check: pa.Check) -> pl.Expr:
    expr = check.statistics.get("expr")
    if not isinstance(expr, pl.Expr):
        raise AssertionError(f"check {check.error!r} is not an expr_check: the screen cannot evaluate it")
    return expr


def _run_schema(schema: pa.DataFrameSchema, frame: pl.DataFrame, source: pl.DataFrame,
                fields: dict[str, Field]) -> pl.DataFrame:
    """Rejections for the rows of ``frame`` that fail ``schema``: pandera judges the rows the screen flags."""
    passes = screen_rows(schema, frame)
    suspects = frame if passes is None else frame.filter(~passes)
    if suspects.height == 0:
        return pl.DataFrame(schema=REJECTION_SCHEMA)
    try:
        schema.validate(suspects, lazy=True)
    except pa.errors.SchemaErrors as err:
        return _failures_to_rejections(err, suspects, source, fields)
    if passes is not None:
        raise AssertionError(f"the screen failed {suspects.height} rows that pandera's {schema.name} accepts")
    return pl.DataFrame(schema=REJECTION_SCHEMA)


def _reject_lines(lines: pl.Series, reason: RowReject, column: str, message: str, source: pl.DataFrame,
                  fields: dict[str, Field] | None = None) -> pl.DataFrame:
    reasons = pl.DataFrame({LINE: lines}).with_columns(
        pl.lit(column).alias("column_name"), pl.lit(reason.value).alias("reason_code"), pl.lit(message).alias("reason")
    )
    return _attach_values(reasons, source, fields or {})


def validate_rows(
    text: pl.DataFrame, spec: FileSpec, context: ValidationContext, malformed: pl.DataFrame | None = None,
    shown: pl.DataFrame | None = None,
) -> Validated:
    """Stages 1-2 (pandera) and the in-file duplicate check for a file of kind ``spec``; see
    :mod:`schemas.reasons` for precedence. ``malformed`` are the stage-0 rejections from
    :func:`read_csv_bytes`, kept in the result. ``shown`` (default ``text``) has the values rejections report."""
    malformed = pl.DataFrame(schema=REJECTION_SCHEMA) if malformed is None else malformed
    fields = spec.by_name
    source = text if shown is None else shown
    stage1 = _run_schema(text_schema(text.columns, spec.fields), text, source, fields)
    clean_text = text.filter(~pl.col(LINE).is_in(stage1[LINE].implode()))
    typed = to_typed(clean_text, spec.fields)
    stage2 = _run_schema(spec.row_schema(context), typed, source, fields)
    typed = typed.filter(~pl.col(LINE).is_in(stage2[LINE].implode()))

    key = list(spec.key)
    keyed = text.filter(pl.all_horizontal(pl.col(k).is_not_null() for k in key))
    duplicated = keyed.filter(pl.struct(key).is_duplicated())[LINE]
    dup_lines = typed.filter(pl.col(LINE).is_in(duplicated.implode()))[LINE]
    stage3 = _reject_lines(
        dup_lines,
        RowReject.DUPLICATE_IN_FILE,
        key[-1],
        f"another row of this file has the same {' and '.join(key)} (every copy is rejected)",
        source,
        fields,
    )
    accepted = typed.filter(~pl.col(LINE).is_in(dup_lines.implode()))
    rejections = pl.concat([malformed, stage1, stage2, stage3]).sort(LINE, "column_name", "reason_code", nulls_last=True)
    result = Validated(accepted, rejections)
    rows = text.height + malformed[LINE].n_unique()
    if accepted.height + result.rows_rejected != rows:
        raise AssertionError(f"rows not conserved: {rows} read, {accepted.height} accepted, {result.rows_rejected} rejected")
    return result


def validate_payroll(text: pl.DataFrame, limit_years: list[int], malformed: pl.DataFrame | None = None) -> Validated:
    """:func:`validate_rows` for a payroll file."""
    return validate_rows(text, PAYROLL, ValidationContext(tuple(limit_years)), malformed)


def reject_rows(
    validated: Validated, lines: pl.Series, reason: RowReject, column: str, message: str, text: pl.DataFrame,
    spec: FileSpec = PAYROLL,
) -> Validated:
    """Move the accepted rows on ``lines`` to rejections (a stage-3 check the caller made against the
    database); rows already rejected keep only their earlier reasons."""
    hits = validated.accepted.filter(pl.col(LINE).is_in(lines.implode()))
    if hits.height == 0:
        return validated
    extra = _reject_lines(hits[LINE], reason, column, message, text, spec.by_name)
    return Validated(
        validated.accepted.join(hits.select(LINE), on=LINE, how="anti"),
        pl.concat([validated.rejections, extra]).sort(LINE, "column_name", "reason_code", nulls_last=True),
    )


def reject_already_posted(validated: Validated, posted: pl.DataFrame, text: pl.DataFrame) -> Validated:
    """Move rows whose (employee_id, pay_date) the ledger already holds from another file to rejections."""
    hits = validated.accepted.join(posted.select("employee_id", "pay_date"), on=["employee_id", "pay_date"], how="semi")
    return reject_rows(
        validated,
        hits[LINE],
        RowReject.ALREADY_POSTED,
        "pay_date",
        "this employee_id and pay_date were already posted from another file (no double posting)",
        text,
    )
