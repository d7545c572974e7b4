"""RMD letters: one PDF per participant whose notice for a year is due or overdue, and the plan's summary.csv.

Reporting, apart from booking: it reads ``rmd_notices`` (and the participant's name and mailing address) from a
database opened read-only and writes files, nothing else. A letter says how much, by when, how the amount was
computed (the balance, the table, the ages and the period), what was already taken and the excise if it is
missed. It carries the employee id, never an SSN. PDFs use the standard Helvetica font (Latin-1): a character
outside it is written without its accent (``Ł`` → ``L``), or as ``?`` when it has no Latin form.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from decimal import Decimal
from pathlib import Path

import polars as pl
from fpdf import FPDF

TABLE_NAMES = {
    "uniform_lifetime": "Uniform Lifetime Table (Treas. Reg. 1.401(a)(9)-9(c))",
    "joint_and_last_survivor": "Joint and Last Survivor Table (Treas. Reg. 1.401(a)(9)-9(d))",
}
SUMMARY_COLUMNS = (
    "employee_id", "first_name", "last_name", "distribution_year", "status", "deadline", "prior_year_end_balance",
    "distribution_period", "table_used", "rmd_amount", "taken", "remaining", "excise_if_missed",
    "excise_if_corrected", "letter",
)


@dataclass(frozen=True)
class LetterRun:
    """What a letter run wrote: the letters (one per due or overdue notice) and the summary."""

    letters: tuple[Path, ...]
    summary: Path
    notices: int


def money(amount: Decimal) -> str:
    """``Decimal('12345.6')`` -> ``$12,345.60``.

    >>> money(Decimal("12345.6")), money(Decimal("0"))
    ('$12,345.60', '$0.00')
    """
    return f"${amount:,.2f}"


def long_date(day: date) -> str:
    """``2027-04-01`` -> ``1 April 2027``."""
    return f"{day.day} {day:%B %Y}"


def latin1(text: str | None) -> str:
    """Text the PDF's core font can show: accents kept where Latin-1 has them, else dropped.

    >>> latin1("José Łukasz 李")
    'José Lukasz ?'
    """
    if not text:
        return ""
    out = []
    for ch in text:
        try:
            ch.encode("latin-1")
            out.append(ch)
        except UnicodeEncodeError:
            base = unicodedata.normalize("NFKD", ch).encode("latin-1", "ignore").decode("latin-1")
            out.append(base or {"Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "Đ": "D", "đ": "d"}.get(ch, "?"))
    return "".join(out)


def letter_file_name(year: int, employee_id: str) -> str:
    """A file name from the employee id that no id can turn into a path.

    >>> letter_file_name(2026, "A/../7 x")
    'rmd_2026_A_.._7_x.pdf'
    """
    return f"rmd_{year}_{re.sub(r'[^A-Za-z0-9._-]', '_', employee_id)}.pdf"


def explanation(n: dict) -> list[str]:
    """The letter's paragraphs for one notice (a row of ``rmd/letters``)."""
    year = n["distribution_year"]
    balance_words = (
        f"your balance in the plan on 31 December {year - 1}"
        + (", not counting Roth money (it needs no lifetime distributions from 2024)" if year >= 2024 else "")
    )
    if n["table_used"] == "joint_and_last_survivor":
        table = (f"the {TABLE_NAMES[n['table_used']]} for your age in {year} ({n['age']}) and your spouse's "
                 f"({n['spouse_age']}), since your spouse is your sole beneficiary and more than 10 years younger")
    else:
        table = f"the {TABLE_NAMES[n['table_used']]} for the age you reach in {year} ({n['age']})"
    still = (f"Of it, {money(n['remaining'])} was not taken by its deadline, {long_date(n['deadline'])}."
             if n["status"] == "overdue" else
             f"Of it, {money(n['remaining'])} remains to be taken by {long_date(n['deadline'])}.")
    paragraphs = [
        f"Federal tax law requires you to take at least {money(n['rmd_amount'])} from the plan for {year} "
        f"(a required minimum distribution). {still}",
        f"How it was computed: {balance_words} was {money(n['prior_year_end_balance'])}. Divided by the "
        f"distribution period of {n['distribution_period']} years from {table}, that is "
        f"{money(n['prior_year_end_balance'])} / {n['distribution_period']} = {money(n['rmd_amount'])}.",
        f"Already taken toward {year}: {money(n['taken'])}. Remaining: {money(n['remaining'])}.",
    ]
    if n["distribution_year"] == n["first_distribution_year"]:
        paragraphs.append(
            f"{year} is your first distribution year (you reached the applicable age of {n['applicable_age']}, or "
            f"retired after it). Its deadline is your required beginning date, {long_date(n['required_beginning_date'])}; "
            f"the distribution for {year + 1} is due by 31 December {year + 1} as well. Distributions paid from "
            f"1 January to 1 April {year + 1} count toward {year} first."
        )
    if n["status"] == "overdue":
        paragraphs.append(
            f"The deadline has passed. Take the remaining {money(n['remaining'])} as soon as possible: the excise "
            f"tax on the shortfall is {money(n['excise_if_missed'])}, reduced to {money(n['excise_if_corrected'])} "
            "when it is corrected within the correction window (IRC 4974(e)); ask a tax adviser about the "
            "correction and the waiver of the tax for a reasonable error."
        )
    else:
        paragraphs.append(
            f"If it is not taken by the deadline, the shortfall is subject to an excise tax of "
            f"{money(n['excise_if_missed'])} (IRC 4974), reduced to {money(n['excise_if_corrected'])} when it is "
            "corrected in time."
        )
    paragraphs.append("To request the distribution, or if you have questions, contact your plan administrator.")
    return paragraphs


