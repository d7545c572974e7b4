-- Regular (pre-tax + Roth) deferrals (contributions: not opening balances or earnings) never exceed the year's 402(g) limit per person and plan.
WITH regular AS (
    SELECT plan_id, employee_id, plan_year, sum(amount) AS regular_deferral
    FROM ledger
    SEMI JOIN check_years USING (plan_id, plan_year)
    WHERE entry_type = 'contribution' AND source IN ('pretax', 'roth')
    GROUP BY ALL
)
SELECT r.plan_id, r.employee_id, r.plan_year, r.regular_deferral, l.elective_deferral_402g
FROM regular r
LEFT JOIN irs_limits l ON l.year = r.plan_year
WHERE l.year IS NULL OR r.regular_deferral > l.elective_deferral_402g
