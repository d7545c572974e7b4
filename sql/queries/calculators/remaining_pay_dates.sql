-- The pay dates the plan's calendar (view expected_pay_dates) still expects in $as_of's year after its latest
-- payroll on or before $as_of, numbered from 1, with the plan's observed frequency. Grain: one expected date.
-- Params: $plan_id, $as_of.
-- reads: payroll_postings
SELECT e.expected_pay_date AS pay_date, e.frequency, s.periods_per_year,
       CAST(row_number() OVER (ORDER BY e.expected_pay_date) AS INTEGER) AS period
FROM expected_pay_dates e
JOIN pay_schedules s USING (plan_id)
WHERE e.plan_id = $plan_id AND year(e.expected_pay_date) = year($as_of)
  AND e.expected_pay_date > (SELECT max(pay_date) FROM payroll_postings WHERE plan_id = $plan_id AND pay_date <= $as_of)
ORDER BY e.expected_pay_date
