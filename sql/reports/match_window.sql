-- report: each active participant's match window for the rest of their year, as of the last run
-- parameters: none (the windows the last run computed: pipelines/rules/match_window.py)
-- columns: plan_id, employee_id, plan_year, status, current_rate_pct, min_full_match_rate_pct, max_rate_within_limit_pct, window_note, remaining_pay_dates, limit_reached_on, match_at_current_rate, full_match, match_lost, match_uncaptured
SELECT plan_id, employee_id, plan_year, status, current_rate_pct, min_full_match_rate_pct, max_rate_within_limit_pct,
       window_note, remaining_pay_dates, limit_reached_on, match_at_current_rate, full_match, match_lost,
       match_uncaptured
FROM match_windows
ORDER BY plan_id, status, employee_id
