-- A plan year's forfeiture account for one source: forfeited (view forfeiture_account), used so far and what is
-- left, and the first date money was forfeited. No row when nothing was forfeited. Grain: one (plan, plan year,
-- source). Params: $plan_id, $plan_year, $source.
-- reads: ledger_entries, forfeiture_uses
SELECT f.forfeited_amount AS forfeited, f.first_forfeited_on,
       CAST(coalesce((SELECT sum(u.amount) FROM forfeiture_uses u WHERE u.plan_id = f.plan_id
                      AND u.plan_year = f.plan_year AND u.source = f.source), 0) AS DECIMAL(18, 2)) AS used
FROM forfeiture_account f
WHERE f.plan_id = $plan_id AND f.plan_year = $plan_year AND f.source = $source
