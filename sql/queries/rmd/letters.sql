-- The notices a letter run prints: the plan's current notices for $year that are due or overdue, with the
-- participant's name and mailing address (personal data: for the letter only). Grain: one person.
-- Params: $plan_id, $year.
-- reads: rmd_notices, participants
SELECT n.*, p.first_name, p.last_name, p.address_line1, p.address_line2, p.city, p.state, p.postal_code
FROM rmd_notices n
JOIN participants p USING (plan_id, employee_id)
WHERE n.plan_id = $plan_id AND n.distribution_year = $year AND n.status IN ('due', 'overdue')
ORDER BY n.employee_id
