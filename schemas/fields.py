"""The field dictionary: one entry per input column, from which the pandera schemas are generated.

Every input file is read as text first, so a bad value becomes a rejection with its line and column, never
a crash. A field's ``kind`` decides how its text is checked and what typed column it becomes:

==========  ===========================================  ====================================
kind        accepted text                                 typed column
==========  ===========================================  ====================================
text        any non-empty text up to 64 characters        ``<name>`` Utf8
date        ``YYYY-MM-DD``, a real calendar date          ``<name>`` Date
money       digits, at most 2 decimals, no symbols        ``<name>_cents`` Int64
pct         0–100, at most 2 decimals                     ``<name>_bp`` Int64 (hundredths of a %)
hours       a number ≥ 0, at most 2 decimals              ``<name>_hundredths`` Int64
ssn         ``123-45-6789`` or ``123456789``              ``ssn_last4`` Utf8 (the rest is dropped)
enum        one of the listed values                      ``<name>`` Utf8
bool        ``true`` or ``false`` (any letter case)       ``<name>`` Boolean
count       a whole number 0–99                           ``<name>`` Int32
==========  ===========================================  ====================================

One dictionary per file kind: :data:`PAYROLL_FIELDS`, :data:`CENSUS_FIELDS`, :data:`BALANCE_FIELDS`,
:data:`DISTRIBUTION_FIELDS`.
"""

from __future__ import annotations

from dataclasses import dataclass

from schemas.sources import STATEMENT_SOURCES

TERMINATION_REASONS: tuple[str, ...] = ("voluntary", "involuntary", "retirement", "death", "disability")
#: Why money left the plan. Every type but ``corrective`` (a return of excess deferrals or contributions, IRC
#: §402(g)(2), §415 correction) counts toward the year's required minimum distribution.
DISTRIBUTION_TYPES: tuple[str, ...] = (
    "rmd", "cash_out", "direct_rollover", "in_service", "hardship", "death_benefit", "corrective",
)
#: The census's mailing address, kept for letters (personal data: masked in rejections, never logged).
ADDRESS_COLUMNS: tuple[str, ...] = ("address_line1", "address_line2", "city", "state", "postal_code")


#: Largest money amount accepted in one field: $9,999,999,999.99 (10 integer digits). Anything larger in a
#: single paycheck is a data error, and the bound keeps every intermediate product well inside Int64/Int128.
MAX_MONEY_INTEGER_DIGITS = 10


@dataclass(frozen=True)
class Field:
    """One input column.

    Parameters
    ----------
    name : exact column name in the file header.
    kind : one of text, date, money, pct, hours, ssn, enum.
    required : a required column must be in the header and every row must have a value.
    description : what the value means, with its unit.
    default_from : for an optional money column, the column whose value it takes when empty.
    is_personal : personal data; its values are masked in rejections and never logged.
    choices : allowed values for an ``enum`` field.
    default : the typed value an absent column or empty cell takes (``None``: stays null).
    """

    name: str
    kind: str
    required: bool
    description: str
    default_from: str | None = None
    is_personal: bool = False
    choices: tuple[str, ...] = ()
    default: int | bool | None = None
    #: For a ``date`` read through an import profile with a two-digit-year format, the century it takes:
    #: ``"past"`` puts it on or before the run's as-of date (a birth date is never in the future);
    #: ``"year_ahead"`` no more than a year after it (a hire, termination or rehire on a file sent ahead, yet a
    #: retiree's 1975 termination stays in 1975); ``"nearest"`` nearest it (a pay date).
    two_digit_year: str = "past"
    #: For a required field: another field that may stand in for it, in the header and in each row (a payroll
    #: row gives its pre-tax deferral as a percent or as a withheld amount).
    alternative: str | None = None

    @property
    def typed_name(self) -> str:
        return {
            "money": f"{self.name}_cents",
            "pct": f"{self.name.removesuffix('_pct')}_bp",
            "hours": f"{self.name}_hundredths",
            "ssn": "ssn_last4",
        }.get(self.kind, self.name)


