-- Payroll hours per person and calendar year (hours_worked_hundredths) from ytd_totals. Grain: one person-year.
-- Params: $plan_id; frame wanted_ids (employee_id).
-- reads: ytd_totals
SELECT t.employee_id, t.plan_year::INTEGER AS plan_year, cents(t.hours_worked) AS hours_worked_hundredths
FROM ytd_totals t SEMI JOIN wanted_ids w USING (employee_id)
WHERE t.plan_id = $plan_id
