-- report: pay dates a plan's payroll calendar expects, up to as_of, with no payroll posted near them
-- parameters: as_of (default: the last completed run's as-of date)
-- columns: plan_id, expected_pay_date, pay_frequency, status, days_since
-- The calendar is the plan's observed frequency (view pay_schedules, expected_pay_dates); a payroll posted within 3
-- days of an expected date counts for it. status: missing (later payrolls arrived: a gap), or not_received (none
-- since: late, or not run yet). A late payroll is how late deposits start.
SELECT e.plan_id, e.expected_pay_date, e.frequency AS pay_frequency,
       CASE WHEN e.expected_pay_date < s.last_pay_date THEN 'missing' ELSE 'not_received' END AS status,
       CAST(report_as_of() - e.expected_pay_date AS INTEGER) AS days_since
FROM expected_pay_dates e
JOIN pay_schedules s USING (plan_id)
WHERE NOT e.is_received AND e.expected_pay_date BETWEEN s.first_pay_date AND report_as_of()
ORDER BY e.plan_id, e.expected_pay_date