PAYROLL_FIELDS: tuple[Field, ...] = (
    Field("employee_id", "text", True, "The employer's id for the person, stable across files."),
    Field("date_of_birth", "date", True, "Date of birth; decides catch-up eligibility."),
    Field("hire_date", "date", True, "Date of (first) hire.", two_digit_year="year_ahead"),
    Field("rehire_date", "date", False, "Date of the latest rehire, when the person left and came back; it ends "
          "an earlier termination (hire_date stays the first hire).", two_digit_year="year_ahead"),
    Field("pay_date", "date", True, "Check date; its calendar year decides every annual limit.",
          two_digit_year="nearest"),
    Field("gross_pay", "money", True, "Gross pay for the period, dollars."),
    Field("pretax_deferral_pct", "pct", True, "Percent of plan compensation elected as pre-tax deferral; "
          "every row gives this or pretax_deferral_amount (a file may hold rows of either form).",
          alternative="pretax_deferral_amount"),
    Field("roth_deferral_pct", "pct", False, "Percent of plan compensation elected as Roth deferral (default 0, "
          "unless roth_deferral_amount is given).", default=0),
    Field("pretax_deferral_amount", "money", False, "Pre-tax deferral payroll withheld this period, dollars "
          "(instead of pretax_deferral_pct); a part beyond the limits is an excess deferral, held for refund."),
    Field("roth_deferral_amount", "money", False, "Roth deferral payroll withheld this period, dollars "
          "(instead of roth_deferral_pct)."),
    Field("match_amount", "money", False, "Match the employer computed and remitted for the period, dollars; "
          "compared with planadmin's own (match_variances)."),
    Field(
        "plan_compensation",
        "money",
        False,
        "Pay that elections and match apply to, dollars (default: gross_pay).",
        default_from="gross_pay",
    ),
    Field("termination_date", "date", False, "Date employment ended (may be after the run's as-of date, on a file "
          "sent ahead).", two_digit_year="year_ahead"),
    Field("termination_reason", "enum", False, "Why employment ended.", choices=TERMINATION_REASONS),
    Field("hours_worked", "hours", False, "Hours worked in the period."),
    Field("loan_repayment", "money", False, "Plan-loan repayment withheld this period, dollars (default 0).",
          default=0),
    Field("ssn", "ssn", False, "Social Security number; only its last four digits are kept.", is_personal=True),
    Field("first_name", "text", False, "Given name.", is_personal=True),
    Field("last_name", "text", False, "Family name.", is_personal=True),
    Field("prior_year_fica_wages", "money", False, "FICA wages from this employer in the previous year, dollars."),
    Field("ownership_pct", "pct", False, "Percent of the employer the person owns."),
)

PAYROLL_FIELDS_BY_NAME: dict[str, Field] = {f.name: f for f in PAYROLL_FIELDS}

#: Each deferral source of a payroll row as (percent column, withheld-amount column): a row gives one form or
#: the other for a source, never both (``percent_and_amount``).
DEFERRAL_FORMS: tuple[tuple[str, str], ...] = (
    ("pretax_deferral_pct", "pretax_deferral_amount"),
    ("roth_deferral_pct", "roth_deferral_amount"),
)

CENSUS_FIELDS: tuple[Field, ...] = (
    Field("employee_id", "text", True, "The employer's id for the person, as in payroll files."),
    Field("date_of_birth", "date", True, "Date of birth; decides catch-up, normal retirement age and RMDs."),
    Field("hire_date", "date", True, "Date of hire (the latest, unless rehire_date gives it); elapsed-time vesting "
          "service counts from it.", two_digit_year="year_ahead"),
    Field("rehire_date", "date", False, "Date of the latest rehire; hire_date is then the first hire, and the "
          "rehire ends an earlier termination.", two_digit_year="year_ahead"),
    Field("termination_date", "date", False, "Date employment ended; empty means employed (a rehire withdraws it).",
          two_digit_year="year_ahead"),
    Field("termination_reason", "enum", False, "Why employment ended.", choices=TERMINATION_REASONS),
    Field("ownership_pct", "pct", False, "Percent of the employer the person owns."),
    Field("ssn", "ssn", False, "Social Security number; only its last four digits are kept.", is_personal=True),
    Field("first_name", "text", False, "Given name.", is_personal=True),
    Field("last_name", "text", False, "Family name.", is_personal=True),
    Field("prior_vesting_years", "count", False, "Years of vesting service credited before the plan's records."),
    Field("spouse_date_of_birth", "date", False, "Spouse's date of birth (RMDs).", is_personal=True),
    Field("spouse_is_sole_beneficiary", "bool", False, "The spouse is the sole beneficiary (RMDs)."),
    Field("address_line1", "text", False, "Mailing address, first line (letters).", is_personal=True),
    Field("address_line2", "text", False, "Mailing address, second line (letters).", is_personal=True),
    Field("city", "text", False, "Mailing address: city (letters).", is_personal=True),
    Field("state", "text", False, "Mailing address: state or province (letters).", is_personal=True),
    Field("postal_code", "text", False, "Mailing address: ZIP or postal code (letters).", is_personal=True),
)

BALANCE_FIELDS: tuple[Field, ...] = (
    Field("employee_id", "text", True, "The employer's id for the person, as in payroll and census files."),
    Field("as_of_date", "date", True, "The date the statement's balance is as of."),
    Field("source", "enum", True, "The money source the balance is held in.", choices=STATEMENT_SOURCES),
    Field("balance", "money", True, "The statement's balance in that source on as_of_date, dollars."),
)

DISTRIBUTION_FIELDS: tuple[Field, ...] = (
    Field("employee_id", "text", True, "The employer's id for the person, as in payroll and census files."),
    Field("paid_date", "date", True, "The day the money was paid out; not after the run's as-of date."),
    Field("source", "enum", True, "The money source it was paid from.", choices=STATEMENT_SOURCES),
    Field("gross_amount", "money", True, "The amount taken from the source before withholding, dollars (> 0)."),
    Field("distribution_type", "enum", True, "Why it was paid.", choices=DISTRIBUTION_TYPES),
    Field("federal_withholding", "money", False, "Federal income tax withheld from it, dollars (default 0).",
          default=0),
    Field("state_withholding", "money", False, "State income tax withheld from it, dollars (default 0).", default=0),
)

FIELDS_BY_NAME: dict[str, Field] = {
    f.name: f for f in (*PAYROLL_FIELDS, *CENSUS_FIELDS, *BALANCE_FIELDS, *DISTRIBUTION_FIELDS)
}
"""Every input column by name; a name means the same thing in every file kind that has it."""
