-- Every distribution already posted for the wanted (employee_id, source) pairs: what the vesting formula counts
-- as paid from a source before (pipelines/rules/distributions.py). Grain: one distribution.
-- Params: $plan_id; frame wanted_keys (employee_id, source).
-- reads: distributions
SELECT d.employee_id, d.source, d.paid_date, cents(d.gross_amount) AS gross_cents
FROM distributions d SEMI JOIN wanted_keys k USING (employee_id, source)
WHERE d.plan_id = $plan_id
