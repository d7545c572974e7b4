-- Catch-up deferrals never exceed the catch-up room the rules gave that person and year.
WITH catch_up AS (
    SELECT * FROM contributions_by_person_year
    WHERE catch_up_deferral <> 0
),
room AS (
    SELECT plan_id, employee_id, plan_year, max(catch_up_limit) AS catch_up_limit
    FROM payroll_postings
    SEMI JOIN check_years USING (plan_id, plan_year)
    GROUP BY ALL
)
SELECT c.plan_id, c.employee_id, c.plan_year, c.catch_up_deferral, r.catch_up_limit
FROM catch_up c
LEFT JOIN room r USING (plan_id, employee_id, plan_year)
WHERE r.catch_up_limit IS NULL OR c.catch_up_deferral > r.catch_up_limit
