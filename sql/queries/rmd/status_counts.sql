-- How many current notices each plan has per status, for the distribution years a run computed. Grain: one plan
-- and status. Params: $first_year, $last_year.
-- reads: rmd_notices
SELECT plan_id, status, count(*)::INTEGER AS notices
FROM rmd_notices
WHERE distribution_year BETWEEN $first_year AND $last_year
GROUP BY ALL
ORDER BY ALL
