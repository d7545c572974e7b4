-- Plan years with someone whose true-up has not been computed yet. Params: $plan_id.
-- reads: ytd_totals
SELECT DISTINCT plan_year FROM ytd_totals WHERE plan_id = $plan_id AND true_up_posted_on IS NULL ORDER BY 1
