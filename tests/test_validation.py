"""Every reject reason, row- and file-level, from small text inputs (no database needed)."""

from __future__ import annotations

import polars as pl
import pytest

from pipelines.ingest import read_csv_bytes, validate_payroll
from schemas.reasons import FileReject, RowReject
from tests.conftest import COLUMNS, make_csv, row

YEARS = list(range(2018, 2027))


def reasons(rows: list[dict[str, str]], columns=COLUMNS) -> list[tuple[int, str, str]]:
    read = read_csv_bytes(make_csv(rows, columns))
    assert read.error is None, read.error
    v = validate_payroll(read.text, YEARS)
    assert v.accepted.height + v.rows_rejected == read.rows_read
    return v.rejections.select("line_number", "column_name", "reason_code").rows()


@pytest.mark.parametrize(
    ("bad", "column", "code"),
    [
        ({"gross_pay": ""}, "gross_pay", RowReject.MISSING_VALUE),
        ({"employee_id": ""}, "employee_id", RowReject.MISSING_VALUE),
        ({"pay_date": "2025-13-45"}, "pay_date", RowReject.BAD_FORMAT),
        ({"date_of_birth": "06/15/1980"}, "date_of_birth", RowReject.BAD_FORMAT),
        ({"hire_date": "2025-02-30"}, "hire_date", RowReject.BAD_FORMAT),
        ({"gross_pay": "-100.00"}, "gross_pay", RowReject.NEGATIVE_MONEY),
        ({"gross_pay": '"$1,234.00"'}, "gross_pay", RowReject.BAD_FORMAT),
        ({"gross_pay": "12.345"}, "gross_pay", RowReject.BAD_FORMAT),
        ({"gross_pay": "12345678901.00"}, "gross_pay", RowReject.BAD_FORMAT),
        ({"plan_compensation": "1e5"}, "plan_compensation", RowReject.BAD_FORMAT),
        ({"pretax_deferral_pct": "120"}, "pretax_deferral_pct", RowReject.OUT_OF_RANGE),
        ({"pretax_deferral_pct": "100.01"}, "pretax_deferral_pct", RowReject.OUT_OF_RANGE),
        ({"roth_deferral_pct": "-1"}, "roth_deferral_pct", RowReject.BAD_FORMAT),
        ({"pretax_deferral_pct": "5%"}, "pretax_deferral_pct", RowReject.BAD_FORMAT),
        ({"pretax_deferral_pct": "60", "roth_deferral_pct": "50"}, "roth_deferral_pct", RowReject.PCT_SUM_OVER_100),
        ({"hire_date": "2025-02-01", "pay_date": "2025-01-10"}, "pay_date", RowReject.PAY_BEFORE_HIRE),
        ({"date_of_birth": "2013-01-01", "hire_date": "2024-06-01"}, "date_of_birth", RowReject.AGE_OUT_OF_RANGE),
        ({"date_of_birth": "1914-01-01"}, "date_of_birth", RowReject.AGE_OUT_OF_RANGE),
        ({"termination_date": "2019-12-31", "termination_reason": "voluntary"}, "termination_date",
         RowReject.TERMINATION_BEFORE_HIRE),
        ({"termination_date": "2025-01-10", "termination_reason": "quit"}, "termination_reason", RowReject.BAD_CHOICE),
        ({"termination_reason": "death"}, "termination_reason", RowReject.REASON_WITHOUT_DATE),
        ({"pay_date": "2027-01-08"}, "pay_date", RowReject.NO_LIMITS_FOR_YEAR),
        ({"employee_id": "E\x001"}, "employee_id", RowReject.BAD_FORMAT),
        ({"employee_id": "E" * 65}, "employee_id", RowReject.OUT_OF_RANGE),
    ],
)
def test_each_row_reason(bad, column, code):
    # One good row (line 2) and the bad one (line 3): only line 3 is rejected, for this reason.
    assert reasons([row(employee_id="OK"), row(**bad)]) == [(3, column, code.value)]


def test_age_bounds_are_inclusive():
    # 14th birthday on the pay date is allowed; the day before it is not.
    assert reasons([row(date_of_birth="2011-01-10", hire_date="2024-06-01")]) == []
    assert reasons([row(date_of_birth="2011-01-11", hire_date="2024-06-01")]) == [
        (2, "date_of_birth", RowReject.AGE_OUT_OF_RANGE.value)
    ]


