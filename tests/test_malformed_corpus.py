"""The malformed-input corpus (fixtures/malformed/): every file through the real per-file path.

Each file is posted into an empty ledger (plan acme) with ``process_payroll_file`` (the ``post`` fixture) and
must meet its entry in ``fixtures/malformed/EXPECTED.toml``: no traceback and never ``failed``; rows read =
posted + rejected in the result and in ``batches``; exactly the expected (line, reason) rejections; the
invariant checks pass afterwards; and no SSN reaches rejections, batches, notices or participants unmasked.
Two cases are too big to commit and are generated here (``GENERATED``).
"""

from __future__ import annotations

import tomllib
from collections import Counter
from pathlib import Path

import pytest

from pipelines.store.checks import run_checks
from pipelines.store import Database
from pipelines.file_batch import FileResult
from tests.conftest import COLUMNS, make_csv, row

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "malformed"
EXPECTED: dict[str, dict] = tomllib.loads((CORPUS / "EXPECTED.toml").read_text(encoding="utf-8"))
NOT_CASES = {"EXPECTED.toml", "README.md"}
KEYS = {
    "why", "status", "rows_read", "rows_posted", "rows_rejected", "rejections", "blank_lines", "post_first",
    "posted_ids", "last_names", "ssn_last4", "generated",
}
REQUIRED_KEYS = {"why", "status", "rows_read", "rows_posted", "rows_rejected", "rejections"}
#: Forms of the corpus's SSNs (123-45-6789, "123 45 6789", 98765432) that must never be stored: only the
#: last four digits may be ("***-**-6789", "6789").
SSN_FRAGMENTS = ("123-45", "123 45", "98765")


def _generated_3000_duplicate_rows() -> bytes:
    # 3,000 copies of one row: same employee_id and pay_date, each with the SSN.
    return make_csv([row(ssn="123-45-6789")] * 3000, (*COLUMNS, "ssn"))


def _generated_5mb_last_name() -> bytes:
    rows = [row(last_name="Lee"), row(employee_id="E2", last_name="X" * 5_000_000), row(employee_id="E3", last_name="Kim")]
    return make_csv(rows, (*COLUMNS, "last_name"))


GENERATED = {
    "generated_3000_duplicate_rows.csv": _generated_3000_duplicate_rows,
    "generated_5mb_last_name.csv": _generated_5mb_last_name,
}


def case_bytes(name: str) -> bytes:
    return GENERATED[name]() if EXPECTED[name].get("generated") else (CORPUS / name).read_bytes()


def expected_rejections(spec: list[str]) -> Counter:
    """``["3 bad_format", "2-4 duplicate_in_file", "file not_utf8"]`` -> Counter of (line_number, reason_code)."""
    out: Counter = Counter()
    for item in spec:
        where, code = item.split()
        if where == "file":
            out[(None, code)] += 1
        elif "-" in where:
            first, last = map(int, where.split("-"))
            out.update((n, code) for n in range(first, last + 1))
        else:
            out[(int(where), code)] += 1
    return out


def _table_text(ledger: Database, table: str) -> str:
    return str(ledger.frame(f"SELECT * FROM {table}").rows())


# -- the corpus itself -----------------------------------------------------------------------------------


def test_every_file_has_an_expected_outcome_and_every_outcome_a_file():
    on_disk = {p.name for p in CORPUS.iterdir() if p.is_file()} - NOT_CASES
    committed = {name for name, exp in EXPECTED.items() if not exp.get("generated")}
    assert on_disk == committed
    assert set(GENERATED) == {name for name, exp in EXPECTED.items() if exp.get("generated")}
    assert len(EXPECTED) >= 40


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_expected_entry_is_well_formed(name):
    exp = EXPECTED[name]
    assert REQUIRED_KEYS <= set(exp) <= KEYS, set(exp) ^ REQUIRED_KEYS
    assert exp["why"].strip() and "\n" not in exp["why"]
    assert exp["status"] in ("posted", "rejected")
    assert exp["rows_read"] == exp["rows_posted"] + exp["rows_rejected"]
    lines = {line for line, _ in expected_rejections(exp["rejections"])}
    if exp["status"] == "rejected":
        assert lines == {None} and exp["rows_posted"] == 0
    else:
        assert None not in lines and len(lines) == exp["rows_rejected"]
    assert all(first in EXPECTED and not EXPECTED[first].get("generated") for first in exp.get("post_first", []))


def test_corpus_stays_small_and_carries_ssns():
    files = [p for p in CORPUS.iterdir() if p.is_file()]
    assert sum(p.stat().st_size for p in files) < 100_000
    # The SSN assertions below are only worth something if the corpus holds SSNs to leak.
    with_ssn = [p.name for p in files if p.name not in NOT_CASES and b"123-45-6789" in p.read_bytes()]
    assert len(with_ssn) >= 8, with_ssn


# -- every file through the real per-file path -----------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_malformed_file_is_posted_or_rejected_as_expected(name, post, ledger):
    exp = EXPECTED[name]
    for first in exp.get("post_first", []):
        before = post(first, case_bytes(first))
        assert before.status == EXPECTED[first]["status"], before

    result: FileResult = post(name, case_bytes(name))

    # Never a crash: the file is posted (maybe with rejected rows) or rejected whole, never "failed".
    assert result.status in ("posted", "rejected"), f"{result.status}: {result.error}"
    assert result.rows_read == result.rows_posted + result.rows_rejected
    counts = (exp["status"], exp["rows_read"], exp["rows_posted"], exp["rows_rejected"])
    assert (result.status, result.rows_read, result.rows_posted, result.rows_rejected) == counts

    batch = ledger.frame(
        "SELECT status, rows_read, rows_posted, rows_rejected, blank_lines FROM batches WHERE batch_id = ?",
        [result.batch_id],
    )
    assert batch.height == 1
    status, read, posted, rejected, blank = batch.row(0)
    assert read == posted + rejected
    assert (status, read, posted, rejected) == counts
    if "blank_lines" in exp:
        assert blank == exp["blank_lines"]

    rejections = ledger.frame(
        "SELECT line_number, reason_code FROM rejections WHERE batch_id = ?", [result.batch_id]
    ).rows()
    assert Counter(rejections) == expected_rejections(exp["rejections"])

    lines = ledger.frame(
        "SELECT employee_id FROM payroll_lines WHERE batch_id = ? ORDER BY line_number", [result.batch_id]
    )["employee_id"].to_list()
    assert len(lines) == exp["rows_posted"]
    if "posted_ids" in exp:
        assert lines == exp["posted_ids"]
    if result.status == "rejected":
        assert ledger.frame("SELECT count(*) n FROM ledger WHERE batch_id = ?", [result.batch_id])["n"].item() == 0

    facts = {
        e: (last, ssn4)
        for e, last, ssn4 in ledger.frame("SELECT employee_id, last_name, ssn_last4 FROM participants").iter_rows()
    }
    for employee, last_name in exp.get("last_names", {}).items():
        assert facts[employee][0] == last_name
    for employee, last4 in exp.get("ssn_last4", {}).items():
        assert facts[employee][1] == last4

    assert [failure.check for failure in run_checks(ledger)] == []

    # No SSN, in any form the corpus writes it, in what the database keeps or the result reports.
    texts = {t: _table_text(ledger, t) for t in ("rejections", "batches", "notices", "participants")}
    texts["result"] = f"{result.error} {result.rejected}"
    assert [(where, f) for where, text in texts.items() for f in SSN_FRAGMENTS if f in text] == []
