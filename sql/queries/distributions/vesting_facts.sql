-- What vesting needs for each wanted person: the participant facts (the termination only while in force: a later
-- (re)hire date ended it), and whether a processed termination is in force for them (then the non-vested part
-- of their employer money was forfeited: what is left is vested).
-- Grain: one person. Params: $plan_id; frame wanted_ids (employee_id).
-- reads: participants, terminations
SELECT p.employee_id, p.date_of_birth, p.hire_date,
       CASE WHEN p.termination_date >= p.hire_date THEN p.termination_date END AS termination_date,
       CASE WHEN p.termination_date >= p.hire_date THEN p.termination_reason END AS termination_reason,
       p.prior_vesting_years,
       EXISTS (SELECT 1 FROM terminations t
               WHERE t.plan_id = p.plan_id AND t.employee_id = p.employee_id
                 AND t.termination_date = p.termination_date AND p.termination_date >= p.hire_date)
           AS has_processed_termination
FROM participants p SEMI JOIN wanted_ids w USING (employee_id)
WHERE p.plan_id = $plan_id