def test_every_failure_of_a_row_is_reported():
    assert reasons([row(gross_pay="-5", pretax_deferral_pct="120", pay_date="2025-1-1")]) == [
        (2, "gross_pay", "negative_money"),
        (2, "pay_date", "bad_format"),
        (2, "pretax_deferral_pct", "out_of_range"),
    ]


def test_cross_field_checks_wait_for_clean_values():
    # An unparseable hire_date is reported once, not again as "pay before hire".
    assert reasons([row(hire_date="soon")]) == [(2, "hire_date", "bad_format")]


def test_duplicate_employee_and_pay_date_rejects_every_copy():
    rows = [row(employee_id="A"), row(employee_id="B"), row(employee_id="A", gross_pay="2000.00")]
    assert reasons(rows) == [(2, "pay_date", "duplicate_in_file"), (4, "pay_date", "duplicate_in_file")]


def test_optional_columns_may_be_absent_and_default():
    read = read_csv_bytes(make_csv([row(gross_pay="1500.50")], COLUMNS[:6]))
    v = validate_payroll(read.text, YEARS)
    # plan_compensation defaults to gross pay, Roth % and loan repayment to 0.
    assert v.accepted.select("plan_compensation_cents", "roth_deferral_bp", "loan_repayment_cents").row(0) == (
        150_050, 0, 0,
    )


def test_empty_plan_compensation_cell_defaults_to_gross_pay():
    read = read_csv_bytes(make_csv([row(gross_pay="1500.50", plan_compensation="")]))
    assert validate_payroll(read.text, YEARS).accepted["plan_compensation_cents"].item() == 150_050


def test_values_are_parsed_exactly():
    read = read_csv_bytes(
        make_csv([row(gross_pay=" 1234.5 ", pretax_deferral_pct="6.25", roth_deferral_pct="0.5")])
    )
    v = validate_payroll(read.text, YEARS)
    assert v.accepted.select("gross_pay_cents", "pretax_deferral_bp", "roth_deferral_bp").row(0) == (123_450, 625, 50)


def test_ssn_is_masked_in_rejections_and_kept_as_last_four():
    columns = (*COLUMNS, "ssn", "first_name")
    read = read_csv_bytes(make_csv([row(ssn="123-45-6789", first_name="Ada"), row(employee_id="E2", ssn="12-345-678", first_name="Bo")], columns))
    v = validate_payroll(read.text, YEARS)
    assert v.accepted["ssn_last4"].to_list() == ["6789"]
    assert v.rejections.select("column_name", "value").rows() == [("ssn", "***-**-5678")]
    assert "12-345-678" not in str(v.rejections)


def test_bom_and_crlf_are_accepted_and_blank_lines_skipped():
    data = make_csv([row(), {}, row(employee_id="E2")], line_end="\r\n", bom=True)
    read = read_csv_bytes(data)
    assert (read.error, read.rows_read, read.blank_lines) == (None, 2, 1)
    # Line numbers count the header as line 1 and keep counting across the blank line.
    assert read.text["line_number"].to_list() == [2, 4]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", FileReject.EMPTY_FILE),
        (b"\n\n", FileReject.EMPTY_FILE),
        (make_csv([]), FileReject.EMPTY_FILE),
        (b"employee_id,date_of_birth\n\xff\xfe,1980-01-01\n", FileReject.NOT_UTF8),
        (make_csv([row()], tuple(c for c in COLUMNS if c != "gross_pay")), FileReject.MISSING_COLUMN),
        (make_csv([row()], (*COLUMNS, "roth_deferal_pct")), FileReject.UNKNOWN_COLUMN),
        (make_csv([row()], (*COLUMNS, "gross_pay")), FileReject.DUPLICATE_COLUMN),
        (make_csv([row()]).replace(b",", b";"), FileReject.UNKNOWN_COLUMN),
        (b'"employee_id,date_of_birth\nE1,1980-01-01\n', FileReject.UNREADABLE_CSV),
    ],
    ids=["zero-bytes", "blank-lines", "header-only", "latin-1", "missing-column", "misspelled-column",
         "duplicate-column", "semicolons", "unclosed-quote-in-header"],
)
def test_whole_file_rejections(data, code):
    read = read_csv_bytes(data)
    assert read.error is not None and read.error.code == code
    assert read.text is None


def test_whole_file_rejection_still_counts_its_rows():
    read = read_csv_bytes(make_csv([row(), row(employee_id="E2")], (*COLUMNS, "bogus")))
    assert (read.error.code, read.rows_read) == (FileReject.UNKNOWN_COLUMN, 2)


