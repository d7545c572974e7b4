"""Retirement projection: each participant's account year by year to retirement age, under stated assumptions.

Pure functions over polars frames; money in Int64 cents, rates in basis points (100% = 10,000), and every
rounding half-up to the cent through :mod:`pipelines.money`. Nothing here loops over people: the only loops
are over calendar years (at most ~60), each vectorised over everyone.

Conventions
-----------
* **Years.** ``as_of`` is the projection date. The projection years are the whole calendar years after it,
  ``y = as_of.year + 1, ...,`` up to and including the **retirement year**, the calendar year in which the
  person reaches ``retirement_age`` (age in a year = ``y`` − birth year, the age attained by 31 December, as
  the catch-up rule counts it, IRC §414(v)(5)). Someone whose retirement year is ``as_of.year`` or earlier
  gets no year rows; the summary shows them with ``years_to_retirement`` 0 and the current balance.
* **Pay.** ``annual_compensation_cents`` is this year's pay, ``S_0``. Year 1 is already grown once:
  ``S_t = S_(t-1) × (1 + salary_growth)``, half-up to the cent each year (``S_1 = S_0 × (1 + g)``).
* **Counted pay.** ``min(S_t, 401(a)(17) limit of y)`` (IRC §401(a)(17)).
* **Deferrals.** As the payroll rules do (:func:`pipelines.rules.contributions.elect`), the elections
  (pre-tax + Roth, one combined percent) apply to counted pay: ``elected = counted × (pretax + roth)``,
  half-up. The regular deferral is ``min(elected, 402(g) limit)`` (IRC §402(g)(1)); the rest goes to the
  catch-up room, ``min(elected − regular, room)``, where the room is the year's ``catchup_60_63`` at ages
  60-63 from 2025 when the plan enables it (IRC §414(v)(2)(E), SECURE 2.0 §109), else ``catchup_50plus`` at
  50+ (IRC §414(v)(2)(B)), and 0 when the plan disables catch-up: the very rule of
  :func:`pipelines.rules.contributions.attach_limits`, which computes it here. What is elected beyond both
  rooms is not deferred (``limit_reached``). Roth and pre-tax are not told apart: the amounts do not depend
  on it (IRC §414(v)(7) changes only a high earner's catch-up's tax character under ``"convert"``).
* **Employer money.** The match is :func:`pipelines.rules.contributions.employer_match` on the year's annual
  figures (counted pay; regular deferral as ``pretax``, catch-up as ``pretax_catchup``), and the nonelective
  is :func:`pipelines.rules.contributions.nonelective` (the plan's percent of counted pay).
* **415(c).** Regular deferral + match + nonelective (catch-up excluded, IRC §414(v)(3)(A)) may not exceed
  ``min(415(c) limit of y, S_t)`` (IRC §415(c)(1)); the excess is cut in
  :data:`pipelines.rules.contributions.REDUCTION_ORDER`: match first, then nonelective, then deferral.
* **Timing and growth.** Contributions are made at each year's **end**, so they earn nothing that year:
  ``growth = balance_start × annual_return`` (half-up) and ``balance_end = balance_start + growth +
  deferral + catch-up + match + nonelective``. Level contributions growing at ``g`` so make the closed form of
  a growing annuity, ``FV = P × ((1+r)^n − (1+g)^n) / (r − g)`` with ``P = rate × S_1``.
* **Limits in later years** (:func:`projected_limits`): a year in the seed table is its row; a later year is
  the table's **last** row compounded by ``inflation`` for each year after it (from the seed figure, not
  from the previous indexed one), computed exactly in integers, with the increase rounded **down** to the
  statute's step: $500 for 402(g) and both catch-ups (IRC §402(g)(4), §414(v)(2)(C)), $1,000 for 415(c)
  (IRC §415(d)(4)(A)), $5,000 for 401(a)(17) (IRC §401(a)(17)(B)). The statutes round the increase, not the
  amount, which differs only for a seed figure off the step: the 60-63 catch-up's $11,250 stays $11,250
  until inflation adds a whole $500. A year before the table is an error. (The IRS indexes from a statutory
  base period; compounding the latest published figure is the projection's simplification.)
* **Summary** (:func:`summarize`): "today's dollars" divide by ``(1 + inflation)^years_to_retirement``;
  ``income_4pct`` is ``withdrawal_rate × balance`` a year; ``annuity`` is the level payment at each year's
  end for ``annuity_years`` years that a balance ``B`` buys at ``annual_return``:
  ``B × r / (1 − (1 + r)^−N)``, or ``B / N`` when ``r = 0``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, fields
from datetime import date

import polars as pl

from pipelines.limits import LimitsTableError
from pipelines.money import BP_PER_UNIT, div_round_half_up, pct_of
from pipelines.rules.contributions import REDUCTION_ORDER, attach_limits, employer_match, nonelective
from schemas.plan import PlanConfig

#: Each projected limit and the step its indexed figure is rounded down to, in cents.
LIMIT_STEPS_CENTS: dict[str, int] = {
    "elective_deferral_402g_cents": 500_00,  # IRC §402(g)(4)
    "catchup_50plus_cents": 500_00,  # IRC §414(v)(2)(C)
    "catchup_60_63_cents": 500_00,  # IRC §414(v)(2)(C), as §414(v)(2)(E)(ii) applies it
    "annual_additions_415c_cents": 1_000_00,  # IRC §415(d)(4)(A)
    "compensation_401a17_cents": 5_000_00,  # IRC §401(a)(17)(B)
}

PEOPLE_COLUMNS = {
    "employee_id": pl.Utf8,
    "date_of_birth": pl.Date,
    "balance_cents": pl.Int64,
    "annual_compensation_cents": pl.Int64,
    "pretax_deferral_bp": pl.Int64,
    "roth_deferral_bp": pl.Int64,
}

#: Output of :func:`project_years`: the figures first, then the parts they are made of.
YEAR_COLUMNS = {
    "employee_id": pl.Utf8,
    "year": pl.Int32,
    "age": pl.Int32,
    "compensation_cents": pl.Int64,
    "deferral_cents": pl.Int64,  # regular + catch-up
    "employer_cents": pl.Int64,  # match + nonelective
    "growth_cents": pl.Int64,
    "balance_end_cents": pl.Int64,
    "limit_reached": pl.Boolean,  # elected more than was deferred
    "balance_start_cents": pl.Int64,
    "counted_compensation_cents": pl.Int64,
    "elected_cents": pl.Int64,
    "regular_deferral_cents": pl.Int64,
    "catch_up_cents": pl.Int64,
    "match_cents": pl.Int64,
    "nonelective_cents": pl.Int64,
}

SUMMARY_COLUMNS = (
    "employee_id", "retirement_year", "years_to_retirement", "balance_now_cents", "contributions_cents",
    "growth_cents", "balance_at_retirement_cents", "balance_today_dollars_cents", "income_4pct_cents",
    "income_4pct_today_cents", "annuity_cents", "annuity_today_cents",
)

#: Fixed-point scale of the deflation and annuity factors (see :func:`summarize`).
FACTOR_SCALE = 10**18


@dataclass(frozen=True)
class Assumptions:
    """What the projection assumes; rates in basis points (600 = 6.00% a year).

    >>> Assumptions().annual_return_bp
    600
    >>> Assumptions(retirement_age=45)
    Traceback (most recent call last):
    ...
    ValueError: retirement_age must be between 50 and 80, not 45
    """

    retirement_age: int = 67
    annual_return_bp: int = 600  # 6.00% a year
    salary_growth_bp: int = 300  # 3.00%
    inflation_bp: int = 250  # 2.50% (also indexes IRS limits beyond the seed table's last year)
    withdrawal_rate_bp: int = 400  # the 4% rule
    annuity_years: int = 25  # a level annuity paid over this many years at annual_return

    def __post_init__(self) -> None:
        ranges = {"retirement_age": (50, 80), "annuity_years": (1, 50)}
        for field in fields(self):
            value = getattr(self, field.name)
            low, high = ranges.get(field.name, (0, 2000))
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError(f"{field.name} must be a whole number, not {value!r}")
            if not low <= value <= high:
                raise ValueError(f"{field.name} must be between {low} and {high}, not {value}")


def _half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half-up, for non-negative Python integers (exact)."""
    return (2 * numerator + denominator) // (2 * denominator)


