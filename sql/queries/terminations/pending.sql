-- People with a termination in force dated on or before $as_of, no processed termination (a later change to a
-- processed one is reported instead: see changes.sql) and some payroll or money on record here (until then
-- there is nothing to vest, and statements may still come), with the date of their earliest ledger entry
-- (first_entry_date, null when there is none) and whether any payroll of theirs was posted (has_payroll).
-- Grain: one person. Params: $plan_id, $as_of.
-- reads: participants, terminations, balance_by_year, ytd_totals
WITH pending AS (
    SELECT p.employee_id, p.date_of_birth, p.hire_date, p.first_hire_date, p.termination_date,
           p.termination_reason, p.prior_vesting_years
    FROM participants p
    SEMI JOIN terminations_in_force f USING (plan_id, employee_id)
    ANTI JOIN (SELECT employee_id FROM terminations WHERE plan_id = $plan_id) d USING (employee_id)
    WHERE p.plan_id = $plan_id AND p.termination_date <= $as_of
),
first_entries AS (  -- from the balance state: the ledger's history is not read
    SELECT b.employee_id, min(b.first_effective_date) AS first_entry_date
    FROM balance_by_year b SEMI JOIN pending USING (employee_id)
    WHERE b.plan_id = $plan_id
    GROUP BY ALL
),
on_payroll AS (
    SELECT DISTINCT employee_id FROM ytd_totals SEMI JOIN pending USING (employee_id) WHERE plan_id = $plan_id
)
SELECT p.*, f.first_entry_date, o.employee_id IS NOT NULL AS has_payroll
FROM pending p
LEFT JOIN first_entries f USING (employee_id)
LEFT JOIN on_payroll o USING (employee_id)
-- someone with neither payroll nor money here waits: their statements may come on a later night
WHERE f.first_entry_date IS NOT NULL OR o.employee_id IS NOT NULL
ORDER BY p.employee_id
