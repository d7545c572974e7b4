-- How many active participants each plan has per match-window status, as the last run left them. Grain: one plan
-- and status.
-- reads: match_windows
SELECT plan_id, status, count(*)::INTEGER AS participants
FROM match_windows
GROUP BY ALL
ORDER BY ALL
