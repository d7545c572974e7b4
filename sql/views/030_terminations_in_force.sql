-- Each person's termination that is in force: the participant facts' termination, unless a later (re)hire
-- date ended it. Grain: one person with a termination in force.
CREATE OR REPLACE VIEW terminations_in_force AS
SELECT plan_id, employee_id, termination_date, termination_reason, hire_date, first_hire_date
FROM participants
WHERE termination_date >= hire_date