def render_letter(n: dict, plan_name: str, path: Path) -> None:
    """Write one notice's letter to ``path``."""
    pdf = FPDF(format="Letter", unit="mm")
    # A fixed creation date (the notice's) keeps the same notice's PDF byte-identical run after run.
    pdf.set_creation_date(datetime.combine(n["computed_on"], time(), tzinfo=timezone.utc))
    pdf.set_title(latin1(f"{plan_name}: required minimum distribution for {n['distribution_year']}"))
    pdf.set_margins(25, 20, 25)
    pdf.add_page()
    width = pdf.epw
    pdf.set_font("Helvetica", "B", 14)
    pdf.multi_cell(width, 7, latin1(plan_name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.multi_cell(width, 5, f"Required minimum distribution notice, {n['distribution_year']}",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(width, 5, long_date(n["computed_on"]), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    name = " ".join(p for p in (n.get("first_name"), n.get("last_name")) if p) or f"Participant {n['employee_id']}"
    city_line = " ".join(p for p in (f"{n['city']}," if n.get("city") else None, n.get("state"), n.get("postal_code")) if p)
    pdf.set_font("Helvetica", "", 11)
    for line in (name, n.get("address_line1"), n.get("address_line2"), city_line):
        if line:
            pdf.multi_cell(width, 5.5, latin1(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font("Helvetica", "B", 12)
    headline = (f"Amount to take: {money(n['remaining'])} by {long_date(n['deadline'])}"
                if n["status"] == "due" else
                f"Overdue: {money(n['remaining'])} was due by {long_date(n['deadline'])}")
    pdf.multi_cell(width, 7, headline, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("Helvetica", "", 11)
    pdf.multi_cell(width, 5.5, latin1(f"Dear {name},"), new_x="LMARGIN", new_y="NEXT")
    for paragraph in explanation(n):
        pdf.ln(2.5)
        pdf.multi_cell(width, 5.5, latin1(paragraph), align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font("Helvetica", "", 8)
    pdf.multi_cell(
        width, 4,
        latin1(f"Plan {n['plan_id']} - employee id {n['employee_id']} - applicable age {n['applicable_age']}, "
               f"first distribution year {n['first_distribution_year']}. Figures as of {n['computed_on']}; a "
               "distribution paid since is not reflected."),
        new_x="LMARGIN", new_y="NEXT",
    )
    pdf.output(str(path))


def write_letters(notices: pl.DataFrame, plan_name: str, year: int, out: Path) -> LetterRun:
    """A letter per due or overdue notice of ``notices`` (rows of ``rmd/letters``), and ``summary.csv`` listing
    every notice with the letter's file name."""
    out.mkdir(parents=True, exist_ok=True)
    letters = []
    summary = out / "summary.csv"
    with summary.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(SUMMARY_COLUMNS)
        for n in notices.iter_rows(named=True):
            path = out / letter_file_name(year, n["employee_id"])
            if path in letters:
                raise ValueError(f"two employee ids map to the letter file name {path.name}")
            render_letter(n, plan_name, path)
            letters.append(path)
            writer.writerow([n.get(c) if c != "letter" else path.name for c in SUMMARY_COLUMNS])
    return LetterRun(tuple(letters), summary, notices.height)
