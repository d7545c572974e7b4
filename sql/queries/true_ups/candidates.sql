-- The year's totals (cents) for everyone whose true-up is still to be computed, with the termination date that
-- applies to the year: the latest known one, unless a later rehire ended it before 31 December of the year
-- (see pipelines.rules.true_up.ANNUAL_SCHEMA). Grain: one person. Params: $plan_id, $plan_year.
-- reads: ytd_totals, participants
SELECT t.employee_id, t.plan_year::INTEGER AS plan_year,
       cents(t.plan_compensation) AS plan_compensation_cents,
       cents(t.regular_deferral) AS regular_deferral_cents,
       cents(t.catch_up_deferral) AS catch_up_deferral_cents,
       cents(t.employer_match) AS match_cents,
       cents(t.annual_additions) AS annual_additions_cents,
       cents(t.hours_worked) AS hours_worked_hundredths,
       CASE WHEN p.termination_date >= p.hire_date OR p.hire_date > make_date(t.plan_year, 12, 31)
            THEN p.termination_date END AS termination_date
FROM ytd_totals t
LEFT JOIN participants p USING (plan_id, employee_id)
WHERE t.plan_id = $plan_id AND t.plan_year = $plan_year AND t.true_up_posted_on IS NULL
ORDER BY t.employee_id
