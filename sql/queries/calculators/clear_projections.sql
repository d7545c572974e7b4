-- Remove the plan's rows from projections before a run writes them again. Params: $plan_id.
-- reads: none
-- writes: projections
DELETE FROM projections WHERE plan_id = $plan_id
