-- The plan's current notices for the distribution years a run recomputes, removed before its rows replace them
-- (their earlier figures are in rmd_notice_history when they changed). Params: $plan_id, $first_year, $last_year.
-- reads: rmd_notices
-- writes: rmd_notices
DELETE FROM rmd_notices WHERE plan_id = $plan_id AND distribution_year BETWEEN $first_year AND $last_year
