-- Each person's balance per plan and source at the end of every calendar year they have entries in (entries
-- effective on or before 31 December), from the balance_by_year state table: a running sum over a person's
-- few rows, never over the ledger. Grain: one person, source and year.
CREATE OR REPLACE VIEW year_end_balances AS
SELECT plan_id, employee_id, source, year,
       CAST(sum(net_change) OVER (PARTITION BY plan_id, employee_id, source ORDER BY year) AS DECIMAL(18, 2))
           AS balance
FROM balance_by_year
