"""The read path's fast code held against slow, obvious references (hypothesis).

* ``parse_decimal_text`` (a Decimal cast) against integer arithmetic on the digits;
* ``split_records`` (a quote-free fast path, a no-regrouping path, the general path) against a line-by-line
  Python reference;
* validation through ``screen_rows`` (one polars pass, then pandera on the flagged rows only) against pandera
  judging every row.
"""

from __future__ import annotations

import pandera.polars as pa
import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.ingest import (
    REJECTION_SCHEMA,
    _failures_to_rejections,
    _run_schema,
    read_csv_bytes,
    screen_rows,
    split_records,
    to_typed,
)
from pipelines.money import parse_decimal_text
from schemas.kinds import BALANCES, CENSUS, PAYROLL, ValidationContext
from schemas.payroll import text_schema

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def digits_reference(text: str, scale: int) -> int:
    whole, _, frac = text.partition(".")
    return int(whole) * 10**scale + int(frac.ljust(scale, "0") or "0")


@SETTINGS
@given(
    st.lists(
        st.tuples(st.integers(0, 10**13), st.sampled_from(["", ".d", ".dd"]), st.integers(0, 99)), max_size=40
    ),
    st.sampled_from([2, 4]),
)
def test_parse_decimal_text_is_exact(values, scale):
    texts = []
    for whole, shape, frac in values:
        tail = {"": "", ".d": f".{frac % 10}", ".dd": f".{frac:02d}"}[shape]  # the shapes validation lets through
        texts.append(f"{whole}{tail}")
    parsed = pl.DataFrame({"t": texts}, schema={"t": pl.Utf8}).select(parse_decimal_text(pl.col("t"), scale))
    assert parsed.to_series().to_list() == [digits_reference(t, scale) for t in texts]


def split_reference(decoded: str) -> list[tuple[int, int, bool, bool]]:
    """(line_number, field_count, is_unclosed, is_blank) per record: lines joined while a quote is open; a
    comma counts outside quotes only. An unclosed record's field count means nothing (it is rejected as
    unclosed): None."""
    lines = decoded.split("\n")
    if decoded.endswith("\n"):
        lines = lines[:-1]
    records, open_quotes, start, parts = [], 0, 0, []
    for number, line in enumerate(lines, start=1):
        line = line.removesuffix("\r")
        if not parts:
            start = number
        parts.append(line)
        open_quotes += line.count('"')
        if open_quotes % 2 == 0:
            records.append((start, "\n".join(parts), False))
            parts = []
    if parts:
        records.append((start, "\n".join(parts), True))
    out = []
    for start, text, unclosed in records:
        commas, inside = 0, False
        for ch in text:
            if ch == '"':
                inside = not inside
            elif ch == "," and not inside:
                commas += 1
        out.append((start, None if unclosed else commas + 1, unclosed, text.strip() == ""))
    return out


@SETTINGS
@given(st.lists(st.sampled_from(["a", "1", ",", '"', "\n", "\r\n", " ", "x,y"]), max_size=60))
def test_split_records_matches_reference(pieces):
    decoded = "".join(pieces)
    if not decoded:
        return
    got = split_records(decoded).select(
        "line_number", pl.when(~pl.col("is_unclosed")).then(pl.col("field_count")), "is_unclosed", "is_blank"
    ).rows()
    assert got == split_reference(decoded)


def pandera_everywhere(schema: pa.DataFrameSchema, frame: pl.DataFrame, source: pl.DataFrame,
                       fields) -> pl.DataFrame:  # noqa: ANN001
    """The reference: pandera judges every row (values are reported from the text frame ``source``)."""
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as err:
        return _failures_to_rejections(err, frame, source, fields)
    return pl.DataFrame(schema=REJECTION_SCHEMA)


# Values each column may take: good ones and every kind of bad one the checks know.
CELLS = {
    "date": ["2025-01-10", "1980-06-15", "2025-02-30", "06/15/1980", "0000-01-01", None],
    "money": ["100.00", "0", "12.5", "-1.00", "$5", "12.345", "123456789012.00", None],
    "pct": ["5", "0", "100", "100.01", "120", "-1", "5%", "2.5", None],
    "hours": ["80", "80.25", "-1", "1e3", None],
    "ssn": ["123-45-6789", "123456789", "12-345-6789", None],
    "text": ["E1", "E2", "E\x001", "E" * 65, None],
    "enum": ["voluntary", "death", "quit", None],
    "bool": ["true", "FALSE", "yes", None],
    "count": ["0", "3", "100", "x", None],
}


@SETTINGS
@given(st.data())
def test_screen_then_pandera_equals_pandera_everywhere(data):
    spec = data.draw(st.sampled_from([PAYROLL, CENSUS, BALANCES]))
    height = data.draw(st.integers(1, 12))
    columns = {
        f.name: data.draw(st.lists(st.sampled_from(CELLS[f.kind]), min_size=height, max_size=height))
        for f in spec.fields
        if f.required or data.draw(st.booleans())
    }
    text = pl.DataFrame({"line_number": list(range(2, height + 2)), **columns},
                        schema={"line_number": pl.Int64, **{c: pl.Utf8 for c in columns}})
    fields = spec.by_name
    stage1 = text_schema(text.columns, spec.fields)
    expected1 = pandera_everywhere(stage1, text, text, fields).sort(pl.all())
    assert _run_schema(stage1, text, text, fields).sort(pl.all()).equals(expected1)

    # Stage 2 on the rows stage 1 accepts, typed.
    typed = to_typed(text.filter(~pl.col("line_number").is_in(expected1["line_number"].implode())), spec.fields)
    stage2 = spec.row_schema(ValidationContext((2024, 2025), None))
    expected2 = pandera_everywhere(stage2, typed, text, fields).sort(pl.all())
    assert _run_schema(stage2, typed, text, fields).sort(pl.all()).equals(expected2)


def test_screen_defers_to_pandera_on_a_type_it_does_not_expect():
    # A column pandera expects as text but holding integers: the screen cannot judge it, pandera must.
    frame = pl.DataFrame({"line_number": [2], "employee_id": [7]})
    schema = text_schema(frame.columns)
    assert screen_rows(schema, frame) is None


def test_clean_file_never_reaches_pandera_and_dirty_rows_do(monkeypatch):
    calls = []
    original = pa.DataFrameSchema.validate

    def counting(self, frame, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        calls.append(frame.height)
        return original(self, frame, *args, **kwargs)

    monkeypatch.setattr(pa.DataFrameSchema, "validate", counting)
    header = "employee_id,date_of_birth,hire_date,pay_date,gross_pay,pretax_deferral_pct\n"
    good = "".join(f"E{i},1980-01-01,2020-01-01,2025-01-10,100.00,5\n" for i in range(50))
    read = read_csv_bytes((header + good).encode())
    _run_schema(text_schema(read.text.columns), read.text, read.text, PAYROLL.by_name)
    assert calls == []
    # One bad row of 51: pandera sees that one row only.
    read = read_csv_bytes((header + good + "E99,1980-01-01,2020-01-01,2025-01-10,$5,5\n").encode())
    rejected = _run_schema(text_schema(read.text.columns), read.text, read.text, PAYROLL.by_name)
    assert calls == [1]
    assert rejected.select("line_number", "column_name").rows() == [(52, "gross_pay")]
