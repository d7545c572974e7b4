-- The participants an RMD rule can concern in the as-of year: born early enough to have reached the youngest
-- applicable age (70) by its 31 December, or deceased (listed for a beneficiary review). The termination only
-- while in force: a later (re)hire date ended it, so a rehired person is still working. Grain: one person.
-- Params: $plan_id, $year (the as-of year).
-- reads: participants
SELECT employee_id, date_of_birth,
       CASE WHEN termination_date >= hire_date THEN termination_date END AS termination_date,
       CASE WHEN termination_date >= hire_date THEN termination_reason END AS termination_reason,
       cents(ownership_pct) AS ownership_bp, spouse_date_of_birth, spouse_is_sole_beneficiary
FROM participants
WHERE plan_id = $plan_id
  AND (date_of_birth <= make_date($year - 70, 12, 31)
       OR (termination_reason = 'death' AND termination_date >= hire_date))
ORDER BY employee_id
