-- The wanted (employee_id, paid_date, source) keys that already have a distribution posted in the plan (from an
-- earlier file): such a row is rejected, never posted twice. Grain: one key. Params: $plan_id;
-- frame wanted_keys (employee_id, paid_date, source).
-- reads: distributions
SELECT d.employee_id, d.paid_date, d.source, d.batch_id
FROM distributions d SEMI JOIN wanted_keys k USING (employee_id, paid_date, source)
WHERE d.plan_id = $plan_id
