-- The plan's distributions paid from $since to $as_of (what counts toward RMDs is decided in
-- pipelines/rules/rmd.py). Grain: one distribution. Params: $plan_id, $since, $as_of.
-- reads: distributions
SELECT employee_id, paid_date, cents(gross_amount) AS gross_cents, distribution_type
FROM distributions
WHERE plan_id = $plan_id AND paid_date BETWEEN $since AND $as_of
