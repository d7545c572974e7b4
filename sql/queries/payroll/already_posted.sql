-- Which (employee_id, pay_date) pairs of wanted_keys the plan's payroll lines already hold. The pay-date range
-- ($low, $high: the keys' own) lets DuckDB's zone maps skip history outside the file's dates. Params: $plan_id,
-- $low, $high; frame wanted_keys (employee_id, pay_date). Lines a group holds are matched by the caller.
-- reads: payroll_postings
-- unflushed: payroll_postings
SELECT DISTINCT p.employee_id, p.pay_date
FROM payroll_postings p
SEMI JOIN wanted_keys k ON p.employee_id = k.employee_id AND p.pay_date = k.pay_date
WHERE p.plan_id = $plan_id AND p.pay_date BETWEEN $low AND $high
