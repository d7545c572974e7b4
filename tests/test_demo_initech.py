"""initech, the demo's third employer: its payroll and census arrive in its own PayStar 7 export layout, read
through the import profiles of ``fixtures/demo/PLANS/profiles/``, with withheld deferral AMOUNTS (a few rows in
percent form) and the match the employer remitted.

The expectations are recomputed here from the export CSVs alone (the csv module and Decimal, no planadmin code):
the limits' fill order, each person's excess deferral, each check's match and the employer's variances. They are
also written out as figures (``EXPECTED_*``), worked by hand below, so a change to the fixtures or to this
recomputation shows. Then the demo run's database (`make demo`'s two nights, the fixture of test_reports) must
hold the same, line for line.
"""

from __future__ import annotations

import csv
import datetime as dt
import tomllib
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from pipelines.store import Database

REPO = Path(__file__).resolve().parent.parent
INBOX = REPO / "fixtures/demo/INBOX/initech"
PROFILES = REPO / "fixtures/demo/PLANS/profiles"
AS_OF = dt.date(2026, 1, 15)  # the first night's as-of date: two-digit years are read against it
CENT = Decimal("0.01")

# 2025's IRS limits (sql/seeds/irs_limits.csv, IRS Notice 2024-80) and initech's plan (PLANS/initech.toml).
LIMIT_402G = Decimal(23_500)
CATCH_UP_50 = Decimal(7_500)
CATCH_UP_60_63 = Decimal(11_250)  # age_60_63 = true
LIMIT_401A17 = Decimal(350_000)
MATCH_UP_TO = Decimal(4)  # 100% of deferrals up to 4% of pay, catch-up matched too

#: Excess deferrals per person, worked by hand from the files:
#:
#: I00006 (born 1968: 57, catch-up room $7,500) withholds $1,023.08 pre-tax + $188.46 Roth = $1,211.54 on each
#: of 26 checks ($5,384.62 x 19% and x 3.5%, half-up). 19 checks make $23,019.26, so the 20th (2025-10-03)
#: fills the last $480.74 of 402(g) with pre-tax and offers its other $542.34 pre-tax and $188.46 Roth to the
#: catch-up room. After 25 checks $30,288.50 is withheld: 402(g) full and $6,788.50 of catch-up used, $711.50
#: left. The 26th (2025-12-26): pre-tax $711.50 fits (pretax_catchup), the other $311.58 pre-tax and the whole
#: $188.46 Roth do not: excess $500.04 = $31,500.04 withheld - $31,000.00 room. Its match: 4% of $5,384.62 =
#: $215.3848 -> $215.38, below the $711.50 posted, so what the employer remitted ($215.38) is right.
#:
#: I00015 (born 1987: 38, no catch-up) withholds $923.46 pre-tax a check (24.5% of $3,769.23). 25 checks make
#: $23,086.50; the 26th fits $413.50 and $509.96 is excess ($24,009.96 - $23,500.00). Match 4% of $3,769.23 =
#: $150.77 (below $413.50): as remitted.
EXPECTED_EXCESS = {"I00006": Decimal("500.04"), "I00015": Decimal("509.96")}

#: (employee, pay date, remitted, computed, remitted - computed): the employer's ER Match against planadmin's.
#:
#: I00008 is paid $14,250.00 a check ($370,500 / 26) and withholds $800: the match is 4% x $14,250 = $570.00
#: until 401(a)(17) caps compensation at $350,000 year to date. 24 checks count $342,000; the 25th (12-12)
#: counts the last $8,000.00 (match 4% = $320.00), the 26th nothing (match $0.00). The employer went on matching
#: $570.00: differences $250.00 and $570.00.
#: I00012's 7 March check adds a $9,600 bonus the plan's compensation ("401k Wages") excludes: 8% of $3,692.31
#: = $295.38 withheld; the match is 4% of $3,692.31 = $147.6924 -> $147.69; the employer matched 4% of the
#: $13,292.31 gross ($531.69) up to the $295.38 withheld: difference $147.69.
#: I00011's 17 October match was keyed by hand, rounded down: 4% of $3,596.15 = $143.846 -> $143.85 half-up,
#: $143.84 remitted: difference -$0.01 (every difference of a cent or more is a variance).
#: I00038 (hired 2025-03-10) had no match remitted on the first check: 4% of $2,769.23 = $110.7692 -> $110.77
#: (5% withheld, $138.46, is more): difference -$110.77.
EXPECTED_VARIANCES = [
    ("I00008", dt.date(2025, 12, 12), Decimal("570.00"), Decimal("320.00"), Decimal("250.00")),
    ("I00008", dt.date(2025, 12, 26), Decimal("570.00"), Decimal("0.00"), Decimal("570.00")),
    ("I00011", dt.date(2025, 10, 17), Decimal("143.84"), Decimal("143.85"), Decimal("-0.01")),
    ("I00012", dt.date(2025, 3, 7), Decimal("295.38"), Decimal("147.69"), Decimal("147.69")),
    ("I00038", dt.date(2025, 3, 21), Decimal("0.00"), Decimal("110.77"), Decimal("-110.77")),
]

