-- The pay dates the plan's calendar (view expected_pay_dates, as of the session's as_of, which the caller sets to
-- $as_of) still expects in $as_of's year after its latest regular pay date, numbered from 1, with the plan's
-- observed frequency. Grain: one expected date.
-- Params: $plan_id, $as_of.
-- reads: pay_dates
SELECT e.expected_pay_date AS pay_date, e.frequency, s.periods_per_year,
       CAST(row_number() OVER (ORDER BY e.expected_pay_date) AS INTEGER) AS period
FROM expected_pay_dates e
JOIN pay_schedules s USING (plan_id)
WHERE e.plan_id = $plan_id AND year(e.expected_pay_date) = year($as_of)
  -- within 3 days after it: the date that payroll stood for (a month-end paid on the Friday before)
  AND e.expected_pay_date > s.last_regular_pay_date + 3
ORDER BY e.expected_pay_date
