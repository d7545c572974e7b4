"""Vesting rules, hand-derived: service at each anniversary boundary, graded and cliff schedules, hours-based
service, prior service, the events that vest 100%, the half-up split of each employer source, and the plan
file's legal-minimum check."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.rules.vesting import compute_forfeitures, vested_percent
from schemas.plan import PlanConfigError, VestingConfig, parse_plan_text

GRADED = VestingConfig(schedule=(0, 0, 20, 40, 60, 80, 100))
CLIFF = VestingConfig(schedule=(0, 0, 0, 100))
NO_HOURS = pl.DataFrame(schema={"employee_id": pl.Utf8, "plan_year": pl.Int32, "hours_worked_hundredths": pl.Int64})


def leaver(termination: str, hire: str = "2020-03-15", born: str = "1980-01-01", reason: str = "voluntary",
           prior: int | None = None, employee_id: str = "E1") -> dict:
    return {
        "employee_id": employee_id, "date_of_birth": dt.date.fromisoformat(born), "hire_date": dt.date.fromisoformat(hire),
        "termination_date": dt.date.fromisoformat(termination), "termination_reason": reason, "prior_vesting_years": prior,
    }


def frame(*rows: dict) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema={
        "employee_id": pl.Utf8, "date_of_birth": pl.Date, "hire_date": pl.Date, "termination_date": pl.Date,
        "termination_reason": pl.Utf8, "prior_vesting_years": pl.Int32,
    })


def vesting_of(rows: pl.DataFrame, config: VestingConfig, hours: pl.DataFrame = NO_HOURS) -> list[tuple]:
    return vested_percent(rows, hours, config).select("years_of_service", "vested_bp", "vesting_basis").rows()


@pytest.mark.parametrize(
    ("termination", "years", "graded_bp", "cliff_bp"),
    [
        # Hired 2020-03-15: each anniversary completes a year on the day itself, not the day before.
        ("2022-03-14", 1, 0, 0),
        ("2022-03-15", 2, 2000, 0),  # graded: 20% after 2 years
        ("2023-03-14", 2, 2000, 0),
        ("2023-03-15", 3, 4000, 10000),  # graded 40%; the 3-year cliff vests 100% on the day
        ("2026-03-14", 5, 8000, 10000),
        ("2026-03-15", 6, 10000, 10000),
        ("2034-01-01", 13, 10000, 10000),  # past the schedule's end its last value holds
    ],
)
def test_elapsed_service_at_each_anniversary_boundary(termination, years, graded_bp, cliff_bp):
    rows = frame(leaver(termination))
    assert vesting_of(rows, GRADED) == [(years, graded_bp, "schedule")]
    assert vesting_of(rows, CLIFF) == [(years, cliff_bp, "schedule")]


def test_a_29_february_hire_completes_its_years_on_1_march():
    # Hired 2020-02-29: 2023-02-28 is 2 completed years, 2023-03-01 is 3.
    rows = frame(leaver("2023-02-28", hire="2020-02-29"), leaver("2023-03-01", hire="2020-02-29", employee_id="E2"))
    assert [y for y, _, _ in vesting_of(rows, GRADED)] == [2, 3]


def test_prior_service_adds_to_elapsed_service():
    # 1 completed year here (2024-01-10 -> 2025-01-10) + 2 credited before = 3 years -> 40% graded, 100% cliff.
    rows = frame(leaver("2025-01-10", hire="2024-01-10", prior=2))
    assert vesting_of(rows, GRADED) == [(3, 4000, "schedule")]
    assert vesting_of(rows, CLIFF) == [(3, 10000, "schedule")]


def test_hours_based_service_counts_calendar_years_with_1000_hours_up_to_the_termination_year():
    hours = pl.DataFrame({
        "employee_id": ["E1"] * 5,
        "plan_year": [2021, 2022, 2023, 2024, 2025],
        # 1,000.00 counts; 999.99 does not; 2025 is after the 2024 termination and is not counted.
        "hours_worked_hundredths": [100_000, 99_999, 150_000, 120_000, 200_000],
    }, schema_overrides={"plan_year": pl.Int32})
    hours_graded = VestingConfig(schedule=(0, 0, 20, 40, 60, 80, 100), method="hours")
    # Qualifying years 2021, 2023, 2024 = 3 -> 40%; with 1 prior year, 4 -> 60%. Elapsed years do not matter.
    rows = frame(leaver("2024-12-31", hire="2010-01-01"), leaver("2024-12-31", hire="2010-01-01", prior=1, employee_id="E2"))
    both = pl.concat([hours, hours.with_columns(pl.lit("E2").alias("employee_id"))])
    assert vesting_of(rows, hours_graded, both) == [(3, 4000, "schedule"), (4, 6000, "schedule")]


def test_a_person_with_no_payroll_hours_has_only_prior_service_under_the_hours_method():
    rows = frame(leaver("2024-06-30", prior=2))
    assert vesting_of(rows, VestingConfig(schedule=(0, 0, 20, 40, 60, 80, 100), method="hours")) == [(2, 2000, "schedule")]


def test_death_disability_and_normal_retirement_age_vest_fully():
    rows = frame(
        leaver("2021-01-01", reason="death", employee_id="D"),  # 0 years of service
        leaver("2021-01-01", reason="disability", employee_id="I"),
        # Born 1960-05-10, normal retirement age 65: the day before the 65th birthday follows the schedule
        # (5 years since 2020-03-15 -> 80%), the birthday itself vests 100%.
        leaver("2025-05-09", born="1960-05-10", employee_id="N1"),
        leaver("2025-05-10", born="1960-05-10", employee_id="N2"),
    )
    assert vesting_of(rows, GRADED) == [
        (0, 10000, "death"), (0, 10000, "disability"), (5, 8000, "schedule"), (5, 10000, "normal_retirement_age"),
    ]


def test_an_earlier_normal_retirement_age_from_the_plan_file():
    # Age 62 at termination; the plan's normal retirement age is 62.
    rows = frame(leaver("2022-05-10", born="1960-05-10"))
    config = VestingConfig(schedule=(0, 0, 20, 40, 60, 80, 100), normal_retirement_age=62)
    assert vesting_of(rows, config) == [(2, 10000, "normal_retirement_age")]


def test_each_employer_source_is_split_half_up_and_only_employer_money_is_counted():
    # 3 years (2020-03-15 -> 2023-03-15) graded: 40%.
    rows = frame(leaver("2023-03-15"))
    balances = pl.DataFrame({
        "employee_id": ["E1"] * 5,
        "source": ["match", "nonelective", "match_true_up", "pretax", "rollover"],
        "balance_cents": [12_345, 5_001, 0, 999_999, 50_000],
    })
    terminations, entries = compute_forfeitures(rows, NO_HOURS, balances, GRADED)
    # match: 40% of 123.45 = 49.38 -> vested 49.38, forfeited 74.07
    # nonelective: 40% of 50.01 = 20.004 -> 20.00 vested, 30.01 forfeited; true-up 0: nothing to post
    # employer balance 173.46 = vested 69.38 + forfeited 104.08; pre-tax and rollover are not employer money
    assert terminations.select(
        "years_of_service", "vested_bp", "employer_balance_cents", "vested_employer_balance_cents", "forfeited_cents"
    ).row(0) == (3, 4000, 17_346, 6_938, 10_408)
    assert entries.rows() == [("E1", "match", -7_407), ("E1", "nonelective", -3_001)]


def test_a_leaver_with_no_employer_money_has_a_zero_row_and_no_entries():
    terminations, entries = compute_forfeitures(frame(leaver("2021-01-01")), NO_HOURS, pl.DataFrame(
        schema={"employee_id": pl.Utf8, "source": pl.Utf8, "balance_cents": pl.Int64}), GRADED)
    assert terminations.select("employer_balance_cents", "vested_employer_balance_cents", "forfeited_cents").row(0) == (0, 0, 0)
    assert entries.height == 0


@settings(max_examples=200, deadline=None)
@given(
    balances=st.lists(st.integers(0, 10**12), min_size=3, max_size=3),
    years=st.integers(0, 12),
    schedule=st.sampled_from([(0, 0, 20, 40, 60, 80, 100), (0, 0, 0, 100), (100,), (0, 25, 50, 75, 100),
                              (0, 0, Decimal("33.33"), Decimal("66.67"), 100)]),
)
def test_forfeited_plus_vested_is_the_employer_balance_and_vested_is_rounded_half_up(balances, years, schedule):
    hire = dt.date(2000, 1, 1)
    rows = frame(leaver(f"{2000 + years}-01-01", hire=hire.isoformat()))
    frame_balances = pl.DataFrame({"employee_id": ["E1"] * 3, "source": ["match", "match_true_up", "nonelective"],
                                   "balance_cents": balances})
    config = VestingConfig(schedule=tuple(schedule))
    terminations, entries = compute_forfeitures(rows, NO_HOURS, frame_balances, config)
    row = terminations.row(0, named=True)
    pct = Fraction(str(schedule[min(years, len(schedule) - 1)])) / 100
    # Slow reference: exact fractions, half-up per source.
    expected_vested = sum(int(Fraction(b) * pct + Fraction(1, 2)) for b in balances)
    assert row["vested_employer_balance_cents"] == expected_vested
    assert row["forfeited_cents"] + row["vested_employer_balance_cents"] == row["employer_balance_cents"] == sum(balances)
    assert -entries["amount_cents"].sum() == row["forfeited_cents"]


@pytest.mark.parametrize(
    ("schedule", "error"),
    [
        ("[0, 0, 0, 0, 100]", "less generous than IRC 411(a)(2)(B)"),  # a 4-year cliff
        ("[0, 0, 10, 40, 60, 80, 100]", "less generous"),  # 10% after 2 years is below graded's 20%
        ("[0, 0, 20, 40, 60, 80]", "less generous"),  # never reaches 100%
        ("[0, 0, 100, 50]", "must not decrease"),
        ("[0, 0, 20, 40, 60, 80, 101]", "between 0 and 100"),
        ("[]", "at least 1 item"),
    ],
)
def test_a_schedule_less_generous_than_the_law_is_a_configuration_error(schedule, error):
    with pytest.raises(PlanConfigError, match="vesting.schedule") as raised:
        parse_plan_text(f'plan_id = "acme"\nname = "A"\n[vesting]\nschedule = {schedule}\n', "acme.toml")
    assert error in str(raised.value)


@pytest.mark.parametrize("schedule", ["[100]", "[0, 0, 0, 100]", "[0, 0, 20, 40, 60, 80, 100]", "[0, 20, 20, 100]",
                                      "[0, 0, 20, 100]"])
def test_schedules_at_least_as_generous_as_cliff_or_graded_are_accepted(schedule):
    plan = parse_plan_text(f'plan_id = "acme"\nname = "A"\n[vesting]\nschedule = {schedule}\n', "acme.toml")
    assert plan.vesting.pct_bp_after(99) == 10_000


def test_vesting_keys_are_checked():
    with pytest.raises(PlanConfigError, match="normal_retirement_age"):
        parse_plan_text('plan_id = "a"\nname = "A"\n[vesting]\nnormal_retirement_age = 66\n', "a.toml")
    with pytest.raises(PlanConfigError, match="method"):
        parse_plan_text('plan_id = "a"\nname = "A"\n[vesting]\nmethod = "calendar"\n', "a.toml")
    with pytest.raises(PlanConfigError, match="unknown key 'vesting.shedule'"):
        parse_plan_text('plan_id = "a"\nname = "A"\n[vesting]\nshedule = [100]\n', "a.toml")


def test_without_a_vesting_section_employer_money_vests_immediately():
    plan = parse_plan_text('plan_id = "a"\nname = "A"\n', "a.toml")
    assert (plan.vesting.schedule, plan.vesting.method, plan.vesting.normal_retirement_age) == ((100,), "elapsed", 65)
