-- The plan's current rows, removed before a run's rows replace them (changed ones are in the history first).
-- Params: $plan_id.
-- reads: rollover_eligibility
-- writes: rollover_eligibility
DELETE FROM rollover_eligibility WHERE plan_id = $plan_id
