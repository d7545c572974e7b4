"""A slow, obviously-correct reference for the per-period contribution rules.

This module re-implements the spec of ``pipelines.rules.contributions.compute_contributions`` from scratch,
in the most literal way: plain Python over lists of dicts, one loop iteration per payroll row, a running
"room left" per person and year, and exact ``fractions.Fraction`` arithmetic rounded half away from zero
exactly once per amount. It shares no code with the engine (no polars, no ``pipelines.money``, no
``MatchTier.up_to_bp``), so a bug in one is unlikely to be repeated in the other.

Why it is trustworthy: every rule is a few lines that read like the spec.

1. ``plan_year`` is the calendar year of ``pay_date``.
2. Elected amount = round_half_up(plan compensation × bp / 10000).
3. Rooms: regular = 402(g) limit; catch-up = catchup_50plus at age ≥ 50 (age = plan_year − birth year),
   or catchup_60_63 at ages 60-63 from 2025 when the plan allows it; 0 when catch-up is disabled.
4. Prior YTD use is subtracted from each room (never below 0).
5. Rows of a person and year in (pay_date, line_number) order; each period pours pre-tax then Roth into the
   regular room, then the pre-tax left over then the Roth left over into the catch-up room; the rest is
   not deferred.
6. Match = round_half_up(Σ rate × part of the matchable deferral inside each tier's band of pay).

Money is integer cents; percents in the inputs are basis points (100% = 10000).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from fractions import Fraction

from schemas.plan import CatchUpConfig, MatchConfig, PlanConfig

BP_PER_WHOLE = 10_000  # basis points in 100%

DEFERRAL_COLUMNS = ("pretax_cents", "roth_cents", "pretax_catchup_cents", "roth_catchup_cents")


def round_half_up(value: Fraction) -> int:
    """Round an exact value to the nearest integer, halves away from zero (2.5 -> 3, -2.5 -> -3)."""
    magnitude = abs(value)
    whole = int(magnitude)  # int() truncates a Fraction toward zero: exact for non-negative values
    if magnitude - whole >= Fraction(1, 2):
        whole += 1
    return whole if value >= 0 else -whole


def elected_cents(compensation_cents: int, deferral_bp: int) -> int:
    """The period's elected deferral: compensation × bp / 10000, rounded half-up to the cent."""
    return round_half_up(Fraction(compensation_cents * deferral_bp, BP_PER_WHOLE))


def age_at_year_end(plan_year: int, date_of_birth: dt.date) -> int:
    """Age attained by 31 December of the plan year (IRC §414(v)): only the birth year matters."""
    return plan_year - date_of_birth.year


def catch_up_limit_cents(age: int, plan_year: int, year_limits: Mapping[str, int | None],
                         catch_up: CatchUpConfig) -> int:
    """The annual catch-up room for a person of ``age`` in ``plan_year`` under the plan's catch-up rules."""
    if not catch_up.enabled or age < 50:
        return 0
    # SECURE 2.0 §109: ages 60-63 get the higher limit from 2025, if the plan adopted it.
    if catch_up.age_60_63 and 60 <= age <= 63 and plan_year >= 2025:
        higher = year_limits["catchup_60_63_cents"]
        if higher is None:
            raise AssertionError(f"no 60-63 catch-up limit for {plan_year}")
        return higher
    return year_limits["catchup_50plus_cents"]


def take(room_left: int, amount: int) -> tuple[int, int]:
    """Pour ``amount`` into a room: (the part that fits, the room left afterwards)."""
    taken = min(room_left, amount)
    return taken, room_left - taken


def band_part(deferral: Fraction, low: Fraction, high: Fraction) -> Fraction:
    """The part of a deferral of size ``deferral`` (measured from 0) that lies between ``low`` and ``high``."""
    return max(Fraction(0), min(deferral, high) - low)


def match_cents(row: Mapping[str, int], match: MatchConfig) -> int:
    """Employer match for one period: Σ rate × deferral-in-band, exact, rounded half-up once."""
    deferral = Fraction(row["pretax_cents"] + row["roth_cents"])
    if match.match_catch_up:
        deferral += row["pretax_catchup_cents"] + row["roth_catchup_cents"]
    pay = Fraction(row["plan_compensation_cents"])
    total = Fraction(0)
    low_pct = Fraction(0)
    for tier in match.tiers:
        high_pct = Fraction(tier.up_to_pct)  # Fraction(Decimal) is exact
        part = band_part(deferral, pay * low_pct / 100, pay * high_pct / 100)
        total += part * Fraction(tier.rate_pct) / 100
        low_pct = high_pct
    return round_half_up(total)