def projected_limits(limits: pl.DataFrame, years: list[int], inflation_bp: int) -> pl.DataFrame:
    """The IRS limits of each year asked for: the seed row, or the last seed row indexed by inflation.

    ``limits`` is :func:`pipelines.limits.load_irs_limits`. Columns: ``year`` and the
    :data:`LIMIT_STEPS_CENTS` columns (``catchup_60_63_cents`` null where the law has none).

    Examples
    --------
    >>> from pipelines.limits import load_irs_limits
    >>> out = projected_limits(load_irs_limits(), [2026, 2027], 250)
    >>> # 2026 is seeded ($24,500). 2027: $24,500 x 1.025 = $25,112.50, down to a $500 multiple: $25,000.
    >>> out["elective_deferral_402g_cents"].to_list()
    [2450000, 2500000]
    >>> # 401(a)(17): $360,000 x 1.025 = $369,000, down to a $5,000 multiple: $365,000.
    >>> out["compensation_401a17_cents"].to_list()
    [36000000, 36500000]
    >>> # Ages 60-63: $11,250 x 1.025 = $11,531.25, an increase of $281.25, under one $500 step: $11,250.
    >>> out["catchup_60_63_cents"].to_list()
    [1125000, 1125000]
    """
    if not 0 <= inflation_bp <= 2000:
        raise ValueError(f"inflation_bp must be between 0 and 2000, not {inflation_bp}")
    seed = {row["plan_year"]: row for row in limits.iter_rows(named=True)}
    first, last = min(seed), max(seed)
    rows = []
    # One iteration per calendar year asked for (a few dozen): exact Python integers, no float.
    for year in sorted(set(years)):
        if year < first:
            raise LimitsTableError(f"no IRS limits for {year}: the table starts in {first}")
        if year in seed:
            rows.append({"year": year, **{c: seed[year][c] for c in LIMIT_STEPS_CENTS}})
            continue
        if year < last:
            raise LimitsTableError(f"no IRS limits for {year}: add the row to sql/seeds/irs_limits.csv")
        k = year - last
        growth_num, growth_den = (BP_PER_UNIT + inflation_bp) ** k, BP_PER_UNIT**k
        row: dict[str, int | None] = {"year": year}
        for column, step in LIMIT_STEPS_CENTS.items():
            base = seed[last][column]
            # The statutes round the INCREASE down to the step: base + floor(base x ((1+i)^k - 1) / step) x step.
            if base is not None:
                base += base * (growth_num - growth_den) // (growth_den * step) * step
            row[column] = base
        rows.append(row)
    schema = {"year": pl.Int32, **{c: pl.Int64 for c in LIMIT_STEPS_CENTS}}
    return pl.DataFrame(rows, schema=schema, orient="row")


