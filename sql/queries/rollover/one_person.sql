-- One person's current row of the report, for the withdrawal-cost command. Params: $plan_id, $employee_id.
-- reads: rollover_eligibility
SELECT * FROM rollover_eligibility WHERE plan_id = $plan_id AND employee_id = $employee_id
