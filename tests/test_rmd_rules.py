"""RMD rules (pipelines/rules/rmd.py) on hand-built frames: every figure derived by hand in a comment."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from pipelines.rmd_tables import RmdTableError, load_rmd_tables
from pipelines.rules.rmd import compute_notices, deceased, schedule

D = dt.date.fromisoformat
TABLES = load_rmd_tables()


def people(*rows: dict) -> pl.DataFrame:
    """Participants: employee_id and date_of_birth given; the rest default to a long-retired non-owner."""
    defaults = {"termination_date": "2015-06-30", "termination_reason": "retirement", "ownership_bp": None,
                "spouse_date_of_birth": None, "spouse_is_sole_beneficiary": None}
    full = [{**defaults, **r} for r in rows]
    return pl.DataFrame({
        "employee_id": [r["employee_id"] for r in full],
        "date_of_birth": [D(r["date_of_birth"]) for r in full],
        "termination_date": pl.Series([D(r["termination_date"]) if r["termination_date"] else None for r in full],
                                      dtype=pl.Date),
        "termination_reason": [r["termination_reason"] for r in full],
        "ownership_bp": pl.Series([r["ownership_bp"] for r in full], dtype=pl.Int64),
        "spouse_date_of_birth": pl.Series(
            [D(r["spouse_date_of_birth"]) if r["spouse_date_of_birth"] else None for r in full], dtype=pl.Date),
        "spouse_is_sole_beneficiary": pl.Series([r["spouse_is_sole_beneficiary"] for r in full], dtype=pl.Boolean),
    })


def balances(*rows: tuple[str, int, int, int]) -> pl.DataFrame:
    """(employee_id, year_end, balance_cents, roth_cents)."""
    return pl.DataFrame(rows, schema={"employee_id": pl.Utf8, "year_end": pl.Int32, "balance_cents": pl.Int64,
                                      "roth_cents": pl.Int64}, orient="row")


def paid(*rows: tuple[str, str, int, str]) -> pl.DataFrame:
    """(employee_id, paid_date, gross_cents, distribution_type)."""
    return pl.DataFrame([(e, D(d), c, t) for e, d, c, t in rows],
                        schema={"employee_id": pl.Utf8, "paid_date": pl.Date, "gross_cents": pl.Int64,
                                "distribution_type": pl.Utf8}, orient="row")


NOTHING_PAID = paid()


def notice(frame: pl.DataFrame, employee_id: str, year: int) -> dict:
    rows = frame.filter((pl.col("employee_id") == employee_id) & (pl.col("distribution_year") == year))
    assert rows.height == 1, f"{employee_id} {year}: {rows.height} rows"
    return rows.row(0, named=True)


@pytest.mark.parametrize(("born", "age", "reached", "first_year"), [
    # Born 30 June 1949: 70 on 30 June 2019, 70½ six calendar months later, on 30 December 2019.
    ("1949-06-30", "70.5", "2019-12-30", 2019),
    # Born 1 July 1949 (the day after): the 72 cohort (SECURE Act), 72 on 1 July 2021.
    ("1949-07-01", "72", "2021-07-01", 2021),
    # Born 1 August 1948: 70 on 1 August 2018, 70½ on 1 February 2019 - the next calendar year.
    ("1948-08-01", "70.5", "2019-02-01", 2019),
    ("1950-12-31", "72", "2022-12-31", 2022),  # the 72 cohort's last birthday
    ("1951-01-01", "73", "2024-01-01", 2024),  # the 73 cohort's first (SECURE 2.0)
    ("1959-12-31", "73", "2032-12-31", 2032),  # 1959: 73 (2024 proposed regulations)
    ("1960-01-01", "75", "2035-01-01", 2035),  # 1960 on: 75
])
def test_each_cohorts_applicable_age(born, age, reached, first_year):
    s = schedule(people({"employee_id": "P", "date_of_birth": born, "termination_date": "2010-01-01"}), TABLES)
    assert s.select("applicable_age", "applicable_age_date", "first_distribution_year").row(0) == (
        age, D(reached), first_year)
    # The required beginning date is 1 April of the year after the first distribution year.
    assert s["required_beginning_date"].item() == dt.date(first_year + 1, 4, 1)


def test_still_working_defers_the_first_year_except_for_a_five_percent_owner():
    # All born 1 May 1952: 73 on 1 May 2025 (the 73 cohort), so 2025 unless the still-working exception applies.
    s = schedule(people(
        {"employee_id": "working", "date_of_birth": "1952-05-01", "termination_date": None},
        {"employee_id": "retires_2026", "date_of_birth": "1952-05-01", "termination_date": "2026-03-31"},
        {"employee_id": "left_on_31_dec", "date_of_birth": "1952-05-01", "termination_date": "2025-12-31"},
        # More than 5% (5.01%): no exception, 2025 although still working.
        {"employee_id": "owner_5_01", "date_of_birth": "1952-05-01", "termination_date": None, "ownership_bp": 501},
        # Exactly 5% is not more than 5%: the exception applies.
        {"employee_id": "owner_5_00", "date_of_birth": "1952-05-01", "termination_date": None, "ownership_bp": 500},
    ), TABLES)
    years = dict(s.select("employee_id", "first_distribution_year").iter_rows())
    assert years == {"working": None, "retires_2026": 2026, "left_on_31_dec": 2025, "owner_5_01": 2025,
                     "owner_5_00": None}
    rbd = dict(s.select("employee_id", "required_beginning_date").iter_rows())
    assert rbd["retires_2026"] == dt.date(2027, 4, 1)


def test_first_year_window_counts_a_january_distribution_toward_the_first_year_first():
    # Born 10 March 1952, retired: 73 in 2025, so 2025 is the first year, due by 1 April 2026.
    p = people({"employee_id": "P", "date_of_birth": "1952-03-10"})
    b = balances(
        ("P", 2024, 120_000_00, 0),  # 2025: $120,000 / 26.5 (age 73) = $4,528.3018 -> $4,528.30
        ("P", 2025, 110_000_00, 0),  # 2026: $110,000 / 25.5 (age 74) = $4,313.7254 -> $4,313.73
    )
    d = paid(("P", "2025-11-03", 1_000_00, "rmd"), ("P", "2026-01-20", 5_000_00, "rmd"))
    n = compute_notices(p, b, d, D("2026-02-15"), TABLES)
    first, second = notice(n, "P", 2025), notice(n, "P", 2026)
    assert (first["rmd_cents"], second["rmd_cents"]) == (452_830, 431_373)
    # 2025: $1,000 paid in 2025, and of January's $5,000 the $3,528.30 still needed: taken $4,528.30, satisfied.
    assert (first["taken_cents"], first["remaining_cents"], first["status"]) == (452_830, 0, "satisfied")
    assert (first["deadline"], first["required_beginning_date"]) == (D("2026-04-01"), D("2026-04-01"))
    # 2026: the rest of January's, $5,000 - $3,528.30 = $1,471.70; remaining $4,313.73 - $1,471.70 = $2,842.03.
    assert (second["taken_cents"], second["remaining_cents"], second["status"]) == (147_170, 284_203, "due")
    assert second["deadline"] == D("2026-12-31")
    # Excise: 25% of $2,842.03 = $710.5075 -> $710.51; 10% = $284.203 -> $284.20.
    assert (second["excise_if_missed_cents"], second["excise_if_corrected_cents"]) == (71_051, 28_420)


def test_both_first_years_due_at_once_before_the_required_beginning_date():
    # The same person on 15 January 2026 with nothing paid: 2025 (due 1 April 2026) and 2026 are both due.
    p = people({"employee_id": "P", "date_of_birth": "1952-03-10"})
    b = balances(("P", 2024, 120_000_00, 0), ("P", 2025, 110_000_00, 0))
    n = compute_notices(p, b, NOTHING_PAID, D("2026-01-15"), TABLES)
    assert n.select("distribution_year", "remaining_cents", "status").rows() == [
        (2025, 452_830, "due"), (2026, 431_373, "due")]


def test_roth_is_excluded_from_2024_and_counted_in_2023():
    # Born 1 June 1950: 72 in 2022 (first year 2022). As of 30 June 2024: 2023 (past its deadline) and 2024.
    p = people({"employee_id": "R", "date_of_birth": "1950-06-01"})
    b = balances(
        ("R", 2022, 50_000_00, 10_000_00),  # 2023, Roth counted: $50,000 / 26.5 (age 73) = $1,886.7924 -> $1,886.79
        ("R", 2023, 60_000_00, 20_000_00),  # 2024, Roth excluded: $40,000 / 25.5 (age 74) = $1,568.6274 -> $1,568.63
    )
    n = compute_notices(p, b, paid(("R", "2023-12-01", 1_000_00, "rmd")), D("2024-06-30"), TABLES)
    y2023, y2024 = notice(n, "R", 2023), notice(n, "R", 2024)
    assert (y2023["prior_year_end_balance_cents"], y2023["rmd_cents"]) == (50_000_00, 188_679)
    assert (y2024["prior_year_end_balance_cents"], y2024["rmd_cents"]) == (40_000_00, 156_863)
    # 2023: $1,000 taken, $886.79 left after 31 December 2023: overdue; 25% = $221.6975 -> $221.70.
    assert (y2023["remaining_cents"], y2023["status"], y2023["excise_if_missed_cents"]) == (88_679, "overdue", 22_170)
    assert y2024["status"] == "due"


def test_joint_table_when_the_sole_beneficiary_spouse_is_more_than_ten_years_younger():
    # Born 1951: 75 in 2026. Spouse born 1962 is 64 in 2026, 11 years younger: Joint and Last Survivor (75, 64) = 25.3.
    # Spouse born 1961 is 65, exactly 10 years younger: the Uniform Lifetime Table, 24.6 at 75.
    p = people(
        {"employee_id": "J", "date_of_birth": "1951-04-01", "spouse_date_of_birth": "1962-04-01",
         "spouse_is_sole_beneficiary": True},
        {"employee_id": "U", "date_of_birth": "1951-04-01", "spouse_date_of_birth": "1961-04-01",
         "spouse_is_sole_beneficiary": True},
        # 11 years younger but not the sole beneficiary: uniform.
        {"employee_id": "N", "date_of_birth": "1951-04-01", "spouse_date_of_birth": "1962-04-01",
         "spouse_is_sole_beneficiary": False},
    )
    b = balances(*((e, 2025, 100_000_00, 0) for e in ("J", "U", "N")))
    n = compute_notices(p, b, NOTHING_PAID, D("2026-03-01"), TABLES)
    joint, uniform, not_sole = notice(n, "J", 2026), notice(n, "U", 2026), notice(n, "N", 2026)
    assert (joint["table_used"], joint["age"], joint["spouse_age"], joint["distribution_period_tenths"]) == (
        "joint_and_last_survivor", 75, 64, 253)
    assert joint["rmd_cents"] == 395_257  # $100,000 / 25.3 = $3,952.5691
    assert (uniform["table_used"], uniform["spouse_age"], uniform["rmd_cents"]) == ("uniform_lifetime", None, 406_504)
    assert not_sole["table_used"] == "uniform_lifetime"  # $100,000 / 24.6 = $4,065.0406 -> $4,065.04


def test_a_death_a_zero_balance_and_a_corrective_distribution():
    p = people(
        {"employee_id": "dead", "date_of_birth": "1950-01-01", "termination_reason": "death"},
        {"employee_id": "empty", "date_of_birth": "1950-01-01"},
        {"employee_id": "fixed", "date_of_birth": "1950-01-01"},
    )
    b = balances(("dead", 2025, 80_000_00, 0), ("empty", 2025, 0, 0), ("fixed", 2025, 76_000_00, 0))
    # A corrective distribution (a return of excess) does not count toward the RMD.
    n = compute_notices(p, b, paid(("fixed", "2026-02-01", 500_00, "corrective")), D("2026-03-01"), TABLES)
    assert n["employee_id"].unique().to_list() == ["fixed"]  # no notice for the deceased or the zero balance
    # Born 1950: 76 in 2026, 23.7: $76,000 / 23.7 = $3,206.7510 -> $3,206.75, none of it taken.
    assert (notice(n, "fixed", 2026)["rmd_cents"], notice(n, "fixed", 2026)["taken_cents"]) == (320_675, 0)
    assert deceased(p)["employee_id"].to_list() == ["dead"]


def test_a_year_before_the_tables_in_force_is_a_loud_error():
    p = people({"employee_id": "P", "date_of_birth": "1945-01-01"})
    with pytest.raises(RmdTableError, match="before the life-expectancy tables"):
        compute_notices(p, balances(("P", 2020, 1_000_00, 0)), NOTHING_PAID, D("2021-06-01"), TABLES)


def test_the_seed_tables_hold_the_checks_the_regulation_implies():
    uniform = dict(TABLES.uniform.iter_rows())
    joint = {(o, s): p for o, s, p in TABLES.joint.iter_rows()}
    # Table III runs 72-120 and never rises with age.
    assert sorted(uniform) == list(range(72, 121))
    assert all(uniform[a + 1] <= uniform[a] for a in range(72, 120))
    # Table II: for an owner aged A >= 72, the spouse exactly 10 years younger gives Table III's value for A
    # (the Uniform Lifetime Table is built on a spouse 10 years younger).
    assert all(joint[(a, a - 10)] == uniform[a] for a in range(72, 121))
    # Each value falls (or stays) as either age rises, and the table is symmetric.
    ages = range(20, 121)
    assert all(joint[(o, s)] == joint[(s, o)] for o in ages for s in ages)
    assert all(joint[(o + 1, s)] <= joint[(o, s)] for o in range(20, 120) for s in ages)
    # The three cells at 112 corrected against the regulation's text.
    assert (joint[(112, 102)], joint[(112, 103)], joint[(112, 107)]) == (33, 32, 30)


def test_a_run_in_2023_skips_the_window_year_before_the_tables():
    # Born 1 March 1945: 70½ in 2015 (first year 2015). As of 1 June 2023 the years reported are 2022 and 2023;
    # 2021 (before the 2022 tables) is not needed for the window and is not computed.
    p = people({"employee_id": "P", "date_of_birth": "1945-03-01", "termination_date": "2010-01-01"})
    b = balances(
        ("P", 2020, 110_000_00, 0),
        ("P", 2021, 100_000_00, 0),  # 2022: $100,000 / 22.9 (age 77) = $4,366.8122 -> $4,366.81
        ("P", 2022, 90_000_00, 0),   # 2023: $90,000 / 22.0 (age 78) = $4,090.9090 -> $4,090.91
    )
    n = compute_notices(p, b, NOTHING_PAID, D("2023-06-01"), TABLES)
    assert n.select("distribution_year", "rmd_cents").rows() == [(2022, 436_681), (2023, 409_091)]
    # 2022's $4,366.81 was due by 31 December 2022: overdue, at 2022's rate: 50% = $2,183.405 -> $2,183.41 (no
    # reduced rate before SECURE 2.0); 2023's at 25% = $1,022.7275 -> $1,022.73.
    assert (notice(n, "P", 2022)["status"], notice(n, "P", 2022)["excise_if_missed_cents"],
            notice(n, "P", 2022)["excise_if_corrected_cents"]) == ("overdue", 218_341, 218_341)
    assert notice(n, "P", 2023)["excise_if_missed_cents"] == 102_273
