-- The plan's forfeiture account: non-vested employer money forfeited by leavers, per plan, plan year and source.
-- Plans must use it (to pay expenses or reduce employer contributions) or allocate it, normally by the end of
-- the plan year after the forfeiture (Treas. Reg. 1.401-7, proposed 2023); forfeited_amount is positive here.
CREATE OR REPLACE VIEW forfeiture_account AS
SELECT plan_id,
       plan_year,
       source,
       CAST(-sum(amount) AS DECIMAL(18, 2)) AS forfeited_amount,
       count(DISTINCT employee_id) AS participants,
       min(effective_date) AS first_forfeited_on,
       max(effective_date) AS last_forfeited_on
FROM ledger
WHERE entry_type = 'forfeiture'
GROUP BY plan_id, plan_year, source
