-- The ids of wanted_ids that participants holds for the plan. Params: $plan_id.
-- reads: participants
SELECT p.employee_id FROM participants p SEMI JOIN wanted_ids w USING (employee_id) WHERE p.plan_id = $plan_id
