-- How many leavers each plan has per category in the current report. Grain: one plan and category.
-- reads: rollover_eligibility
SELECT plan_id, category, count(*)::INTEGER AS leavers
FROM rollover_eligibility
GROUP BY ALL
ORDER BY ALL
