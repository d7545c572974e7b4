"""Import profiles: an employer's export read through PLANS/profiles/<name>.toml (formats, header, rejections in
the export's own terms, the profile file's strictness, `planadmin profile check`), and rehire dates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.ingest import validate_rows
from pipelines.profiles import money_text, parse_date, pct_text, read_export
from pipelines.store.checks import run_checks
from schemas.kinds import CENSUS, PAYROLL, ValidationContext
from schemas.plan import PlanConfigError, load_plan
from schemas.profile import DatesConfig, MoneyConfig, parse_profile_text

AS_OF = dt.date(2026, 1, 15)

PAYROLL_PROFILE = """
kind = "payroll"
description = "Initrode's PayStar export"
ignored = ["Dept", "Net Pay"]
[columns]
"Emp No" = "employee_id"
"Last" = "last_name"
"SSN" = "ssn"
"DOB" = "date_of_birth"
"Hired" = "hire_date"
"Rehired" = "rehire_date"
"Check Date" = "pay_date"
"Gross" = "gross_pay"
"401k" = "pretax_deferral_amount"
"Roth %" = "roth_deferral_pct"
"ER Match" = "match_amount"
[constants]
hours_worked = "80"
[dates]
formats = ["%m/%d/%Y", "%m/%d/%y"]
no_date = ["0", "00/00/0000"]
"""
HEADER = "Emp No,Last,SSN,DOB,Hired,Rehired,Check Date,Dept,Gross,401k,Roth %,ER Match,Net Pay"
PLAN_TOML = """
plan_id = "initrode"
name = "Initrode 401(k)"
[match]
tiers = [ { up_to_pct = 4, rate_pct = 100 } ]
[imports]
payroll = "initrode-payroll"
"""


def dates(values: list[str], rule: str, as_of: dt.date = AS_OF, formats=("%m/%d/%Y", "%m/%d/%y")) -> list:
    frame = pl.DataFrame({"t": values}, schema={"t": pl.Utf8})
    return frame.select(parse_date(pl.col("t"), DatesConfig(formats=formats), rule, as_of)).to_series().to_list()


def test_two_digit_years_past_rule_on_both_sides_of_the_as_of_date():
    # A birth date is never after the as-of date (2026-01-15): '1/15/26' is that very day, so 2026; '1/16/26'
    # would be a day later, so it is 1926. '4/5/80' cannot be 2080, so 1980; '12/31/25' is 2025.
    assert dates(["1/15/26", "1/16/26", "4/5/80", "12/31/25"], "past") == [
        dt.date(2026, 1, 15), dt.date(1926, 1, 16), dt.date(1980, 4, 5), dt.date(2025, 12, 31)]


def test_two_digit_years_nearest_rule_flips_half_a_century_away():
    # A pay date takes the century nearest the as-of date 2026-01-15. Fifty years back from it is 18,263 days to
    # 1976-01-15 (13 leap days, 1976-2024) and fifty ahead 18,262 days to 2076-01-15 (12 leap days, 2028-2072):
    # '1/15/76' is nearer in 2076. Two days later, 1976-01-17 is 18,261 days back and 2076-01-17 18,264 ahead: 1976.
    # '1/9/26' is 6 days before the as-of date, '12/26/25' 20 days before: this century.
    assert dates(["1/15/76", "1/17/76", "1/9/26", "12/26/25"], "nearest") == [
        dt.date(2076, 1, 15), dt.date(1976, 1, 17), dt.date(2026, 1, 9), dt.date(2025, 12, 26)]


def test_four_digit_and_two_digit_years_are_told_apart_and_a_leap_day_must_exist():
    # %Y takes exactly four digits and %y two: '3/7/2025' is read by the first format, '3/7/25' by the second,
    # '3/7/2' and '3/7/202' by neither. 29 February 2000 exists; moved to 1900 (as of 1999-06-01, the 'past'
    # rule) it does not, so it does not convert.
    assert dates(["3/7/2025", "3/7/25", "3/7/2", "3/7/202"], "past") == [
        dt.date(2025, 3, 7), dt.date(2025, 3, 7), None, None]
    assert dates(["2/29/00"], "past", as_of=dt.date(2024, 6, 1)) == [dt.date(2000, 2, 29)]
    assert dates(["2/29/00"], "past", as_of=dt.date(1999, 6, 1)) == [None]


@pytest.mark.parametrize(("text", "expected"), [
    ("$1,234.56", "1234.56"), ("1,234", "1234"), ("(12.50)", "-12.50"), ("-$3", "-3"), ("$-3.5", "-3.5"),
    ("$ 1,000,000.00", "1000000.00"), ("0", "0"), ("1234.56", "1234.56"),
    ("$12,34.00", None),   # thousands separator not in a group of three
    ("1.234", None),       # three decimals
    ("-(5)", None),        # negative twice
    ("(5", None), ("$$5", None), ("5 USD", None), ("", None),
])
def test_money_as_an_export_writes_it(text, expected):
    frame = pl.DataFrame({"t": [text]})
    assert frame.select(money_text(pl.col("t"), MoneyConfig())).item() == expected


def test_money_with_other_separators():
    # A European export: 1.234,56 with a euro sign.
    cfg = MoneyConfig(currency_symbol="€", thousands_separator=".", decimal_separator=",")
    frame = pl.DataFrame({"t": ["€1.234,56", "(0,50)", "1,234.56"]})
    assert frame.select(money_text(pl.col("t"), cfg)).to_series().to_list() == ["1234.56", "-0.50", None]


def test_percent_with_or_without_sign():
    frame = pl.DataFrame({"t": ["6%", " 6.5 % ", "7", "100%"]})
    assert frame.select(pct_text(pl.col("t"))).to_series().to_list() == ["6", "6.5", "7", "100"]


@pytest.mark.parametrize(("text", "message"), [
    ('kind = "payroll"\nsheet = 1\n[columns]\n"Id" = "employee_id"', "unknown key 'sheet'"),
    ('kind = "payroll"\n[columns]\n"Id" = "employe_id"', "'employe_id' is not a payroll field"),
    ('kind = "census"\n[columns]\n"Id" = "employee_id"\n"DOB" = "date_of_birth"', "required field hire_date"),
    ('kind = "census"\n[columns]\n"Id" = "employee_id"\n"DOB" = "date_of_birth"\n"H" = "hire_date"\n'
     '"H2" = "hire_date"', "hire_date filled more than once"),
    ('kind = "census"\nignored = ["Id"]\n[columns]\n"Id" = "employee_id"\n"DOB" = "date_of_birth"\n"H" = "hire_date"',
     "Id also mapped"),
    ('kind = "census"\n[columns]\n"Id" = "employee_id"\n"DOB" = "date_of_birth"\n"H" = "hire_date"\n'
     '[dates]\nformats = ["%d.%m"]', "must have a year"),
    ('kind = "census"\n[columns]\n"Id" = "employee_id"\n"DOB" = "date_of_birth"\n"H" = "hire_date"\n'
     '[money]\nthousands_separator = "."', "must differ"),
    # A constant is planadmin's own form, checked as the field's values are: a bad one would reject every row.
    ('kind = "census"\n[columns]\n"Id" = "employee_id"\n"DOB" = "date_of_birth"\n"H" = "hire_date"\n'
     '[constants]\nprior_vesting_years = "3.5"', "constants.prior_vesting_years: '3.5' is not a whole number"),
    ('kind = "census"\n[columns]\n"Id" = "employee_id"\n"DOB" = "date_of_birth"\n"H" = "hire_date"\n'
     '[values.city]\n"NY" = "New York"', "values.city: not a field the profile maps from a column"),
    # planadmin numbers the lines itself: an export column of that name could never be read.
    ('kind = "census"\nignored = ["line_number"]\n[columns]\n"Id" = "employee_id"\n"DOB" = "date_of_birth"\n'
     '"H" = "hire_date"', "an export column named line_number cannot be read"),
    # A constant 0% Roth beside a Roth-amount column: every row with an amount would give both forms.
    ('kind = "payroll"\n[columns]\n"Id" = "employee_id"\n"DOB" = "date_of_birth"\n"H" = "hire_date"\n'
     '"P" = "pay_date"\n"G" = "gross_pay"\n"D" = "pretax_deferral_amount"\n"R" = "roth_deferral_amount"\n'
     '[constants]\nroth_deferral_pct = "0"', "roth_deferral_pct and roth_deferral_amount are both filled"),
])
def test_a_profile_is_strict_and_names_the_file_and_key(text, message):
    with pytest.raises(PlanConfigError, match="acme-x.toml") as caught:
        parse_profile_text(text, "PLANS/profiles/acme-x.toml")
    assert message in str(caught.value)


def test_a_payroll_profile_may_fill_pretax_with_the_withheld_amount():
    # pretax_deferral_pct is required, but its alternative pretax_deferral_amount stands in for it.
    profile = parse_profile_text(PAYROLL_PROFILE, "p.toml")
    assert profile.header_for("pretax_deferral_amount") == "401k"
    with pytest.raises(PlanConfigError, match=r"pretax_deferral_pct \(or pretax_deferral_amount\)"):
        parse_profile_text(PAYROLL_PROFILE.replace('"401k" = "pretax_deferral_amount"\n', ""), "p.toml")


def export(*lines: str) -> bytes:
    return ("\n".join([HEADER, *lines]) + "\n").encode()


GOOD = 'T1,Smith,900-12-3456,4/5/80,03/01/2015,0,03/07/2025,Ops,"$2,000.00",$100.00,,$80.00,"$1,500.00"'


def test_an_export_is_read_into_planadmins_own_form():
    profile = parse_profile_text(PAYROLL_PROFILE, "p.toml")
    read = read_export(export(GOOD), PAYROLL, profile, "initrode-payroll", AS_OF)
    assert read.error is None and read.rows_read == 1
    got = read.text.select("employee_id", "date_of_birth", "rehire_date", "pay_date", "gross_pay",
                           "pretax_deferral_amount", "match_amount", "hours_worked").row(0)
    # '4/5/80' -> 1980 (never after the as-of date); '0' is no date; '$2,000.00' -> 2000.00; the constant 80 hours.
    assert got == ("T1", "1980-04-05", None, "2025-03-07", "2000.00", "100.00", "80.00", "80")
    # What rejections would report: the export's own values and headers.
    assert read.values.select("date_of_birth", "gross_pay").row(0) == ("4/5/80", "$2,000.00")
    assert read.headers["pay_date"] == "Check Date"


@pytest.mark.parametrize(("header", "code", "named"), [
    (HEADER.replace(",Check Date", ""), "missing_column", "column 'Check Date' is missing: import profile "
     "'initrode-payroll' reads pay_date from it"),
    (HEADER + ",Bonus", "unknown_column", "column 'Bonus' is neither mapped nor ignored"),
    (HEADER + ",Dept", "duplicate_column", "column 'Dept' appears more than once"),
])
def test_an_export_whose_header_does_not_fit_is_rejected_whole(header, code, named):
    profile = parse_profile_text(PAYROLL_PROFILE, "p.toml")
    read = read_export((header + "\n" + GOOD + "\n").encode(), PAYROLL, profile, "initrode-payroll", AS_OF)
    assert read.text is None and read.error.code.value == code
    assert named in read.error.message


def test_rejections_name_the_exports_line_column_and_masked_value():
    profile = parse_profile_text(PAYROLL_PROFILE, "p.toml")
    data = export(
        GOOD,
        'T2,Jones,900-12-3457,13/45/1990,3/1/20,0,3/7/25,Ops,"$1,000.00",$10.00,,$0.40,$900.00',   # a bad date
        'T3,Brown,900-12-3458,1/1/1990,3/1/20,0,3/7/25,Ops,"$12,34.00",$10.00,,$0.40,$900.00',    # bad money
        'T4,Green,900-12-345,1/1/1990,3/1/20,0,3/7/25,Ops,(12.50),$10.00,,$0.40,$900.00',          # SSN, negative
        'T5,White,900-12-3450,1/1/1990,3/1/20,0,3/7/25,Ops,"$1,000.00",$10.00,5%,$0.40,$900.00',   # fine: 5% Roth
    )
    read = read_export(data, PAYROLL, profile, "initrode-payroll", AS_OF)
    validated = validate_rows(read.text, PAYROLL, ValidationContext((2025,), AS_OF), read.malformed, read.shown)
    got = read.as_exported(validated.rejections).select("line_number", "column_name", "value", "reason_code").rows()
    assert got == [
        (3, "DOB", "13/45/1990", "bad_format"),
        (4, "Gross", "$12,34.00", "bad_format"),
        (5, "Gross", "(12.50)", "negative_money"),
        (5, "SSN", "***-**-2345", "bad_format"),  # 8 digits, masked as any SSN: only the last four shown
    ]
    # Rows read = accepted + rejected: lines 2 and 6 are accepted.
    assert validated.accepted["line_number"].to_list() == [2, 6] and validated.rows_rejected == 3


@pytest.fixture()
def plans_dir(tmp_path: Path) -> Path:
    plans = tmp_path / "PLANS"
    (plans / "profiles").mkdir(parents=True)
    (plans / "initrode.toml").write_text(PLAN_TOML)
    (plans / "profiles" / "initrode-payroll.toml").write_text(PAYROLL_PROFILE)
    return plans


def test_a_plan_file_loads_its_profiles_and_a_missing_one_is_a_configuration_error(plans_dir):
    plan = load_plan(plans_dir / "initrode.toml")
    assert plan.profile("payroll").description == "Initrode's PayStar export" and plan.profile("census") is None
    (plans_dir / "profiles" / "initrode-payroll.toml").unlink()
    with pytest.raises(PlanConfigError, match="initrode-payroll.toml: cannot read import profile"):
        load_plan(plans_dir / "initrode.toml")
    (plans_dir / "profiles" / "initrode-payroll.toml").write_text(PAYROLL_PROFILE.replace('"payroll"', '"census"', 1)
                                                                   .replace('"401k" = "pretax_deferral_amount"\n', "")
                                                                   .replace('"Roth %" = "roth_deferral_pct"\n', "")
                                                                   .replace('"Check Date" = "pay_date"\n', "")
                                                                   .replace('"Gross" = "gross_pay"\n', "")
                                                                   .replace('"ER Match" = "match_amount"\n', "")
                                                                   .replace('hours_worked = "80"\n', ""))
    with pytest.raises(PlanConfigError, match="key 'kind' is 'census' but the plan imports it for payroll files"):
        load_plan(plans_dir / "initrode.toml")


def test_an_export_posts_through_its_profile_and_the_rejections_table_speaks_the_exports_terms(
        plans_dir, ledger, post_kind):
    plan = load_plan(plans_dir / "initrode.toml")
    data = export(
        GOOD,
        'T2,Jones,900-12-3457,12/31/1975,3/1/20,0,3/7/25,Ops,"$3,000.00",$150.00,2%,$90.00,"$2,000.00"',
        'T3,Brown,900-12-3458,13/45/1990,3/1/20,0,3/7/25,Ops,"$1,000.00",$10.00,,$0.40,$900.00',
    ).decode()
    result = post_kind("payroll", "register-2025-03-07.csv", data, "2026-01-15", plan=plan)
    assert (result.status, result.rows_read, result.rows_posted, result.rows_rejected) == ("posted", 3, 2, 1)
    # T1: $100.00 withheld pre-tax on $2,000.00; match 100% up to 4% of pay = min(100, 80) = $80.00 (remitted $80:
    # no variance). T2: $150.00 pre-tax + 2% Roth of $3,000.00 = $60.00; match on $210 up to 4% ($120) = $120.00;
    # remitted $90.00 -> a variance of 90 - 120 = -$30.00.
    amounts = ledger.frame("SELECT employee_id, source, amount::VARCHAR a FROM ledger ORDER BY ALL").rows()
    assert amounts == [("T1", "match", "80.00"), ("T1", "pretax", "100.00"), ("T2", "match", "120.00"),
                       ("T2", "pretax", "150.00"), ("T2", "roth", "60.00")]
    assert ledger.frame("SELECT employee_id, remitted_match::VARCHAR, computed_match::VARCHAR, difference::VARCHAR "
                        "FROM match_variances").rows() == [("T2", "90.00", "120.00", "-30.00")]
    assert ledger.frame("SELECT line_number, column_name, value, reason_code FROM rejections").rows() == [
        (4, "DOB", "13/45/1990", "bad_format")]
    lines = ledger.frame("SELECT employee_id, pretax_deferral_pct, pretax_deferral_amount::VARCHAR, "
                         "roth_deferral_pct::VARCHAR, hours_worked::VARCHAR FROM payroll_lines ORDER BY 1").rows()
    assert lines == [("T1", None, "100.00", "0.00", "80.00"), ("T2", None, "150.00", "2.00", "80.00")]
    assert run_checks(ledger) == []


def test_a_rehire_date_ends_an_earlier_termination_and_hire_date_stays_the_first(ledger, post_kind, acme_plan):
    # Hired 2015, left 2023, rehired 2025-06-16: in force is the rehire, so the 2023 termination is not; the
    # first hire stays on record for service.
    census = ("employee_id,date_of_birth,hire_date,rehire_date,termination_date,termination_reason\n"
              "R1,1980-01-01,2015-03-01,2025-06-16,2023-05-31,voluntary\n"
              "R2,1980-01-01,2015-03-01,2014-01-01,,\n")  # a rehire before the first hire is an error
    result = post_kind("census", "census.csv", census, "2025-07-01", plan=acme_plan)
    assert (result.rows_posted, result.rows_rejected) == (1, 1)
    assert ledger.frame("SELECT column_name, reason_code FROM rejections").rows() == [
        ("rehire_date", "rehire_before_hire")]
    assert ledger.frame("SELECT hire_date::VARCHAR, first_hire_date::VARCHAR, termination_date::VARCHAR "
                        "FROM participants").rows() == [("2025-06-16", "2015-03-01", "2023-05-31")]
    assert ledger.frame("SELECT count(*) FROM terminations_in_force").item() == 0
    assert ledger.frame("SELECT rehire_date::VARCHAR FROM census_lines").item() == "2025-06-16"


def test_a_census_export_through_its_profile(ledger, post_kind, tmp_path):
    plans = tmp_path / "P"
    (plans / "profiles").mkdir(parents=True)
    (plans / "acme.toml").write_text('plan_id = "acme"\nname = "Acme"\n[imports]\ncensus = "acme-census"\n')
    # The export writes termination reasons as codes; the profile's [values] turns them into planadmin's words.
    (plans / "profiles" / "acme-census.toml").write_text(
        'kind = "census"\n[columns]\n"ID" = "employee_id"\n"Born" = "date_of_birth"\n"Orig Hire" = "hire_date"\n'
        '"Rehire" = "rehire_date"\n"Term" = "termination_date"\n"Why" = "termination_reason"\n'
        '[values.termination_reason]\n"V" = "voluntary"\n"R" = "retirement"\n'
        '[dates]\nformats = ["%m/%d/%Y"]\nno_date = ["00/00/0000"]\n')
    plan = load_plan(plans / "acme.toml")
    text = ("ID,Born,Orig Hire,Rehire,Term,Why\n"
            "C1,01/02/1970,03/01/2010,00/00/0000,00/00/0000,\n"
            "C2,1/2/1970,3/1/2010,7/1/2025,6/30/2024,V\n"
            "C3,1/2/1960,3/1/2010,00/00/0000,6/30/2025,X\n")  # X: no value maps it, and it is no reason
    result = post_kind("census", "c.csv", text, "2025-07-15", plan=plan)
    assert (result.rows_posted, result.rows_rejected) == (2, 1)
    assert ledger.frame("SELECT line_number, column_name, value, reason_code FROM rejections").rows() == [
        (4, "Why", "X", "bad_choice")]
    # C2: first hired 2010, left 2024-06-30 (voluntary), rehired 2025-07-01: the termination is not in force.
    assert ledger.frame("SELECT employee_id, hire_date::VARCHAR, first_hire_date::VARCHAR, termination_date::VARCHAR, "
                        "termination_reason FROM participants ORDER BY 1").rows() == [
        ("C1", "2010-03-01", "2010-03-01", None, None),
        ("C2", "2025-07-01", "2010-03-01", "2024-06-30", "voluntary")]
    assert CENSUS.by_name["rehire_date"].kind == "date"


def test_profile_check_prints_the_mapping_a_masked_sample_and_every_rejection(plans_dir, tmp_path):
    file = tmp_path / "register.csv"
    file.write_bytes(export(GOOD, 'T3,Brown,900-12-3458,13/45/1990,3/1/20,0,3/7/25,Ops,"$1,000.00",$10.00,,$0.40,$900.00'))
    result = CliRunner().invoke(app, ["profile", "check", "--plans", str(plans_dir), "--plan", "initrode",
                                      "--kind", "payroll", "--as-of", "2026-01-15", str(file)])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "Check Date" in text and "pay_date" in text and "(ignored)" in text
    assert "03/07/2025 -> 2025-03-07" in text and "$2,000.00 -> 2000.00" in text
    assert "***-**-3456" in text and "900-12-3456" not in text and "Smith" not in text  # masked
    assert "13/45/1990" in text and "not a date as %m/%d/%Y or %m/%d/%y" in text
    assert "2 rows read, 1 accepted, 1 rejected" in text
    # A file that cannot be read with the profile: exit 1, naming why.
    file.write_bytes((HEADER + ",Bonus\n").encode())
    result = CliRunner().invoke(app, ["profile", "check", "--plans", str(plans_dir), "--plan", "initrode",
                                      "--kind", "payroll", str(file)])
    assert result.exit_code == 1 and "Bonus" in result.output


def test_each_date_field_takes_its_own_two_digit_year_rule():
    # As of 2026-01-15, '1/16/26' is the next day. A birth date is never in the future: 1926-01-16. A hire or
    # termination date may be, on a file sent ahead, by up to a year (year_ahead): 2026-01-16; but '1/16/27' is a
    # year and a day ahead, so 1927. A retiree's '12/31/75' termination stays 1975 (the nearest century would be
    # 2075: 49.96 years ahead against 50.04 back). A profile may override a field's rule.
    profile = parse_profile_text(
        'kind = "census"\n[columns]\n"Id" = "employee_id"\n"DOB" = "date_of_birth"\n"Hired" = "hire_date"\n'
        '"Term" = "termination_date"\n[dates]\nformats = ["%m/%d/%y"]\n', "c.toml")
    text = b"Id,DOB,Hired,Term\nC1,1/16/26,1/16/26,1/16/26\nC2,1/1/50,1/15/27,12/31/75\n"
    read = read_export(text, CENSUS, profile, "c", AS_OF)
    assert read.text.select("date_of_birth", "hire_date", "termination_date").rows() == [
        ("1926-01-16", "2026-01-16", "2026-01-16"), ("1950-01-01", "2027-01-15", "1975-12-31")]
    assert dates(["1/16/27"], "year_ahead") == [dt.date(1927, 1, 16)]
    assert dates(["12/31/75"], "nearest") == [dt.date(2075, 12, 31)]
    overridden = parse_profile_text(
        'kind = "census"\n[columns]\n"Id" = "employee_id"\n"DOB" = "date_of_birth"\n"Hired" = "hire_date"\n'
        '"Term" = "termination_date"\n[dates]\nformats = ["%m/%d/%y"]\n[dates.two_digit_year]\nhire_date = "past"\n',
        "c.toml")
    assert read_export(text, CENSUS, overridden, "c", AS_OF).text["hire_date"].to_list() == ["1926-01-16", "1927-01-15"]


def test_what_the_review_found_at_the_edges(tmp_path):
    profile = parse_profile_text(PAYROLL_PROFILE + '[values.last_name]\n"Smyth" = "Smith"\n', "p.toml")
    # An export with no header row, an SSN first: its first record is taken for the header. The rejection names no
    # column, so the SSN is stored nowhere.
    no_header = b"900-12-3456,T1,Smith\n900-12-3457,T2,Jones\n"
    read = read_export(no_header, PAYROLL, profile, "p", AS_OF)
    assert read.error.code.value == "unknown_column" and read.error.column is None
    assert "900-12-3456" not in read.error.message
    # Accounting zero ($ -) reads as 0; a European percent with a decimal comma is read with the profile's separator.
    assert pl.DataFrame({"t": ["$ -", "-", "$-"]}).select(money_text(pl.col("t"), MoneyConfig())).to_series().to_list() \
        == ["0", "0", "0"]
    assert pl.DataFrame({"t": ["6,5 %"]}).select(pct_text(pl.col("t"), ",")).item() == "6.5"
    # A header in decomposed Unicode (an accented name exported on a Mac) matches the profile's composed key.
    accented = parse_profile_text('kind = "census"\n[columns]\n"Número" = "employee_id"\n"DOB" = "date_of_birth"\n'
                                  '"Hired" = "hire_date"\n', "c.toml")
    decomposed = "Nu\u0301mero,DOB,Hired\nC1,1980-01-01,2020-01-01\n".encode()
    assert read_export(decomposed, CENSUS, accented, "c", AS_OF).text["employee_id"].to_list() == ["C1"]


def test_a_rejection_names_each_column_once_even_when_a_header_is_another_fields_name():
    # The export's column called "hire_date" holds the rehire date; "Orig Hire" holds the first hire. A bad value
    # in "hire_date" must be reported under "hire_date", not translated twice into "Orig Hire". A code the profile
    # maps ("RES" -> voluntary) is reported as the export wrote it.
    profile = parse_profile_text(
        'kind = "census"\n[columns]\n"Id" = "employee_id"\n"DOB" = "date_of_birth"\n"Orig Hire" = "hire_date"\n'
        '"hire_date" = "rehire_date"\n"Why" = "termination_reason"\n[values.termination_reason]\n"RES" = "voluntary"\n'
        '[dates]\nformats = ["%m/%d/%Y"]\n', "c.toml")
    data = b"Id,DOB,Orig Hire,hire_date,Why\nC1,1/1/1980,3/1/2010,31/31/2020,\nC2,1/1/1980,3/1/2010,,RES\n"
    read = read_export(data, CENSUS, profile, "c", AS_OF)
    validated = validate_rows(read.text, CENSUS, ValidationContext((2025,), AS_OF), read.malformed, read.shown)
    assert read.as_exported(validated.rejections).select("line_number", "column_name", "value", "reason_code").rows() == [
        (2, "hire_date", "31/31/2020", "bad_format"),
        (3, "Why", "RES", "termination_reason_without_date")]
