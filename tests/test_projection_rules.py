"""The retirement projection (pipelines/rules/projection.py) and its chart (pipelines/charts.py) on hand-built
people: every expected figure is derived by hand in a comment.

Unless a test says otherwise: as_of 31 December 2025, so the projection years start in 2026; the seed table's
last year is 2026 (402(g) $24,500, catch-up 50+ $8,000, 60-63 $11,250, 415(c) $72,000, 401(a)(17) $360,000);
later years are indexed at the assumed 2.5% inflation.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import polars as pl
import pytest

from pipelines.charts import write_projection_chart
from pipelines.limits import LimitsTableError, load_irs_limits
from pipelines.rules.projection import Assumptions, project_years, projected_limits, summarize
from schemas.plan import PlanConfig, parse_plan_text

D = dt.date.fromisoformat
LIMITS = load_irs_limits()
AS_OF = D("2025-12-31")
NO_EMPLOYER = parse_plan_text('plan_id = "p"\nname = "P"\n', "p.toml")  # no match tiers, no nonelective
DEMO_TIERS = '[match]\ntiers = [ { up_to_pct = 3, rate_pct = 100 }, { up_to_pct = 5, rate_pct = 50 } ]\n'
FLAT = Assumptions(salary_growth_bp=0)  # pay stays S_0 x 1.00 = S_0 every year


def plan(extra: str = "") -> PlanConfig:
    return parse_plan_text(f'plan_id = "p"\nname = "P"\n{extra}', "p.toml")


def person(employee_id: str, born: str, pay_dollars: int, deferral_bp: int, balance_cents: int = 0) -> dict:
    return {"employee_id": employee_id, "date_of_birth": D(born), "balance_cents": balance_cents,
            "annual_compensation_cents": pay_dollars * 100, "pretax_deferral_bp": deferral_bp, "roth_deferral_bp": 0}


def people_frame(*rows: dict) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema_overrides={"balance_cents": pl.Int64, "annual_compensation_cents": pl.Int64,
                                                      "pretax_deferral_bp": pl.Int64, "roth_deferral_bp": pl.Int64})


def project(*rows: dict, plan_config: PlanConfig = NO_EMPLOYER, assumptions: Assumptions = Assumptions(),
            as_of: dt.date = AS_OF) -> pl.DataFrame:
    return project_years(people_frame(*rows), plan_config, LIMITS, assumptions, as_of)


def by_year(years: pl.DataFrame, employee_id: str, column: str) -> dict[int, int]:
    rows = years.filter(pl.col("employee_id") == employee_id).select("year", column).rows()
    return dict(rows)


# --- projected_limits ------------------------------------------------------------------------------------------


def test_a_seed_year_is_returned_as_is():
    row = projected_limits(LIMITS, [2025], 250).row(0, named=True)
    # sql/seeds/irs_limits.csv, 2025: 23,500 / 7,500 / 11,250 / 70,000 / 350,000.
    assert row == {"year": 2025, "elective_deferral_402g_cents": 23_500_00, "catchup_50plus_cents": 7_500_00,
                   "catchup_60_63_cents": 11_250_00, "annual_additions_415c_cents": 70_000_00,
                   "compensation_401a17_cents": 350_000_00}


def test_a_later_year_is_indexed_from_the_last_seed_year_and_rounded_down_to_the_statutes_step():
    out = {r["year"]: r for r in projected_limits(LIMITS, [2028, 2027], 250).iter_rows(named=True)}
    assert list(out) == [2027, 2028]  # sorted
    # 2027 = 2026 x 1.025, the increase rounded down to the step:
    # 402(g) 24,500 x 1.025 = 25,112.50 -> +612.50 -> +500 = 25,000 ($500 step);
    # 50+ 8,000 x 1.025 = 8,200 -> +200 -> +0 = 8,000; 60-63 11,250 x 1.025 = 11,531.25 -> +281.25 -> +0 = 11,250;
    # 415(c) 72,000 x 1.025 = 73,800 -> +1,800 -> +1,000 = 73,000 ($1,000 step);
    # 401(a)(17) 360,000 x 1.025 = 369,000 -> +9,000 -> +5,000 = 365,000 ($5,000 step).
    assert [out[2027][c] for c in ("elective_deferral_402g_cents", "catchup_50plus_cents", "catchup_60_63_cents",
                                   "annual_additions_415c_cents", "compensation_401a17_cents")] == [
        25_000_00, 8_000_00, 11_250_00, 73_000_00, 365_000_00]
    # 2028 compounds from the 2026 seed, 1.025^2 = 1.050625, not from 2027's rounded figure:
    # 415(c) 72,000 x 1.050625 = 75,645 -> 75,000 (from 73,000 x 1.025 = 74,825 it would be 74,000);
    # 402(g) 24,500 x 1.050625 = 25,740.3125 -> 25,500; 60-63 11,250 x 1.050625 = 11,819.53 -> +569.53 -> 11,750.
    assert out[2028]["annual_additions_415c_cents"] == 75_000_00
    assert out[2028]["elective_deferral_402g_cents"] == 25_500_00
    assert out[2028]["catchup_60_63_cents"] == 11_750_00


def test_an_indexed_figure_exactly_on_the_step_is_kept_and_zero_inflation_changes_nothing():
    # 6.25%: catch-up 8,000 x 1.0625 = 8,500 exactly, a $500 multiple: kept, not rounded down to 8,000.
    assert projected_limits(LIMITS, [2027], 625)["catchup_50plus_cents"].item() == 8_500_00
    # 0%: every 2030 figure is the 2026 one, including 11,250, which is not a $500 multiple.
    zero = projected_limits(LIMITS, [2030], 0).drop("year").row(0)
    assert zero == projected_limits(LIMITS, [2026], 0).drop("year").row(0)


def test_a_shorter_table_indexes_from_its_own_last_year_and_a_missing_60_63_limit_stays_missing():
    up_to_2024 = LIMITS.filter(pl.col("plan_year") <= 2024)
    row = projected_limits(up_to_2024, [2026], 250).row(0, named=True)
    # 402(g) 23,000 x 1.025^2 = 23,000 x 1.050625 = 24,164.375 -> +1,164.375 -> +1,000 = 24,000 (not the real 24,500).
    assert row["elective_deferral_402g_cents"] == 24_000_00
    assert row["catchup_60_63_cents"] is None  # 2024 has no 60-63 limit to index


def test_a_year_before_the_table_is_an_error():
    with pytest.raises(LimitsTableError, match="no IRS limits for 2017: the table starts in 2018"):
        projected_limits(LIMITS, [2017, 2026], 250)
    assert issubclass(LimitsTableError, ValueError)


# --- Assumptions ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("field, value", [
    ("retirement_age", 49), ("retirement_age", 81), ("annual_return_bp", -1), ("salary_growth_bp", 2001),
    ("inflation_bp", 2001), ("withdrawal_rate_bp", -5), ("annuity_years", 0), ("annuity_years", 51),
    ("annual_return_bp", 6.0), ("retirement_age", True),
])
def test_assumptions_out_of_range_name_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        Assumptions(**{field: value})


def test_assumptions_accept_their_bounds():
    a = Assumptions(retirement_age=80, annual_return_bp=0, salary_growth_bp=2000, annuity_years=50)
    assert (a.retirement_age, a.annual_return_bp, a.annuity_years) == (80, 0, 50)


# --- project_years: the closed form ----------------------------------------------------------------------------


def test_a_level_saver_matches_the_growing_annuity_closed_form():
    # Born 1968: 67 in 2035, so 10 years, 2026-2035 (ages 58-67, far below every limit: pay under $70,000).
    # Balance 0, $50,000, 6%, no employer money, pay +3% a year, return 6%, contributions at year end:
    # FV = P x ((1+r)^n - (1+g)^n) / (r - g), P = 0.06 x 50,000 x 1.03 = 3,090.00 (year 1's pay is grown once),
    # (1.06^10 - 1.03^10) / 0.03 = (1.790847697 - 1.343916379) / 0.03 = 14.8977106, FV = $46,033.93 (to the cent).
    years = project(person("A", "1968-04-01", 50_000, 600),
                    assumptions=Assumptions(salary_growth_bp=300, annual_return_bp=600))
    assert years["year"].to_list() == list(range(2026, 2036))
    assert years["age"].to_list() == list(range(58, 68))
    r, g = Fraction(6, 100), Fraction(3, 100)
    p = Fraction(6, 100) * 50_000 * Fraction(103, 100)
    fv_cents = p * ((1 + r) ** 10 - (1 + g) ** 10) / (r - g) * 100
    assert round(fv_cents) == 4_603_393  # 46,033.9257 dollars
    # Tolerance from the roundings: pay is rounded each year (<= 0.5 cent, grown at 3%: after 10 years at most
    # 0.5 x (1.03^10 - 1)/0.03 = 5.7 cents), so a deferral is off by at most 0.5 + 6% x 5.7 < 1 cent; each year's
    # growth adds at most 0.5 cent; an error made in a year grows at most 1.06^9 < 1.7 by the end:
    # 10 years x 1.5 cents x 1.7 < 26 cents.
    got = years["balance_end_cents"].to_list()[-1]
    assert abs(got - fv_cents) < 26
    # Year 1 exactly: pay 50,000 x 1.03 = 51,500.00; deferral 6% = 3,090.00; balance 0 earns 0.
    first = years.row(0, named=True)
    assert (first["compensation_cents"], first["deferral_cents"], first["growth_cents"], first["balance_end_cents"]) \
        == (5_150_000, 309_000, 0, 309_000)
    # Year 4: pay 54,636.35 x 1.03 = 56,275.4405 -> 56,275.44 (half-up to the cent).
    assert years["compensation_cents"][3] == 5_627_544
    assert not years["limit_reached"].any()


# --- project_years: limits the closed form does not know -------------------------------------------------------


def test_a_high_earner_stops_at_402g_and_gets_the_catch_up_for_their_age_each_year():
    # $300,000 at 20%: pay 2026 = 309,000 (under 401(a)(17)), elected 61,800; 2027 = 318,270, elected 63,654;
    # far above 402(g) + any catch-up every year.
    years = project(person("h63", "1963-07-01", 300_000, 2000), person("h60", "1966-07-01", 300_000, 2000),
                    person("h50", "1976-07-01", 300_000, 2000), person("h49", "1977-07-01", 300_000, 2000))
    deferral = {e: by_year(years, e, "deferral_cents") for e in ("h63", "h60", "h50", "h49")}
    # 2026 (seed): 24,500 + 11,250 at 63 and at 60; + 8,000 at 50; nothing more at 49.
    # 2027 (indexed): 402(g) 25,000 (24,500 x 1.025 = 25,112.50 -> $500 step); 64 is back to the 50+ room,
    # 8,000 (8,200 -> +200 -> +0); at 61 the 60-63 room, 11,250 (11,531.25 -> +281.25 -> +0); 50 at last for h49.
    assert {e: (d[2026], d[2027]) for e, d in deferral.items()} == {
        "h63": (24_500_00 + 11_250_00, 25_000_00 + 8_000_00),
        "h60": (24_500_00 + 11_250_00, 25_000_00 + 11_250_00),
        "h50": (24_500_00 + 8_000_00, 25_000_00 + 8_000_00),
        "h49": (24_500_00, 25_000_00 + 8_000_00),
    }
    assert by_year(years, "h63", "age") == {2026: 63, 2027: 64, 2028: 65, 2029: 66, 2030: 67}
    assert by_year(years, "h63", "catch_up_cents")[2026] == 11_250_00
    # 2028: 402(g) 24,500 x 1.050625 = 25,740.31 -> 25,500; the 60-63 room 11,250 x 1.050625 = 11,819.53 -> 11,750.
    assert by_year(years, "h60", "deferral_cents")[2028] == 25_500_00 + 11_750_00
    assert years["limit_reached"].all()
    # Born 1963: 67 in 2030, so the years stop there; born 1977: 67 in 2044.
    last_year = dict(years.group_by("employee_id").agg(pl.col("year").max()).rows())
    assert (last_year["h63"], last_year["h49"]) == (2030, 2044)


def test_the_plans_catch_up_switches():
    h63 = person("h63", "1963-07-01", 300_000, 2000)
    no_60_63 = project(h63, plan_config=plan("[catch_up]\nage_60_63 = false\n"))
    none = project(h63, plan_config=plan("[catch_up]\nenabled = false\n"))
    # 2026 at 63: without the 60-63 option the 50+ room, 24,500 + 8,000; with catch-up off, 402(g) alone.
    assert by_year(no_60_63, "h63", "deferral_cents")[2026] == 24_500_00 + 8_000_00
    assert by_year(none, "h63", "deferral_cents")[2026] == 24_500_00


def test_the_match_is_employer_match_on_the_annual_figures_and_nonelective_is_on_counted_pay():
    p = plan(DEMO_TIERS + "[nonelective]\npct = 3\n")
    years = project(person("six", "1990-01-01", 100_000, 600), person("four", "1990-01-01", 100_000, 400),
                    plan_config=p, assumptions=FLAT)
    # Pay 100,000 every year (no growth). 6%: 100% of the first 3% = 3,000 + 50% of the next 2% = 1,000 -> 4,000.
    # 4%: 3,000 + 50% of 1% = 500 -> 3,500. Nonelective 3% of 100,000 = 3,000 for both.
    assert by_year(years, "six", "match_cents")[2026] == 4_000_00
    assert by_year(years, "four", "match_cents")[2026] == 3_500_00
    assert by_year(years, "six", "nonelective_cents")[2040] == 3_000_00
    assert by_year(years, "six", "employer_cents")[2026] == 7_000_00


def test_401a17_caps_the_counted_pay():
    p = plan(DEMO_TIERS + "[nonelective]\npct = 3\n")
    years = project(person("big", "1990-01-01", 500_000, 1000), plan_config=p, assumptions=FLAT)
    row = years.row(0, named=True)  # 2026
    # Counted pay min(500,000, 360,000) = 360,000. Elected 10% of it, 36,000, over 402(g): 24,500, no catch-up at 36.
    # Match: 100% of 3% x 360,000 = 10,800 + 50% of 2% x 360,000 = 3,600 -> 14,400 (on 500,000 it would be 20,000).
    # Nonelective 3% x 360,000 = 10,800 (not 15,000).
    assert (row["compensation_cents"], row["counted_compensation_cents"]) == (500_000_00, 360_000_00)
    assert (row["elected_cents"], row["deferral_cents"], row["limit_reached"]) == (36_000_00, 24_500_00, True)
    assert (row["match_cents"], row["nonelective_cents"]) == (14_400_00, 10_800_00)


def test_415c_cuts_the_match_first_then_the_nonelective_and_leaves_catch_up_out():
    p = plan(DEMO_TIERS + "[nonelective]\npct = 60\n")
    years = project(person("big", "1975-01-01", 200_000, 2000), person("small", "1990-01-01", 20_000, 5000),
                    plan_config=p, assumptions=FLAT)
    big = years.filter(pl.col("employee_id") == "big").row(0, named=True)  # 2026, age 51
    # big: elected 20% x 200,000 = 40,000 -> 402(g) 24,500 + catch-up 8,000. Match (catch-up matched too) is
    # capped by the tiers: 6,000 + 2,000 = 8,000. Nonelective 60% = 120,000. Additions (catch-up excluded)
    # 24,500 + 8,000 + 120,000 = 152,500 over 415(c) 72,000 by 80,500: the match goes (8,000), then 72,500 of
    # the nonelective: 47,500 left. The deferrals stay: 24,500 + 47,500 = 72,000, plus the 8,000 catch-up.
    assert (big["regular_deferral_cents"], big["catch_up_cents"]) == (24_500_00, 8_000_00)
    assert (big["match_cents"], big["nonelective_cents"], big["employer_cents"]) == (0, 47_500_00, 47_500_00)
    small = years.filter(pl.col("employee_id") == "small").row(0, named=True)
    # small: pay 20,000, elected 50% = 10,000; match 600 + 50% x 400 = 800; nonelective 12,000. Additions 22,800
    # over 100% of pay (20,000 < 72,000) by 2,800: the match (800), then 2,000 of the nonelective: 10,000 left.
    assert (small["deferral_cents"], small["match_cents"], small["nonelective_cents"]) == (10_000_00, 0, 10_000_00)
    assert not small["limit_reached"]  # everything elected was deferred


# --- who gets year rows ----------------------------------------------------------------------------------------


def test_only_the_years_after_as_of_up_to_the_retirement_year():
    years = project(person("past", "1950-01-01", 50_000, 600), person("this_year", "1958-06-01", 50_000, 600),
                    person("next_year", "1959-12-31", 50_000, 600))
    # 67 in 2017 and in 2025 (as_of's year): no years. 67 in 2026: that one year.
    assert years.select("employee_id", "year", "age").rows() == [("next_year", 2026, 67)]
    assert project(person("past", "1950-01-01", 50_000, 600)).height == 0


# --- summarize -------------------------------------------------------------------------------------------------


def test_summary_of_someone_past_retirement_age_is_the_current_balance():
    a = Assumptions(annual_return_bp=600, withdrawal_rate_bp=400, annuity_years=25, inflation_bp=250)
    people = people_frame(person("past", "1950-01-01", 0, 0, balance_cents=1_000_000_00))
    s = summarize(people, project_years(people, NO_EMPLOYER, LIMITS, a, AS_OF), a, AS_OF).row(0, named=True)
    # Born 1950: 67 in 2017, already past: 0 years, nothing added, today's dollars = nominal.
    assert (s["retirement_year"], s["years_to_retirement"]) == (2017, 0)
    assert (s["contributions_cents"], s["growth_cents"]) == (0, 0)
    assert s["balance_at_retirement_cents"] == s["balance_today_dollars_cents"] == 1_000_000_00
    # 4% of 1,000,000 = 40,000 a year.
    assert s["income_4pct_cents"] == s["income_4pct_today_cents"] == 40_000_00
    # Annuity at r = 6%, N = 25: 1,000,000 x 0.06 / (1 - 1.06^-25); 1.06^25 = 4.2918707, 1/4.2918707 = 0.2329986,
    # 0.06 / 0.7670014 = 0.0782267182 -> 78,226.7182 -> 78,226.72.
    assert s["annuity_cents"] == s["annuity_today_cents"] == 78_226_72


def test_summary_in_todays_dollars_and_the_annuity_at_zero_return():
    a = Assumptions(annual_return_bp=0, inflation_bp=250, withdrawal_rate_bp=400, annuity_years=30)
    people = people_frame(person("saver", "1968-01-01", 0, 0, balance_cents=1_000_000_00))
    years = project_years(people, NO_EMPLOYER, LIMITS, a, AS_OF)
    s = summarize(people, years, a, AS_OF).row(0, named=True)
    # Born 1968: 67 in 2035, 10 years; no pay and a 0% return keep the balance at 1,000,000.
    assert (s["retirement_year"], s["years_to_retirement"]) == (2035, 10)
    assert s["balance_at_retirement_cents"] == 1_000_000_00
    # Today's dollars: / 1.025^10 = / 1.2800845442: 1,000,000 -> 781,198.4017 -> 781,198.40.
    assert s["balance_today_dollars_cents"] == 781_198_40
    # 4%: 40,000 -> / 1.2800845442 = 31,247.9361 -> 31,247.94.
    assert (s["income_4pct_cents"], s["income_4pct_today_cents"]) == (40_000_00, 31_247_94)
    # r = 0: B / N = 1,000,000 / 30 = 33,333.333 -> 33,333.33;
    # today 33,333.33 / 1.2800845442 = 26,039.9441 -> 26,039.94.
    assert (s["annuity_cents"], s["annuity_today_cents"]) == (33_333_33, 26_039_94)


def test_summary_adds_up_the_years():
    a = Assumptions(salary_growth_bp=300, annual_return_bp=600)
    people = people_frame(person("A", "1968-04-01", 50_000, 600, balance_cents=10_000_00))
    years = project_years(people, NO_EMPLOYER, LIMITS, a, AS_OF)
    s = summarize(people, years, a, AS_OF).row(0, named=True)
    assert s["contributions_cents"] == years["deferral_cents"].sum()
    assert s["growth_cents"] == years["growth_cents"].sum()
    # Balance now + everything added = the last year's end balance.
    assert s["balance_at_retirement_cents"] == 10_000_00 + s["contributions_cents"] + s["growth_cents"] \
        == years["balance_end_cents"][-1]
    # Years from other assumptions do not follow from these people: refused, not summarized.
    with pytest.raises(ValueError, match="years do not follow"):
        summarize(people, years, Assumptions(retirement_age=66), AS_OF)


# --- the chart -------------------------------------------------------------------------------------------------


def test_the_chart_writes_svg_and_png_and_refuses_other_formats(tmp_path):
    years = project(person("A", "1968-04-01", 50_000, 600, balance_cents=10_000_00))
    svg = write_projection_chart(years, 10_000_00, "Projection for A", tmp_path / "a.svg")
    text = svg.read_text(encoding="utf-8")
    assert text.startswith("<?xml") and "Projection for A" in text
    png = write_projection_chart(years, 10_000_00, "Projection for A", tmp_path / "a.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match=r"\.png or \.svg"):
        write_projection_chart(years, 10_000_00, "t", tmp_path / "a.jpg")
    with pytest.raises(ValueError, match="no projection years"):
        write_projection_chart(years.head(0), 0, "t", tmp_path / "b.png")
    # The years must start from the balance given: the bars' total is each year's balance_end.
    with pytest.raises(ValueError, match="do not start from"):
        write_projection_chart(years, 0, "t", tmp_path / "c.png")
