"""A slow, obviously-correct reference for the per-period contribution rules.

This module re-implements the spec of ``pipelines.rules.contributions.compute_contributions`` from scratch,
in the most literal way: plain Python over lists of dicts, one loop iteration per payroll row, running
per-person-and-year state (rooms left, compensation seen, additions posted), and exact ``fractions.Fraction``
arithmetic rounded half away from zero exactly once per amount. It shares no code with the engine (no
polars, no ``pipelines.money``, no ``MatchTier.up_to_bp`` / ``NonelectiveConfig.bp``, no cumulative-sum
tricks), so a bug in one is unlikely to be repeated in the other.

Why it is trustworthy: every rule is a few lines that read like the spec.

1. ``plan_year`` is the calendar year of ``pay_date``.
2. 401(a)(17): a row's counted compensation is the part of its plan compensation that still fits under the
   year's compensation limit after the prior YTD plan compensation and the earlier rows' plan compensation.
3. Elected amount = round_half_up(counted compensation × bp / 10000).
4. Rooms: regular = 402(g) limit; catch-up = catchup_50plus at age ≥ 50 (age = plan_year − birth year),
   or catchup_60_63 at ages 60-63 from 2025 when the plan allows it; 0 when catch-up is disabled.
   Prior YTD use is subtracted from each room (never below 0).
5. Rows of a person and year in (pay_date, line_number) order; each period pours pre-tax then Roth into the
   regular room, then the pre-tax left over then the Roth left over into the catch-up room; the rest is
   not deferred. Roth catch-up rule (IRC §414(v)(7)): a catch-up eligible person whose prior-year wages
   are strictly above the year's threshold (when both are known) has the pre-tax left over either booked as
   Roth catch-up ("convert") or kept out of the catch-up room and not deferred ("stop").
6. Match = round_half_up(Σ rate × part of the matchable deferral inside each tier's band of COUNTED pay).
7. Nonelective = round_half_up(counted compensation × pct / 100).
8. 415(c): each row's additions (pre-tax + Roth + match + nonelective) are posted only up to a running cap,
   max(prior YTD additions, min(415(c) limit, prior YTD plan compensation + plan compensation so far));
   the cut comes off match, then nonelective, then Roth, then pre-tax (cut deferrals are not deferred).

Money is integer cents; percents in the inputs are basis points (100% = 10000); plan percents are Decimals.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from fractions import Fraction

from schemas.plan import CatchUpConfig, MatchConfig, PlanConfig

BP_PER_WHOLE = 10_000  # basis points in 100%

DEFERRAL_COLUMNS = ("pretax_cents", "roth_cents", "pretax_catchup_cents", "roth_catchup_cents")
#: The 415(c) cut is taken from these, in this order.
CUT_ORDER = ("match", "nonelective", "roth", "pretax")

PRIOR_COLUMNS = (
    "ytd_regular_deferral_cents",
    "ytd_catch_up_deferral_cents",
    "ytd_plan_compensation_cents",
    "ytd_annual_additions_cents",
)


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


def percent_of_cents(compensation_cents: int, pct) -> int:
    """``pct`` percent (a Decimal, e.g. 3.25) of an amount, rounded half-up to the cent."""
    return round_half_up(Fraction(compensation_cents) * Fraction(pct) / 100)  # Fraction(Decimal) is exact


def age_at_year_end(plan_year: int, date_of_birth: dt.date) -> int:
    """Age attained by 31 December of the plan year (IRC §414(v)): only the birth year matters."""
    return plan_year - date_of_birth.year


def is_catch_up_eligible(age: int, catch_up: CatchUpConfig) -> bool:
    return catch_up.enabled and age >= 50


def catch_up_limit_cents(age: int, plan_year: int, year_limits: Mapping[str, int | None],
                         catch_up: CatchUpConfig) -> int:
    """The annual catch-up room for a person of ``age`` in ``plan_year`` under the plan's catch-up rules."""
    if not is_catch_up_eligible(age, catch_up):
        return 0
    # SECURE 2.0 §109: ages 60-63 get the higher limit from 2025, if the plan adopted it.
    if catch_up.age_60_63 and 60 <= age <= 63 and plan_year >= 2025:
        higher = year_limits["catchup_60_63_cents"]
        if higher is None:
            raise AssertionError(f"no 60-63 catch-up limit for {plan_year}")
        return higher
    return year_limits["catchup_50plus_cents"]


