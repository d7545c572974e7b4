-- Annual additions (regular deferrals, match, true-up, nonelective; catch-up excluded) never exceed the lesser
-- of the year's 415(c) limit and 100% of the year's plan compensation, per person and plan.
WITH additions AS (
    SELECT * FROM contributions_by_person_year
),
compensation AS (
    SELECT plan_id, employee_id, plan_year, sum(plan_compensation) AS plan_compensation
    FROM payroll_postings
    SEMI JOIN check_years USING (plan_id, plan_year)
    GROUP BY ALL
)
SELECT a.plan_id, a.employee_id, a.plan_year, a.annual_additions, c.plan_compensation, l.annual_additions_415c
FROM additions a
LEFT JOIN compensation c USING (plan_id, employee_id, plan_year)
LEFT JOIN irs_limits l ON l.year = a.plan_year
WHERE l.year IS NULL
   OR a.annual_additions > least(l.annual_additions_415c, coalesce(c.plan_compensation, 0))
