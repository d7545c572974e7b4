-- Remove the plan's rows from match_windows before a run writes them again. Params: $plan_id.
-- reads: none
-- writes: match_windows
DELETE FROM match_windows WHERE plan_id = $plan_id