def _check_people(people: pl.DataFrame) -> None:
    missing = [c for c in PEOPLE_COLUMNS if c not in people.columns]
    if missing:
        raise ValueError(f"people lack columns {missing}")
    nulls = [c for c in PEOPLE_COLUMNS if people[c].null_count()]
    if nulls:
        raise ValueError(f"people have nulls in {nulls}")
    if people["employee_id"].is_duplicated().any():
        raise ValueError("an employee_id appears twice in people")


def project_years(
    people: pl.DataFrame, plan: PlanConfig, limits: pl.DataFrame, assumptions: Assumptions, as_of: date
) -> pl.DataFrame:
    """One row per person and projection year (columns :data:`YEAR_COLUMNS`), sorted by person and year.

    ``people``: ``employee_id``, ``date_of_birth``, ``balance_cents`` (the whole account now),
    ``annual_compensation_cents`` (this year's plan compensation), ``pretax_deferral_bp``,
    ``roth_deferral_bp``. ``limits``: :func:`pipelines.limits.load_irs_limits`.

    Examples
    --------
    >>> import datetime as dt
    >>> from pipelines.limits import load_irs_limits
    >>> from schemas.plan import parse_plan_text
    >>> plan = parse_plan_text('plan_id = "p"\\nname = "P"\\n', "p.toml")  # no match, no nonelective
    >>> people = pl.DataFrame({"employee_id": ["e1"], "date_of_birth": [dt.date(1960, 5, 1)],
    ...     "balance_cents": [1_000_000], "annual_compensation_cents": [5_000_000],
    ...     "pretax_deferral_bp": [1000], "roth_deferral_bp": [0]})
    >>> out = project_years(people, plan, load_irs_limits(), Assumptions(), dt.date(2025, 12, 31))
    >>> # Born 1960: 67 in 2027, so two years. 2026: pay $50,000 x 1.03 = $51,500, 10% = $5,150 deferred,
    >>> # growth $10,000 x 6% = $600, end $15,750. 2027: pay $53,045, deferral $5,304.50, growth $945, end $21,999.50.
    >>> out.select("year", "age", "compensation_cents", "deferral_cents", "growth_cents", "balance_end_cents").rows()
    [(2026, 66, 5150000, 515000, 60000, 1575000), (2027, 67, 5304500, 530450, 94500, 2199950)]
    """
    _check_people(people)
    a = assumptions
    first = as_of.year + 1
    base = people.select(
        pl.col("employee_id").cast(pl.Utf8),
        pl.col("date_of_birth").dt.year().cast(pl.Int32).alias("_birth_year"),
        (pl.col("date_of_birth").dt.year().cast(pl.Int32) + a.retirement_age).alias("_retirement_year"),
        pl.col("balance_cents").cast(pl.Int64).alias("_balance"),
        pl.col("annual_compensation_cents").cast(pl.Int64).alias("_salary"),
        (pl.col("pretax_deferral_bp") + pl.col("roth_deferral_bp")).cast(pl.Int64).alias("_deferral_bp"),
    ).filter(pl.col("_retirement_year") >= first).sort("employee_id").with_columns(
        (pl.col("_retirement_year") - first + 1).cast(pl.Int64).alias("_years"),
    )
    if base.height == 0:
        return pl.DataFrame(schema=YEAR_COLUMNS)
    last = int(base["_retirement_year"].max())
    span = last - first + 1
    year_limits = projected_limits(limits, list(range(first, last + 1)), a.inflation_bp)

    # The grid: every person-year in the output's order, by person (employee_id), then year; j = year - first.
    person = pl.int_range(0, base.height, dtype=pl.Int64, eager=True).repeat_by(
        base["_years"].cast(pl.UInt32)).explode()
    grid = pl.DataFrame({
        "employee_id": base["employee_id"].gather(person),
        "_j": base.select(pl.int_ranges(0, "_years", dtype=pl.Int64).explode()).to_series(),
    })

    # The loops below run over projection YEARS (at most ~60 iterations), each vectorised over the people still
    # working: pay and balance carry from one year to the next with a rounding each year, so there is no closed
    # form. Ordered by their number of years, longest first, the people working in year j are a PREFIX of one
    # fixed order (``ordered``): year j's state is the first ``working[j]`` values of last year's, no join.
    ordered = base.with_row_index("_id", 0).sort("_years", descending=True, maintain_order=True)
    years_count = Counter(ordered["_years"].to_list())  # a few dozen distinct numbers of years
    working = [sum(n for count, n in years_count.items() if count > j) for j in range(span)]
    year_starts = [0]
    for n in working[:-1]:
        year_starts.append(year_starts[-1] + n)
    # Where each grid row's person-year is in the year-by-year layout of the loops: year j's block, then the
    # person's place in ``ordered``.
    slot = pl.zeros(base.height, pl.Int64, eager=True).scatter(
        ordered["_id"], pl.int_range(0, base.height, dtype=pl.Int64, eager=True))
    in_loop_layout = pl.Series(year_starts, dtype=pl.Int64).gather(grid["_j"]) + slot.gather(person)

    # Pay: S_j = S_(j-1) x (1 + g), half-up each year.
    salary = ordered["_salary"]
    growth_factor = pl.lit(BP_PER_UNIT + a.salary_growth_bp)
    pay: list[pl.Series] = []
    for n in working:
        salary = pl.DataFrame({"s": salary.head(n)}).select(pct_of(pl.col("s"), growth_factor)).to_series()
        pay.append(salary)

    # Each person-year's limits and catch-up room: attach_limits (the payroll rules') on every pair of
    # projection year and birth year, which is all it reads of a person-year.
    first_birth = int(base["_birth_year"].min())
    births = int(base["_birth_year"].max()) - first_birth + 1
    table = _limits_by_birth_year(year_limits, first, span, first_birth, births, plan)
    limit_row = grid["_j"] * births + (base["_birth_year"].cast(pl.Int64).gather(person) - first_birth)
    grid = _contributions(
        grid.with_columns(
            pl.concat(pay).rechunk().gather(in_loop_layout).alias("compensation_cents"),
            base["_deferral_bp"].gather(person).alias("_deferral_bp"),
            *(table[column].gather(limit_row) for column in table.columns),
        ).lazy(),
        plan,
    ).select(
        *(c for c in YEAR_COLUMNS if c in _CONTRIBUTION_COLUMNS), "_j",
        (pl.col("deferral_cents") + pl.col("employer_cents")).alias("_additions"),
    ).collect()

    # Balance: contributions at each year's end, growth on the year's start balance.
    additions = grid["_additions"].rechunk()
    first_row = (base["_years"].cum_sum() - base["_years"]).gather(ordered["_id"])  # each person's first grid row
    balance = ordered["_balance"]
    ends: list[pl.Series] = []
    for j, n in enumerate(working):
        begin = balance.head(n)
        growth = pl.DataFrame({"b": begin}).select(pct_of(pl.col("b"), pl.lit(a.annual_return_bp))).to_series()
        balance = begin + growth + additions.gather(first_row.head(n) + j)
        ends.append(balance)
    balance_end = pl.concat(ends).rechunk().gather(in_loop_layout)
    balance_start = pl.select(
        pl.when(grid["_j"] == 0).then(base["_balance"].gather(person)).otherwise(balance_end.shift(1))
    ).to_series()
    return grid.with_columns(
        balance_start.alias("balance_start_cents"),
        balance_end.alias("balance_end_cents"),
        # balance_end = balance_start + growth + deferral + employer, growth = pct_of(balance_start, return)
        # as the loop computed it; recovered here from the others rather than carried through the reorder.
        (balance_end - balance_start - additions).alias("growth_cents"),
    ).select(list(YEAR_COLUMNS))


