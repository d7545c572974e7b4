-- The RMD each person of the plan must still take (due or overdue, any distribution year the notices hold):
-- never eligible for rollover. Grain: one person. Params: $plan_id.
-- reads: rmd_notices
SELECT employee_id, cents(sum(remaining)) AS rmd_due_cents
FROM rmd_notices
WHERE plan_id = $plan_id AND status IN ('due', 'overdue')
GROUP BY ALL
