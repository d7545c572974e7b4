-- The wanted (deceased) people with money in the plan who have not been listed for a beneficiary review yet:
-- their balance now (balance_cents, all sources) and termination. Grain: one person.
-- Params: $plan_id; frame wanted_ids (employee_id, termination_date).
-- reads: balance_by_year, notices
SELECT w.employee_id, w.termination_date, cents(sum(b.net_change)) AS balance_cents
FROM wanted_ids w
JOIN balance_by_year b ON b.employee_id = w.employee_id AND b.plan_id = $plan_id
WHERE NOT EXISTS (SELECT 1 FROM notices n WHERE n.plan_id = $plan_id AND n.employee_id = w.employee_id
                  AND n.code = 'rmd_beneficiary_review')
GROUP BY ALL
HAVING sum(b.net_change) > 0
ORDER BY w.employee_id