def _limits_by_birth_year(year_limits: pl.DataFrame, first: int, span: int, first_birth: int, births: int,
                          plan: PlanConfig) -> pl.DataFrame:
    """:func:`attach_limits` of every (projection year, birth year), row ``j × births + (birth - first_birth)``."""
    pairs = pl.DataFrame({
        "plan_year": pl.int_range(first, first + span, dtype=pl.Int32, eager=True).repeat_by(births).explode(),
    }).with_columns(
        (pl.int_range(0, pl.len(), dtype=pl.Int64) % births + first_birth).cast(pl.Int32).alias("_birth_year"),
    ).with_columns(
        pl.date(pl.col("_birth_year"), 1, 1).alias("date_of_birth"),
    )
    table = attach_limits(
        pairs,
        year_limits.rename({"year": "plan_year"}).with_columns(
            pl.lit(None, pl.Int64).alias("roth_catchup_prior_year_wage_threshold_cents")
        ),
        plan.catch_up,
    ).sort("plan_year", "_birth_year")
    if table.height != span * births:
        raise AssertionError("attach_limits changed the number of (year, birth year) rows")
    return table.select(
        "plan_year", "age_at_year_end", "regular_limit_cents", "catch_up_limit_cents", "compensation_limit_cents",
        "additions_limit_cents",
    )