def must_catch_up_as_roth(age: int, prior_year_wages: int | None, year_limits: Mapping[str, object],
                          catch_up: CatchUpConfig) -> bool:
    """IRC §414(v)(7): catch-up eligible, and last year's wages strictly above the year's threshold (a year
    without a threshold, or unknown wages, never triggers the rule)."""
    threshold = year_limits["roth_catchup_prior_year_wage_threshold_cents"]
    if not is_catch_up_eligible(age, catch_up) or threshold is None or prior_year_wages is None:
        return False
    return prior_year_wages > threshold


def take(room_left: int, amount: int) -> tuple[int, int]:
    """Pour ``amount`` into a room: (the part that fits, the room left afterwards)."""
    taken = min(room_left, amount)
    return taken, room_left - taken


def band_part(deferral: Fraction, low: Fraction, high: Fraction) -> Fraction:
    """The part of a deferral of size ``deferral`` (measured from 0) that lies between ``low`` and ``high``."""
    return max(Fraction(0), min(deferral, high) - low)


def match_cents(row: Mapping[str, int], match: MatchConfig) -> int:
    """Employer match for one period: Σ rate × deferral-in-band of counted pay, exact, rounded half-up once."""
    deferral = Fraction(row["pretax_cents"] + row["roth_cents"])
    if match.match_catch_up:
        deferral += row["pretax_catchup_cents"] + row["roth_catchup_cents"]
    pay = Fraction(row["counted_compensation_cents"])
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


def prior_by_person_year(prior_rows: Iterable[Mapping[str, object]]) -> dict[tuple[str, int], dict[str, int]]:
    """{(employee_id, plan_year): {prior column: cents}}; absent people, years and columns mean 0."""
    prior: dict[tuple[str, int], dict[str, int]] = {}
    for r in prior_rows:
        key = (r["employee_id"], int(r["plan_year"]))
        if key in prior:
            raise AssertionError(f"prior_ytd has {key} twice")
        prior[key] = {c: r.get(c) or 0 for c in PRIOR_COLUMNS}
    return prior


def with_limits(row: Mapping[str, object], limits: Mapping[int, Mapping[str, object]],
                catch_up: CatchUpConfig) -> dict[str, object]:
    """Rules 1 and 4 (limits) and the Roth catch-up flag for one row: nothing here depends on other rows."""
    year = row["pay_date"].year
    age = age_at_year_end(year, row["date_of_birth"])
    year_limits = limits[year]  # KeyError = a year without limits, which validation must have rejected
    return {
        **row,
        "plan_year": year,
        "age_at_year_end": age,
        "regular_limit_cents": year_limits["elective_deferral_402g_cents"],
        "catch_up_limit_cents": catch_up_limit_cents(age, year, year_limits, catch_up),
        "compensation_limit_cents": year_limits["compensation_401a17_cents"],
        "additions_limit_cents": year_limits["annual_additions_415c_cents"],
        "is_roth_catch_up_only": must_catch_up_as_roth(age, row.get("prior_year_wages_cents"), year_limits, catch_up),
    }


def count_compensation(row: dict[str, object], state: dict[str, int]) -> None:
    """Rule 2: the part of this period's pay that fits under the 401(a)(17) limit after the pay seen so far."""
    room = max(0, row["compensation_limit_cents"] - state["compensation_seen"])
    row["counted_compensation_cents"] = min(room, row["plan_compensation_cents"])
    state["compensation_seen"] += row["plan_compensation_cents"]


def elect(row: dict[str, object]) -> None:
    """Rule 3: elections on counted compensation."""
    row["pretax_elected_cents"] = elected_cents(row["counted_compensation_cents"], row["pretax_deferral_bp"])
    row["roth_elected_cents"] = elected_cents(row["counted_compensation_cents"], row["roth_deferral_bp"])