#: The deliberately bad rows (each on an I999nn id no other row has): file -> employee -> (the EXPORT header
#: the rejection names, reason). fixtures/generate_demo.py, BAD_ROWS and BAD_LINES.
EXPECTED_REJECTIONS = {
    ("initech_payroll_2025-03-07.csv", "I99901"): ("Check Date", "bad_format"),  # 13/45/2025
    ("initech_payroll_2025-03-07.csv", "I99903"): ("Loan Pmt", "negative_money"),  # (125.00)
    ("initech_payroll_2025-06-13.csv", "I99902"): ("Gross Pay", "bad_format"),  # $12,34.00
    ("initech_payroll_2025-09-19.csv", "I99904"): ("401k Pre-Tax", "percent_and_amount"),  # 5% and $180.00
    ("initech_payroll_2025-09-19.csv", "I99905"): ("SSN", "bad_format"),  # 900-12-345, shown masked
    ("initech_census_2025-01-01.csv", "I99911"): ("DOB", "missing_value"),  # 00/00/0000 means no date
}

NO_DATE = ("", "0", "00/00/0000")


# -- reading PayStar's export by hand ----------------------------------------------------------------------------

def half_up(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def money(text: str) -> Decimal | None:
    """``$1,234.56`` -> 1234.56, ``(12.50)`` -> -12.50, empty -> None."""
    if text == "":
        return None
    negative = text.startswith("(") and text.endswith(")")
    digits = text.strip("()").removeprefix("$").replace(",", "")
    return -Decimal(digits) if negative else Decimal(digits)


def percent(text: str) -> Decimal | None:
    return None if text == "" else Decimal(text.removesuffix("%"))


def paystar_date(text: str, *, nearest: bool = False) -> dt.date | None:
    """``03/07/2025`` or ``3/7/25``; a two-digit year takes the century that puts the date on or before the
    as-of date (``nearest``: the century nearest it, for a pay date); ``0``, ``00/00/0000``, empty: no date."""
    if text in NO_DATE:
        return None
    month, day, year = (int(part) for part in text.split("/"))
    if len(text.split("/")[2]) == 4:
        return dt.date(year, month, day)
    candidates = [dt.date(century + year, month, day) for century in (1900, 2000, 2100)]
    if nearest:
        return min(candidates, key=lambda d: abs((d - AS_OF).days))
    return max(d for d in candidates if d <= AS_OF)


def read_export(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """The header and every data row, each with its ``line`` (the header is line 1; no field spans lines)."""
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        return header, [dict(zip(header, values)) | {"line": reader.line_num} for values in reader]


def register() -> list[dict]:
    """Every valid payroll row of the year (bad rows left out), typed, in pay-date order."""
    rows = []
    for path in sorted((INBOX / "payroll").glob("*.csv")):
        for r in read_export(path)[1]:
            if r["Emp No"].startswith("I999"):
                continue
            rows.append({
                "file": path.name, "line": r["line"], "employee_id": r["Emp No"],
                "pay_date": paystar_date(r["Check Date"], nearest=True), "born": paystar_date(r["DOB"]),
                "wages": money(r["401k Wages"]) if r["401k Wages"] else money(r["Gross Pay"]),
                "pretax_pct": percent(r["Pre-Tax %"]), "roth_pct": percent(r["Roth %"]),
                "pretax_amount": money(r["401k Pre-Tax"]), "roth_amount": money(r["Roth 401k"]),
                "remitted": money(r["ER Match"]), "loan": money(r["Loan Pmt"]) or Decimal(0),
            })  # fmt: skip
    return rows


def recompute(rows: list[dict]) -> dict[tuple[str, int], dict]:
    """What each line must post, per (file, line): the rules written out again.

    Per person in pay-date order: plan compensation counts up to $350,000 year to date (401(a)(17)). A
    percent-form row elects percent x counted compensation, half-up; an amount-form row offers what was
    withheld (401(a)(17) does not cut it). Pre-tax then Roth fill the 402(g) room, then pre-tax then Roth the
    catch-up room (age attained by 31 December: 50+ $7,500, 60-63 $11,250). What a withheld amount cannot fit is
    an excess deferral; what a percent cannot fit is simply not deferred. The match is 100% of the posted
    deferrals (catch-up included) up to 4% of counted compensation, half-up.
    """
    out = {}
    state: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for r in sorted(rows, key=lambda r: (r["employee_id"], r["pay_date"])):
        s = state[r["employee_id"]]
        counted = min(max(LIMIT_401A17 - s["comp"], Decimal(0)), r["wages"])
        s["comp"] += r["wages"]
        is_amount = r["pretax_pct"] is None
        if is_amount:
            offered = [r["pretax_amount"], r["roth_amount"] or Decimal(0)]
        else:
            offered = [half_up(counted * (p or Decimal(0)) / 100) for p in (r["pretax_pct"], r["roth_pct"])]
        age = 2025 - r["born"].year
        catch_up = CATCH_UP_60_63 if 60 <= age <= 63 else CATCH_UP_50 if age >= 50 else Decimal(0)
        posted = {}
        left = []
        for source, amount in zip(("pretax", "roth"), offered):
            posted[source] = min(max(LIMIT_402G - s["regular"], Decimal(0)), amount)
            s["regular"] += posted[source]
            left.append(amount - posted[source])
        for source, amount in zip(("pretax_catchup", "roth_catchup"), left):
            posted[source] = min(max(catch_up - s["catch_up"], Decimal(0)), amount)
            s["catch_up"] += posted[source]
        not_fitting = sum(offered) - sum(posted.values())
        posted["excess_deferral"] = not_fitting if is_amount else Decimal(0)
        posted["match"] = half_up(min(sum(posted[s] for s in ("pretax", "roth", "pretax_catchup", "roth_catchup")),
                                      counted * MATCH_UP_TO / 100))
        posted["loan_repayment"] = r["loan"]
        out[(r["file"], r["line"])] = posted | {"employee_id": r["employee_id"], "pay_date": r["pay_date"],
                                                "counted": counted, "remitted": r["remitted"]}
    return out


@pytest.fixture(scope="module")
def expected() -> dict[tuple[str, int], dict]:
    return recompute(register())


def bad_lines() -> dict[tuple[str, int], tuple[str, str, str]]:
    """(file, line) -> (employee, export header, reason) of each bad row, found in the files."""
    found = {}
    for path in sorted(INBOX.rglob("*.csv")):
        header, rows = read_export(path)
        if "Emp No" not in header:
            continue  # balances: planadmin's own format, no bad rows
        for r in rows:
            if (path.name, r["Emp No"]) in EXPECTED_REJECTIONS:
                found[(path.name, r["line"])] = (r["Emp No"], *EXPECTED_REJECTIONS[(path.name, r["Emp No"])])
    assert len(found) == len(EXPECTED_REJECTIONS)
    return found


# -- the files, without planadmin --------------------------------------------------------------------------------

def test_every_export_column_is_mapped_or_ignored():
    for kind in ("payroll", "census"):
        profile = tomllib.loads((PROFILES / f"initech-{kind}.toml").read_text(encoding="utf-8"))
        assert profile["kind"] == kind
        known = set(profile["columns"]) | set(profile["ignored"])
        for path in sorted((INBOX / kind).glob("*.csv")):
            header, _ = read_export(path)
            assert set(header) == known, path.name  # nothing unmapped, every mapped column in every file
    plan = tomllib.loads((REPO / "fixtures/demo/PLANS/initech.toml").read_text(encoding="utf-8"))
    assert plan["imports"] == {"payroll": "initech-payroll", "census": "initech-census"}


def test_the_files_recomputed_by_hand_give_the_expected_figures(expected):
    excess: dict[str, Decimal] = defaultdict(Decimal)
    for posted in expected.values():
        if posted["excess_deferral"]:
            excess[posted["employee_id"]] += posted["excess_deferral"]
    assert dict(excess) == EXPECTED_EXCESS
    variances = sorted((p["employee_id"], p["pay_date"], p["remitted"], p["match"], p["remitted"] - p["match"])
                       for p in expected.values() if p["remitted"] != p["match"])
    assert variances == EXPECTED_VARIANCES
    # The 402(g) crossing of I00006 (worked above): its 20th check, part pre-tax, part catch-up.
    i00006 = sorted((p for p in expected.values() if p["employee_id"] == "I00006"), key=lambda p: p["pay_date"])
    assert (i00006[19]["pretax"], i00006[19]["pretax_catchup"], i00006[19]["roth_catchup"]) == (
        Decimal("480.74"), Decimal("542.34"), Decimal("188.46"))
    assert (i00006[25]["pretax_catchup"], i00006[25]["excess_deferral"]) == (Decimal("711.50"), Decimal("500.04"))
    # A file may mix the forms: two hourly people's rows are in percent form, everyone else's in amounts.
    rows = register()
    assert {r["employee_id"] for r in rows if r["pretax_pct"] is not None} == {"I00020", "I00027"}
    assert {r["pay_date"].year for r in rows} == {2025} and len({r["pay_date"] for r in rows}) == 26


# -- the demo run ------------------------------------------------------------------------------------------------

def query(db: Path, sql: str) -> list[tuple]:
    with Database(db, read_only=True) as database:
        return database.frame(sql).rows()


def test_every_line_posts_what_the_rules_give(demo_db, expected):
    sources = ("pretax", "roth", "pretax_catchup", "roth_catchup", "match", "excess_deferral", "loan_repayment")
    got = {
        (file_name.rsplit("/", 1)[1], line): dict(zip(("employee_id", "pay_date", "counted", *sources), rest))
        for file_name, line, *rest in query(demo_db, f"""
            SELECT b.file_name, p.line_number, p.employee_id, p.pay_date, p.counted_compensation,
                   {", ".join(f'p."{s}"' for s in sources)}
            FROM payroll_postings p JOIN batches b USING (batch_id) WHERE p.plan_id = 'initech'""")
    }
    assert set(got) == set(expected)  # every valid line posted, on its own line number, and nothing else
    for key, want in expected.items():
        assert got[key] == {k: want[k] for k in got[key]}, key


def test_excess_deferrals_are_held_and_noticed(demo_db):
    ledger = query(demo_db, "SELECT employee_id, sum(amount) FROM ledger WHERE plan_id = 'initech' "
                            "AND source = 'excess_deferral' GROUP BY ALL ORDER BY 1")
    assert dict(ledger) == EXPECTED_EXCESS
    # Both excess deferrals are on the year's last check (2025-12-26); one notice each, on that line.
    notices = query(demo_db, "SELECT employee_id, file_name, line_number FROM notices WHERE plan_id = 'initech' "
                             "AND code = 'excess_deferral' ORDER BY 1")
    assert [(e, f) for e, f, _ in notices] == [(e, "initech/payroll/initech_payroll_2025-12-26.csv")
                                               for e in EXPECTED_EXCESS]
    _, lines = read_export(INBOX / "payroll/initech_payroll_2025-12-26.csv")
    assert [n for _, _, n in notices] == [next(r["line"] for r in lines if r["Emp No"] == e) for e in EXPECTED_EXCESS]


def test_match_variances_are_the_employers_mistakes(demo_db, expected):
    found = query(demo_db, """
        SELECT v.employee_id, v.pay_date, v.remitted_match, v.computed_match, v.difference, b.file_name,
               v.line_number
        FROM match_variances v JOIN batches b USING (batch_id) WHERE v.plan_id = 'initech' ORDER BY 1, 2""")
    assert [row[:5] for row in found] == EXPECTED_VARIANCES
    lines = {(p["employee_id"], p["pay_date"]): key for key, p in expected.items()}
    for employee_id, pay_date, *_, file_name, line in found:
        assert (file_name.rsplit("/", 1)[1], line) == lines[(employee_id, pay_date)]
    assert query(demo_db, "SELECT count(*) FROM match_variances WHERE plan_id <> 'initech'") == [(0,)]


def test_rejections_name_the_exports_own_headers(demo_db):
    found = query(demo_db, "SELECT file_name, line_number, employee_id, column_name, value, reason_code "
                           "FROM rejections WHERE plan_id = 'initech' ORDER BY 1, 2")
    got = {(f.rsplit("/", 1)[1], line): (employee_id, column, reason)
           for f, line, employee_id, column, _, reason in found}
    assert got == bad_lines()  # every bad row and nothing else: the short-date files and the rehire are all accepted
    values = {column: value for _, _, _, column, value, _ in found}
    assert values["Check Date"] == "13/45/2025" and values["Gross Pay"] == "$12,34.00"
    assert values["Loan Pmt"] == "(125.00)"
    assert values["SSN"] != "900-12-345" and "900" not in values["SSN"]  # personal: masked (at most a last four)


def test_rows_read_are_posted_plus_rejected(demo_db):
    batches = query(demo_db, "SELECT file_name, file_kind, status, rows_read, rows_posted, rows_rejected "
                             "FROM batches WHERE plan_id = 'initech' AND file_name LIKE '%.csv' ORDER BY 1")
    bad_per_file: dict[str, int] = defaultdict(int)
    for file_name, _ in bad_lines():
        bad_per_file[file_name] += 1
    files = sorted(INBOX.rglob("*.csv"))
    assert [b[0] for b in batches] == sorted(str(p.relative_to(INBOX.parent)) for p in files)
    rows_in = {p.name: len(read_export(p)[1]) for p in files}
    for file_name, _kind, status, read, posted, rejected in batches:
        name = file_name.rsplit("/", 1)[1]
        assert status == "posted", file_name
        assert (read, rejected) == (rows_in[name], bad_per_file[name]), file_name
        assert read == posted + rejected
    assert sum(b[3] for b in batches if b[1] == "payroll") == 989  # 984 valid lines and 5 bad ones


def test_the_leavers_and_the_rehire(demo_db):
    # I00028 (hired 2023-02-20, left 2025-08-15 in a short-date file: "8/15/25") has 2 years under the 3-year
    # cliff; I00001 retires at 66, past normal retirement age. I00022 left in 2023 and was rehired on 2025-06-16:
    # the rehire ends that termination, so it is not processed.
    found = query(demo_db, "SELECT employee_id, termination_date, termination_reason, years_of_service, "
                           "vested_pct::INTEGER, vesting_basis FROM terminations WHERE plan_id = 'initech' ORDER BY 1")
    assert found == [("I00001", dt.date(2025, 10, 28), "retirement", 24, 100, "normal_retirement_age"),
                     ("I00028", dt.date(2025, 8, 15), "voluntary", 2, 0, "schedule")]
    people = dict(query(demo_db, "SELECT employee_id, date_of_birth FROM participants WHERE plan_id = 'initech'"))
    _, rows = read_export(INBOX / "census/initech_census_2025-01-01.csv")
    census = {r["Emp No"]: paystar_date(r["DOB"]) for r in rows if not r["Emp No"].startswith("I999")}
    assert people == census  # every birth date as the census's four-digit years say, short-date files included
    # The rehire: hired again on 2025-06-16, first hired 2019-04-15 (the export's hire date); paid and active.
    rehire = query(demo_db, "SELECT hire_date, first_hire_date FROM participants WHERE plan_id = 'initech' "
                            "AND employee_id = 'I00022'")
    assert rehire == [(dt.date(2025, 6, 16), dt.date(2019, 4, 15))]
    active = query(demo_db, "SELECT employee_id FROM match_windows WHERE plan_id = 'initech' ORDER BY 1")
    assert ("I00022",) in active and ("I00001",) not in active and ("I00028",) not in active