#: The :data:`YEAR_COLUMNS` that :func:`_contributions` computes (all but the balances and growth).
_CONTRIBUTION_COLUMNS = frozenset(YEAR_COLUMNS) - {"balance_start_cents", "growth_cents", "balance_end_cents"}


def _contributions(frame: pl.LazyFrame, plan: PlanConfig) -> pl.LazyFrame:
    """The contributions of every person-year in ``frame`` (its pay ``compensation_cents``, ``_deferral_bp`` and
    the year's limits from :func:`attach_limits`): all but the balance, which carries from year to year."""
    frame = frame.with_columns(
        pl.min_horizontal("compensation_cents", "compensation_limit_cents").alias("counted_compensation_cents"),
    ).with_columns(
        pct_of(pl.col("counted_compensation_cents"), pl.col("_deferral_bp")).alias("elected_cents"),
    ).with_columns(
        pl.min_horizontal("elected_cents", "regular_limit_cents").alias("pretax_cents"),
        pl.lit(0, pl.Int64).alias("roth_cents"),
        pl.lit(0, pl.Int64).alias("roth_catchup_cents"),
    ).with_columns(
        pl.min_horizontal(pl.col("elected_cents") - pl.col("pretax_cents"), "catch_up_limit_cents")
        .alias("pretax_catchup_cents"),
    )
    frame = nonelective(employer_match(frame, plan.match, "counted_compensation_cents"), plan.nonelective)
    # 415(c): additions above min(limit, pay) come off match, then nonelective, then deferrals.
    additions = pl.col("pretax_cents") + pl.col("match_cents") + pl.col("nonelective_cents")
    allowed = pl.min_horizontal("additions_limit_cents", "compensation_cents")
    frame = frame.with_columns((additions - allowed).clip(lower_bound=0).alias("_cut"))
    for source in REDUCTION_ORDER:
        amount = pl.col(f"{source}_cents")
        taken = pl.min_horizontal("_cut", amount)
        frame = frame.with_columns((amount - taken).alias(f"{source}_cents"), (pl.col("_cut") - taken).alias("_cut"))
    regular = pl.col("pretax_cents") + pl.col("roth_cents")
    catch_up = pl.col("pretax_catchup_cents") + pl.col("roth_catchup_cents")
    return frame.with_columns(
        pl.col("plan_year").alias("year"),
        pl.col("age_at_year_end").alias("age"),
        regular.alias("regular_deferral_cents"),
        catch_up.alias("catch_up_cents"),
        (regular + catch_up).alias("deferral_cents"),
        (pl.col("match_cents") + pl.col("nonelective_cents")).alias("employer_cents"),
        (pl.col("elected_cents") > regular + catch_up).alias("limit_reached"),
    )