def limits_by_year(limits_rows: Iterable[Mapping[str, object]]) -> dict[int, Mapping[str, object]]:
    """The IRS limits table as {plan_year: row}."""
    return {int(r["plan_year"]): r for r in limits_rows}


def prior_by_person_year(prior_rows: Iterable[Mapping[str, object]]) -> dict[tuple[str, int], tuple[int, int]]:
    """{(employee_id, plan_year): (ytd regular, ytd catch-up)}; absent people and years mean (0, 0)."""
    prior: dict[tuple[str, int], tuple[int, int]] = {}
    for r in prior_rows:
        key = (r["employee_id"], int(r["plan_year"]))
        if key in prior:
            raise AssertionError(f"prior_ytd has {key} twice")
        prior[key] = (r["ytd_regular_deferral_cents"], r["ytd_catch_up_deferral_cents"])
    return prior


def with_elections_and_limits(row: Mapping[str, object], limits: Mapping[int, Mapping[str, object]],
                              catch_up: CatchUpConfig) -> dict[str, object]:
    """Rules 1-3 for one row: plan year, elected amounts, age and the annual limits."""
    year = row["pay_date"].year
    age = age_at_year_end(year, row["date_of_birth"])
    year_limits = limits[year]  # KeyError = a year without limits, which validation must have rejected
    return {
        **row,
        "plan_year": year,
        "pretax_elected_cents": elected_cents(row["plan_compensation_cents"], row["pretax_deferral_bp"]),
        "roth_elected_cents": elected_cents(row["plan_compensation_cents"], row["roth_deferral_bp"]),
        "age_at_year_end": age,
        "regular_limit_cents": year_limits["elective_deferral_402g_cents"],
        "catch_up_limit_cents": catch_up_limit_cents(age, year, year_limits, catch_up),
    }


def fill_period(row: dict[str, object], rooms: dict[str, int]) -> None:
    """Rule 5 for one period: pour the elections into ``rooms`` (mutated) in the fixed order."""
    pretax_left, roth_left = row["pretax_elected_cents"], row["roth_elected_cents"]
    row["pretax_cents"], rooms["regular"] = take(rooms["regular"], pretax_left)
    row["roth_cents"], rooms["regular"] = take(rooms["regular"], roth_left)
    pretax_left -= row["pretax_cents"]
    roth_left -= row["roth_cents"]
    row["pretax_catchup_cents"], rooms["catch_up"] = take(rooms["catch_up"], pretax_left)
    row["roth_catchup_cents"], rooms["catch_up"] = take(rooms["catch_up"], roth_left)
    row["not_deferred_cents"] = (pretax_left - row["pretax_catchup_cents"]) + (roth_left - row["roth_catchup_cents"])


def starting_rooms(row: Mapping[str, object], prior: Mapping[tuple[str, int], tuple[int, int]]) -> dict[str, int]:
    """Rule 4: the rooms left at the start of the batch for this row's person and year."""
    ytd_regular, ytd_catch_up = prior.get((row["employee_id"], row["plan_year"]), (0, 0))
    return {
        "regular": max(0, row["regular_limit_cents"] - ytd_regular),
        "catch_up": max(0, row["catch_up_limit_cents"] - ytd_catch_up),
    }


def processing_order(row: Mapping[str, object]) -> tuple:
    """Person, year, then (pay_date, line_number): the order the rooms are consumed in."""
    return (row["employee_id"], row["plan_year"], row["pay_date"], row["line_number"])


def reference_contributions(payroll_rows: Iterable[Mapping[str, object]],
                            prior_rows: Iterable[Mapping[str, object]],
                            limits_rows: Iterable[Mapping[str, object]],
                            plan: PlanConfig) -> list[dict[str, object]]:
    """All rules, one row at a time. Returns one dict per input row, sorted by ``line_number``."""
    limits = limits_by_year(limits_rows)
    prior = prior_by_person_year(prior_rows)
    rows = [with_elections_and_limits(r, limits, plan.catch_up) for r in payroll_rows]
    rooms_by_person_year: dict[tuple[str, int], dict[str, int]] = {}
    for row in sorted(rows, key=processing_order):
        key = (row["employee_id"], row["plan_year"])
        if key not in rooms_by_person_year:
            rooms_by_person_year[key] = starting_rooms(row, prior)
        fill_period(row, rooms_by_person_year[key])
        row["match_cents"] = match_cents(row, plan.match)
    return sorted(rows, key=lambda r: r["line_number"])
