"""Import profiles (``PLANS/profiles/<name>.toml``): how one employer's export layout maps onto a file kind.

No payroll system writes planadmin's column names. A profile says, for one export layout, which export column
fills which field (:mod:`schemas.fields`), which export columns are deliberately ignored, constant values for
fields the export lacks, how its dates are written (formats tried in order, the texts that mean "no date")
and how its money is written. A plan file names the profile per kind (``[imports] payroll = "acme-payroll"``);
without one, a file is read in planadmin's own format, unchanged.

Strict like plan files: an unknown key, a field the kind does not have, a field filled twice, or a required
field neither mapped nor given a constant is a :class:`~schemas.plan.PlanConfigError` naming the file and the
key. What the rules mean for values (two-digit years, ``$1,234.56``, ``(12.50)``, ``6%``) is in
:mod:`pipelines.profiles`.

Examples
--------
>>> p = parse_profile_text('kind = "payroll"\\n[columns]\\n"Emp #" = "employee_id"\\n"DOB" = "date_of_birth"\\n'
...     '"Hired" = "hire_date"\\n"Check Date" = "pay_date"\\n"Gross" = "gross_pay"\\n"401k" = "pretax_deferral_amount"\\n'
...     '[dates]\\nformats = ["%m/%d/%Y"]', "acme-payroll.toml")
>>> p.columns["Emp #"], p.header_for("pay_date")
('employee_id', 'Check Date')
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

import polars as pl

from schemas.fields import DEFERRAL_FORMS
from schemas.kinds import FILE_KINDS
from schemas.payroll import value_checks
from schemas.plan import PlanConfigError, parse_toml_model

KINDS = {spec.kind: spec for spec in FILE_KINDS}
#: The column planadmin numbers a file's lines in (pipelines.ingest.LINE); an export column may not take its name.
LINE_COLUMN = "line_number"
#: The strptime directives a profile's date formats may use, each with the text it must match: the digit counts
#: chrono does not enforce (``%Y`` would take ``25`` as the year 25); :func:`pipelines.profiles.format_pattern`.
DATE_DIRECTIVES = {"Y": r"[0-9]{4}", "y": r"[0-9]{2}", "m": r"[0-9]{1,2}", "d": r"[0-9]{1,2}", "b": r"[A-Za-z]{3}",
                   "B": r"[A-Za-z]{3,9}", "%": "%"}
PROFILES_DIR = "profiles"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class DatesConfig(_Strict):
    #: strptime formats (``%m/%d/%Y``, ``%m/%d/%y``, ``%Y-%m-%d``, ...) tried in this order.
    formats: tuple[str, ...] = Field(default=("%Y-%m-%d",), min_length=1, strict=False)
    #: Texts that mean "no date" besides an empty cell (``0``, ``00/00/0000``).
    no_date: tuple[str, ...] = Field(default=(), strict=False)
    #: Per date field, the two-digit-year rule when it differs from the field dictionary's: ``past`` (on or
    #: before the run's as-of date), ``year_ahead`` (at most a year after it) or ``nearest`` (the century nearest
    #: it); see :attr:`schemas.fields.Field.two_digit_year`.
    two_digit_year: dict[str, Literal["past", "year_ahead", "nearest"]] = Field(default_factory=dict, strict=False)

    @field_validator("formats")
    @classmethod
    def _real_formats(cls, formats: tuple[str, ...]) -> tuple[str, ...]:
        for fmt in formats:
            codes = {fmt[i + 1] for i, ch in enumerate(fmt[:-1]) if ch == "%"}
            if not ({"Y", "y"} & codes and {"m", "b", "B"} & codes and "d" in codes):
                raise ValueError(f"{fmt!r} must have a year (%Y or %y), a month (%m, %b or %B) and a day (%d)")
            if codes - set(DATE_DIRECTIVES):
                raise ValueError(f"{fmt!r}: only {' '.join('%' + c for c in DATE_DIRECTIVES)} are supported")
        return formats


class MoneyConfig(_Strict):
    """Money as the export writes it: ``$1,234.56``; a negative as ``-12.50``, ``-$12.50`` or ``(12.50)``."""

    currency_symbol: str = Field(default="$", max_length=3)
    thousands_separator: Literal[",", ".", " ", "'", ""] = ","
    decimal_separator: Literal[".", ","] = "."

    @model_validator(mode="after")
    def _distinct(self) -> MoneyConfig:
        if self.thousands_separator == self.decimal_separator:
            raise ValueError("thousands_separator and decimal_separator must differ")
        return self


class ImportProfile(_Strict):
    kind: Literal["payroll", "census", "balances", "distributions"]
    description: str = ""
    #: export header -> field name
    columns: dict[str, str] = Field(min_length=1, strict=False)
    #: export columns that are read and dropped (a misspelled needed column is still an error)
    ignored: tuple[str, ...] = Field(default=(), strict=False)
    #: field -> the text every row takes (read like the field's own values)
    constants: dict[str, str] = Field(default_factory=dict, strict=False)
    #: field -> {the export's text: planadmin's} (termination reason codes, say); other texts are read as they are
    values: dict[str, dict[str, str]] = Field(default_factory=dict, strict=False)
    dates: DatesConfig = DatesConfig()
    money: MoneyConfig = MoneyConfig()

    @field_validator("columns", "ignored", mode="before")
    @classmethod
    def _as_headers_are_read(cls, value: object) -> object:
        """Export headers are read stripped and NFC-normalised: so are the profile's, or a key could never match."""
        def norm(header: object) -> object:
            return unicodedata.normalize("NFC", header.strip()) if isinstance(header, str) else header

        if isinstance(value, dict):
            return {norm(k): v for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [norm(v) for v in value]
        return value

    @model_validator(mode="after")
    def _fits_kind(self) -> ImportProfile:
        fields = KINDS[self.kind].by_name
        if LINE_COLUMN in self.columns or LINE_COLUMN in self.ignored:
            raise ValueError(f"an export column named {LINE_COLUMN} cannot be read: planadmin numbers the lines itself")
        for header, name in self.columns.items():
            if name not in fields:
                raise ValueError(f"columns.{header!r}: {name!r} is not a {self.kind} field "
                                 f"(fields: {', '.join(fields)})")
        for name, value in self.constants.items():
            if name not in fields:
                raise ValueError(f"constants.{name}: not a {self.kind} field")
            # A constant is written in planadmin's own form; a bad one would reject every row, so refuse it here.
            row = pl.DataFrame({name: [value]}, schema={name: pl.Utf8})
            for check in value_checks(fields[name]):
                if not row.select(check.statistics["expr"]).item():
                    raise ValueError(f"constants.{name}: {value!r} is {check.error.split('|', 2)[2]}")
        filled = [*self.columns.values(), *self.constants]
        twice = sorted({name for name in filled if filled.count(name) > 1})
        if twice:
            raise ValueError(f"{', '.join(twice)} filled more than once (by columns or constants)")
        for pct, amount in DEFERRAL_FORMS:
            if pct in fields and (pct in self.constants or amount in self.constants) and {pct, amount} <= set(filled):
                raise ValueError(f"{pct} and {amount} are both filled, one by a constant: every row would give both "
                                 "forms (percent_and_amount)")
        overlap = sorted(set(self.columns) & set(self.ignored))
        if overlap:
            raise ValueError(f"ignored: {', '.join(overlap)} also mapped in columns")
        for f in fields.values():
            has = f.name in filled or (f.alternative is not None and f.alternative in filled)
            if f.required and not has:
                either = f" (or {f.alternative})" if f.alternative else ""
                raise ValueError(f"required field {f.name}{either} is neither mapped in columns nor a constant")
        for name in self.values:
            if name not in self.columns.values():
                raise ValueError(f"values.{name}: not a field the profile maps from a column")
        for name in self.dates.two_digit_year:
            if name not in fields or fields[name].kind != "date":
                raise ValueError(f"dates.two_digit_year.{name}: not a date field of {self.kind}")
        return self

    def header_for(self, field_name: str) -> str:
        """The export header that fills ``field_name`` (a constant: the field's own name)."""
        return next((h for h, name in self.columns.items() if name == field_name), field_name)

    def two_digit_year(self, field_name: str) -> str:
        return self.dates.two_digit_year.get(field_name, KINDS[self.kind].by_name[field_name].two_digit_year)


def parse_profile_text(text: str, source: str) -> ImportProfile:
    """Parse and validate a profile's text; ``source`` names the file in errors."""
    return parse_toml_model(text, source, ImportProfile)


def load_profile(plans_dir: Path, name: str, kind: str) -> ImportProfile:
    """``PLANS/profiles/<name>.toml``, which must describe a file of ``kind``."""
    path = plans_dir / PROFILES_DIR / f"{name}.toml"
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanConfigError(f"{path}: cannot read import profile {name!r}: {exc}") from None
    profile = parse_profile_text(text, str(path))
    if profile.kind != kind:
        raise PlanConfigError(f"{path}: key 'kind' is {profile.kind!r} but the plan imports it for {kind} files")
    return profile