def _deflators(years_to_retirement: list[int], inflation_bp: int) -> pl.DataFrame:
    """``FACTOR_SCALE / (1 + inflation)^n`` for each distinct ``n``, exact integers rounded half-up once."""
    # One iteration per distinct number of years (at most ~60), not per person.
    rows = [
        (n, _half_up(FACTOR_SCALE * BP_PER_UNIT**n, (BP_PER_UNIT + inflation_bp) ** n))
        for n in sorted(set(years_to_retirement))
    ]
    return pl.DataFrame(rows, schema={"years_to_retirement": pl.Int32, "_deflator": pl.Int64}, orient="row")


def _scaled(amount: pl.Expr, factor: pl.Expr | int) -> pl.Expr:
    """``amount × factor / FACTOR_SCALE``, half-up to the cent (products in Int128)."""
    factor_expr = factor if isinstance(factor, pl.Expr) else pl.lit(factor, pl.Int64)
    return div_round_half_up(amount.cast(pl.Int128) * factor_expr.cast(pl.Int128), FACTOR_SCALE)


def annuity_payment(balance: pl.Expr, annual_return_bp: int, years: int) -> pl.Expr:
    """The level payment at each year's end for ``years`` years that ``balance`` buys at ``annual_return``:
    ``B × r / (1 − (1 + r)^−N)``, or ``B / N`` at ``r = 0``; half-up to the cent.

    >>> # $100,000 over 25 years at 0%: $4,000. At 6%: 100,000 x 0.06 / (1 - 1.06^-25) = $7,822.67.
    >>> b = pl.lit(10_000_000)
    >>> pl.select(r0=annuity_payment(b, 0, 25), r6=annuity_payment(b, 600, 25)).row(0)
    (400000, 782267)
    """
    if annual_return_bp == 0:
        return div_round_half_up(balance, years)
    # r(1+r)^N / ((1+r)^N - 1) with r = R/10000, exactly in integers, then FACTOR_SCALE times it half-up.
    grown, unit = (BP_PER_UNIT + annual_return_bp) ** years, BP_PER_UNIT**years
    factor = _half_up(FACTOR_SCALE * annual_return_bp * grown, BP_PER_UNIT * (grown - unit))
    return _scaled(balance, factor)


def _year_totals(years: pl.DataFrame) -> pl.DataFrame:
    """Per person in ``years``: contributions, growth, the last year's end balance and the number of years."""
    ids = years["employee_id"]
    if ids.null_count() == 0 and ids.is_sorted():  # as project_years returns them: group runs, no hashing
        years = years.with_columns(ids.set_sorted())
    return years.group_by("employee_id").agg(
        (pl.col("deferral_cents") + pl.col("employer_cents")).sum().alias("contributions_cents"),
        pl.col("growth_cents").sum().alias("growth_cents"),
        pl.col("balance_end_cents").sort_by("year").last().alias("_balance_end"),
        pl.len().alias("_years"),
    )


def _check_known(year_ids: pl.Series, people: pl.DataFrame) -> None:
    """Refuse years of people not in ``people`` (``year_ids``: the years' employee_id, repeats allowed)."""
    known = people["employee_id"]
    if year_ids.dtype == known.dtype == pl.Utf8:
        unknown = set(
            year_ids.to_frame("employee_id").join(known.to_frame("employee_id"), on="employee_id", how="anti")
            ["employee_id"].to_list()
        )
    else:
        unknown = set(year_ids.unique().to_list()) - set(known.to_list())
    if unknown:
        raise ValueError(f"years of people not in people: {sorted(unknown)}")


