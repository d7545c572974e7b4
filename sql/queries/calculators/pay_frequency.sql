-- The plan's observed pay frequency and periods a year (view pay_schedules); no row for a plan with fewer than two
-- pay dates. Grain: one plan. Params: $plan_id.
-- reads: pay_dates
SELECT frequency, periods_per_year FROM pay_schedules WHERE plan_id = $plan_id