def malformed_file(*lines: str) -> bytes:
    header = ",".join(COLUMNS)
    good = ",".join(row().get(c, "") for c in COLUMNS)
    return "\n".join([header, good, *lines, good.replace("E1", "E9")]).encode() + b"\n"


def test_a_row_with_extra_or_missing_fields_is_rejected_alone():
    good = ",".join(row(employee_id="E2").get(c, "") for c in COLUMNS)
    read = read_csv_bytes(malformed_file(good + ",EXTRA", good.rsplit(",", 2)[0]))
    # Lines: 1 header, 2 good, 3 one field too many, 4 two fields short, 5 good.
    assert read.error is None and read.rows_read == 4
    assert read.malformed.select("line_number", "reason_code", "reason").rows() == [
        (3, "wrong_field_count", "has 11 fields; the header has 10"),
        (4, "wrong_field_count", "has 8 fields; the header has 10"),
    ]
    v = validate_payroll(read.text, YEARS, read.malformed)
    assert (v.accepted.height, v.rows_rejected) == (2, 2)


def test_an_unclosed_quote_swallows_the_rest_of_the_file_as_one_rejected_record():
    read = read_csv_bytes(malformed_file('"E2,1980-01-01,2020-01-01,2025-01-10,1000.00,5,,,,'))
    assert read.malformed.select("line_number", "reason_code").rows() == [(3, "unclosed_quote")]
    assert read.rows_read == 2 and read.text["line_number"].to_list() == [2]


def test_line_numbers_are_physical_lines_across_quoted_line_breaks():
    cols = (*COLUMNS, "last_name")
    rows = [row(last_name='"Smith\nJones"'), row(employee_id="E2", gross_pay="-1")]
    read = read_csv_bytes(make_csv(rows, cols))
    # The first record spans lines 2-3 (and a line break is not allowed in a name), so the next is line 4.
    v = validate_payroll(read.text, YEARS)
    assert v.rejections.select("line_number", "column_name", "reason_code").rows() == [
        (2, "last_name", "bad_format"),
        (4, "gross_pay", "negative_money"),
    ]


def test_quoted_commas_are_one_field():
    cols = (*COLUMNS, "last_name")
    read = read_csv_bytes(make_csv([row(last_name='"Smith, Jr."')], cols))
    assert read.malformed.height == 0 and read.text["last_name"].to_list() == ["Smith, Jr."]


def test_no_message_echoes_raw_text_that_may_hold_an_ssn():
    cols = (*COLUMNS, "ssn")
    data = make_csv([row(ssn='"123-45-6789"x'), row(employee_id="E2", ssn='"123-45-6789')], cols)
    read = read_csv_bytes(data)
    v = validate_payroll(read.text, YEARS, read.malformed)
    everything = str(v.rejections.rows()) + str(read.error)
    assert "6789" not in everything.replace("***-**-6789", "")
    assert "123-45" not in everything


@pytest.mark.parametrize("bad", [{"date_of_birth": "0000-01-01"}, {"termination_date": "0000-01-01",
                                 "termination_reason": "voluntary"}, {"pay_date": "0001-06-01"}])
def test_year_zero_dates_are_rejected_and_do_not_disable_other_checks(bad):
    # A year-0 date once broke a whole-frame check so that an age-5 row slipped through.
    rows = [row(**bad), row(employee_id="KID", date_of_birth="2020-01-01", hire_date="2024-06-01")]
    got = reasons(rows)
    assert got[0][0] == 2 and got[0][2] == "bad_format"
    assert (3, "date_of_birth", "age_out_of_range") in got


def test_invisible_characters_in_ids_are_rejected():
    assert reasons([row(employee_id="E\u200b1")]) == [(2, "employee_id", "bad_format")]


def test_missing_column_error_names_the_column():
    read = read_csv_bytes(make_csv([row()], tuple(c for c in COLUMNS if c != "pay_date")))
    assert (read.error.column, read.error.message) == ("pay_date", "required column 'pay_date' is missing")


def test_rejection_carries_line_column_value_reason():
    read = read_csv_bytes(make_csv([row(), row(employee_id="E9", gross_pay="-100.00")]))
    rej = validate_payroll(read.text, YEARS).rejections
    assert rej.row(0, named=True) == {
        "line_number": 3, "employee_id": "E9", "column_name": "gross_pay", "value": "-100.00",
        "reason_code": "negative_money", "reason": "money must not be negative",
    }
    assert rej.schema["line_number"] == pl.Int64
