-- Remove the rows of the plans in frame wanted_ids (plan_id) before their rules are loaded again. Params: none.
-- reads: none
-- writes: plans
DELETE FROM plans WHERE plan_id IN (SELECT plan_id FROM wanted_ids)
