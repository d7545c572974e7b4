-- The RMD each person of the plan must still take for the distribution years a run computes ($first_year and
-- $last_year: the as-of year and the one before; older shortfalls keep their notices but no longer hold the
-- report): never eligible for rollover. Grain: one person. Params: $plan_id, $first_year, $last_year.
-- reads: rmd_notices
SELECT employee_id, cents(sum(remaining)) AS rmd_due_cents
FROM rmd_notices
WHERE plan_id = $plan_id AND status IN ('due', 'overdue') AND distribution_year BETWEEN $first_year AND $last_year
GROUP BY ALL