def summarize(people: pl.DataFrame, years: pl.DataFrame, assumptions: Assumptions, as_of: date) -> pl.DataFrame:
    """One row per person (columns :data:`SUMMARY_COLUMNS`), from ``people`` and their :func:`project_years`.

    ``retirement_year`` is the birth year + ``retirement_age`` (in the past for someone already older);
    ``years_to_retirement`` is ``retirement_year − as_of.year``, never below 0.

    Today's dollars and the annuity need non-integer powers. Each factor (``1 / (1 + i)^n`` per distinct
    ``n``, and the annuity factor) is computed exactly with Python integers and kept to 18 decimal places
    (:data:`FACTOR_SCALE`, half-up); the amount × factor is then rounded half-up ONCE to the cent. The factor's
    error (at most 0.5 × 10^-18) moves the result by at most 10^-6 cents for any balance under
    $10 billion, so the cent is the exact half-up one except within 10^-6 cents of a half cent. Each today's
    figure deflates its own nominal figure.

    Examples
    --------
    >>> import datetime as dt
    >>> people = pl.DataFrame({"employee_id": ["old"], "date_of_birth": [dt.date(1950, 1, 1)],
    ...     "balance_cents": [10_000_000], "annual_compensation_cents": [0], "pretax_deferral_bp": [0],
    ...     "roth_deferral_bp": [0]})
    >>> years = pl.DataFrame(schema=YEAR_COLUMNS)
    >>> s = summarize(people, years, Assumptions(), dt.date(2025, 6, 30))
    >>> # 67 in 2017, already past: 0 years; 4% of $100,000 = $4,000; 25 years at 6%: $7,822.67.
    >>> s.select("retirement_year", "years_to_retirement", "balance_at_retirement_cents", "income_4pct_cents",
    ...          "annuity_cents").row(0)
    (2017, 0, 10000000, 400000, 782267)
    """
    _check_people(people)
    a = assumptions
    try:
        totals = _year_totals(years)
    except Exception:
        _check_known(years["employee_id"], people)  # years of unknown people are the first error to report
        raise
    _check_known(totals["employee_id"], people)
    frame = people.select(
        pl.col("employee_id").cast(pl.Utf8),
        (pl.col("date_of_birth").dt.year().cast(pl.Int32) + a.retirement_age).alias("retirement_year"),
        pl.col("balance_cents").cast(pl.Int64).alias("balance_now_cents"),
    ).with_columns(
        (pl.col("retirement_year") - as_of.year).clip(lower_bound=0).cast(pl.Int32).alias("years_to_retirement"),
    ).join(totals, on="employee_id", how="left").with_columns(
        pl.col("contributions_cents").fill_null(0).cast(pl.Int64),
        pl.col("growth_cents").fill_null(0).cast(pl.Int64),
        pl.col("_balance_end").fill_null(pl.col("balance_now_cents")).alias("balance_at_retirement_cents"),
        pl.col("_years").fill_null(0).cast(pl.Int32),
    )
    inconsistent = frame.filter(
        (pl.col("_years") != pl.col("years_to_retirement"))
        | (pl.col("balance_now_cents") + pl.col("contributions_cents") + pl.col("growth_cents")
           != pl.col("balance_at_retirement_cents"))
    )
    if inconsistent.height:
        raise ValueError(
            f"years do not follow from people for {inconsistent['employee_id'].to_list()}: "
            "pass project_years of the same people, assumptions and as_of"
        )
    balance = pl.col("balance_at_retirement_cents")
    deflator = pl.col("_deflator")
    return frame.join(
        _deflators(frame["years_to_retirement"].to_list(), a.inflation_bp), on="years_to_retirement", how="left"
    ).with_columns(
        pct_of(balance, pl.lit(a.withdrawal_rate_bp)).alias("income_4pct_cents"),
        annuity_payment(balance, a.annual_return_bp, a.annuity_years).alias("annuity_cents"),
        _scaled(balance, deflator).alias("balance_today_dollars_cents"),
    ).with_columns(
        _scaled(pl.col("income_4pct_cents"), deflator).alias("income_4pct_today_cents"),
        _scaled(pl.col("annuity_cents"), deflator).alias("annuity_today_cents"),
    ).select(SUMMARY_COLUMNS)
