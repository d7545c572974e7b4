-- The plan's distributions paid on or after $since (what counts toward RMDs is decided in
-- pipelines/rules/rmd.py). Grain: one distribution. Params: $plan_id, $since.
-- reads: distributions
SELECT employee_id, paid_date, cents(gross_amount) AS gross_cents, distribution_type
FROM distributions
WHERE plan_id = $plan_id AND paid_date >= $since
