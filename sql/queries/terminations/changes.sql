-- Processed terminations the participant facts no longer agree with, not reported yet: the date or reason
-- changed (a correction, or a new termination after a rehire), or the termination is no longer in force
-- (current_termination_date null: withdrawn, or a later hire date). Grain: one processed termination.
-- Params: $plan_id.
-- reads: terminations, participants, termination_reports
WITH changed AS (
    SELECT d.employee_id, d.termination_date AS processed_date,
           d.termination_reason AS processed_reason, d.forfeited_amount,
           f.termination_date AS current_termination_date,
           f.termination_reason AS current_termination_reason
    FROM terminations d
    JOIN participants p ON p.plan_id = d.plan_id AND p.employee_id = d.employee_id
    LEFT JOIN terminations_in_force f ON f.plan_id = d.plan_id AND f.employee_id = d.employee_id
    WHERE d.plan_id = $plan_id
      AND (f.termination_date IS DISTINCT FROM d.termination_date
           OR f.termination_reason IS DISTINCT FROM d.termination_reason)
)
SELECT c.*
FROM changed c
WHERE NOT EXISTS (
    SELECT 1 FROM termination_reports r
    WHERE r.plan_id = $plan_id AND r.employee_id = c.employee_id AND r.processed_date = c.processed_date
      AND r.current_termination_date IS NOT DISTINCT FROM c.current_termination_date
      AND r.current_termination_reason IS NOT DISTINCT FROM c.current_termination_reason
)
ORDER BY c.employee_id