def fill_period(row: dict[str, object], rooms: dict[str, int], roth_for_high_earners: str) -> None:
    """Rule 5 for one period: pour the elections into ``rooms`` (mutated) in the fixed order."""
    pretax_left, roth_left = row["pretax_elected_cents"], row["roth_elected_cents"]
    row["pretax_cents"], rooms["regular"] = take(rooms["regular"], pretax_left)
    row["roth_cents"], rooms["regular"] = take(rooms["regular"], roth_left)
    pretax_left -= row["pretax_cents"]
    roth_left -= row["roth_cents"]

    roth_only = row["is_roth_catch_up_only"]
    if roth_only and roth_for_high_earners == "stop":
        # The pre-tax left over never reaches the catch-up room; Roth still may use it. What the rule stopped
        # is the part that would have fitted in the room left.
        stopped = min(pretax_left, rooms["catch_up"])
        roth_catchup, rooms["catch_up"] = take(rooms["catch_up"], roth_left)
        row["pretax_catchup_cents"], row["roth_catchup_cents"] = 0, roth_catchup
        row["roth_catch_up_cents"] = stopped
        row["not_deferred_cents"] = pretax_left + (roth_left - roth_catchup)
        return

    pretax_catchup, rooms["catch_up"] = take(rooms["catch_up"], pretax_left)
    roth_catchup, rooms["catch_up"] = take(rooms["catch_up"], roth_left)
    row["not_deferred_cents"] = (pretax_left - pretax_catchup) + (roth_left - roth_catchup)
    if roth_only:  # "convert": the pre-tax catch-up is deemed Roth
        if roth_for_high_earners != "convert":
            raise AssertionError(f"unknown roth_for_high_earners {roth_for_high_earners!r}")
        row["pretax_catchup_cents"], row["roth_catchup_cents"] = 0, roth_catchup + pretax_catchup
        row["roth_catch_up_cents"] = pretax_catchup
    else:
        row["pretax_catchup_cents"], row["roth_catchup_cents"] = pretax_catchup, roth_catchup
        row["roth_catch_up_cents"] = 0


def limit_annual_additions(row: dict[str, object], state: dict[str, int]) -> None:
    """Rule 8 for one period: post what fits under the running cap, cut the rest in ``CUT_ORDER``.

    ``state["compensation_seen"]`` already includes this period's plan compensation (raw, not counted)."""
    additions = row["pretax_cents"] + row["roth_cents"] + row["match_cents"] + row["nonelective_cents"]
    cap = max(state["ytd_additions"], min(row["additions_limit_cents"], state["compensation_seen"]))
    posted = max(0, min(additions, cap - state["posted"]))
    state["posted"] += posted
    cut = additions - posted
    for source in CUT_ORDER:
        taken = min(cut, row[f"{source}_cents"])
        row[f"{source}_415c_reduction_cents"] = taken
        row[f"{source}_cents"] -= taken
        cut -= taken
    if cut:
        raise AssertionError("the 415(c) cut is larger than the period's additions")
    row["not_deferred_cents"] += row["roth_415c_reduction_cents"] + row["pretax_415c_reduction_cents"]
    row["additions_to_date_cents"] = state["posted"]


def starting_state(row: Mapping[str, object], prior: Mapping[tuple[str, int], Mapping[str, int]]) -> dict[str, int]:
    """What earlier nights left for this row's person and year: rooms, pay seen, additions posted."""
    ytd = prior.get((row["employee_id"], row["plan_year"]), dict.fromkeys(PRIOR_COLUMNS, 0))
    return {
        "regular": max(0, row["regular_limit_cents"] - ytd["ytd_regular_deferral_cents"]),
        "catch_up": max(0, row["catch_up_limit_cents"] - ytd["ytd_catch_up_deferral_cents"]),
        "compensation_seen": ytd["ytd_plan_compensation_cents"],
        "ytd_additions": ytd["ytd_annual_additions_cents"],
        "posted": ytd["ytd_annual_additions_cents"],
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
    rows = [with_limits(r, limits, plan.catch_up) for r in payroll_rows]
    state_by_person_year: dict[tuple[str, int], dict[str, int]] = {}
    for row in sorted(rows, key=processing_order):
        key = (row["employee_id"], row["plan_year"])
        if key not in state_by_person_year:
            state_by_person_year[key] = starting_state(row, prior)
        state = state_by_person_year[key]
        count_compensation(row, state)
        elect(row)
        fill_period(row, state, plan.catch_up.roth_for_high_earners)
        row["match_cents"] = match_cents(row, plan.match)
        row["nonelective_cents"] = percent_of_cents(row["counted_compensation_cents"], plan.nonelective.pct)
        limit_annual_additions(row, state)
    return sorted(rows, key=lambda r: r["line_number"])
