"""Money sources: the one code list of where money sits, read from ``sql/seeds/money_sources.csv`` (the same
file the store loads into DuckDB as ``money_sources``, so SQL and Python agree by construction).

Each source has an owner (employee money is always 100% vested, IRC §411(a)(1); employer money vests by the
plan's schedule, §411(a)(2)), a tax character, what the limits count (402(g), catch-up, 415(c)), whether a
balance statement may name it and whether payroll posts it, and the citation for all of that.

>>> MONEY_SOURCES["loan_repayment"].counts_415c, MONEY_SOURCES["match"].owner
(False, 'employer')
>>> EMPLOYER_SOURCES
('match', 'match_true_up', 'nonelective')
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

MONEY_SOURCES_CSV = Path(__file__).resolve().parent.parent / "sql" / "seeds" / "money_sources.csv"
_BOOLEANS = {"true": True, "false": False}


class MoneySourcesError(ValueError):
    """The money sources seed is malformed."""


@dataclass(frozen=True)
class MoneySource:
    source: str
    owner: str  # employee | employer
    tax_character: str  # pretax | roth | loan
    counts_402g: bool
    is_catch_up: bool
    counts_415c: bool
    on_statements: bool
    from_payroll: bool
    description: str
    citation: str


def load_money_sources(path: Path = MONEY_SOURCES_CSV) -> dict[str, MoneySource]:
    """The seed as {source: MoneySource}, in file order; a malformed row raises naming the file and row."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    sources: dict[str, MoneySource] = {}
    for number, row in enumerate(rows, start=2):
        try:
            flags = {k: _BOOLEANS[row[k]] for k in ("counts_402g", "is_catch_up", "counts_415c", "on_statements",
                                                       "from_payroll")}
            source = MoneySource(row["source"], row["owner"], row["tax_character"], **flags,
                                 description=row["description"], citation=row["citation"])
        except KeyError as exc:
            raise MoneySourcesError(f"{path}, line {number}: missing or bad value for {exc}") from None
        if source.owner not in ("employee", "employer") or not source.citation or source.source in sources:
            raise MoneySourcesError(f"{path}, line {number}: bad owner, no citation or a repeated source")
        sources[source.source] = source
    return sources


MONEY_SOURCES = load_money_sources()
#: Sources an employee's own money sits in: always 100% vested (IRC §411(a)(1)).
EMPLOYEE_SOURCES: tuple[str, ...] = tuple(s for s, m in MONEY_SOURCES.items() if m.owner == "employee")
#: Employer sources: vested by the plan's schedule (IRC §411(a)(2)).
EMPLOYER_SOURCES: tuple[str, ...] = tuple(s for s, m in MONEY_SOURCES.items() if m.owner == "employer")
#: Every source a balance statement may name.
STATEMENT_SOURCES: tuple[str, ...] = tuple(s for s, m in MONEY_SOURCES.items() if m.on_statements)
#: The amounts a payroll line posts: one column each in ``payroll_postings``.
PAYROLL_SOURCES: tuple[str, ...] = tuple(s for s, m in MONEY_SOURCES.items() if m.from_payroll)
