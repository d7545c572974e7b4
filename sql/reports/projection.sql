-- report: each active participant's projected balance at retirement and the yearly income it supports, as of the last run
-- parameters: none (computed by the last run under the default assumptions shown in each row; planadmin project for others)
-- columns: plan_id, employee_id, retirement_year, years_to_retirement, balance_now, balance_at_retirement, balance_at_retirement_today, yearly_income_withdrawal_rate_today, yearly_annuity_today, retirement_age, annual_return_pct, salary_growth_pct, inflation_pct, withdrawal_rate_pct, annuity_years
SELECT plan_id, employee_id, retirement_year, years_to_retirement, balance_now, balance_at_retirement,
       balance_at_retirement_today, yearly_income_withdrawal_rate_today, yearly_annuity_today, retirement_age,
       annual_return_pct, salary_growth_pct, inflation_pct, withdrawal_rate_pct, annuity_years
FROM projections
ORDER BY plan_id, employee_id
