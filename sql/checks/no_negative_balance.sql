-- No person's balance in any source is below zero: statements are never negative, losses are measured against
-- them, and a forfeiture takes only the non-vested part of a balance. Read from the balance_by_year state
-- table (one row per person, source and year; balance_by_year_matches_ledger proves it equals the ledger).
SELECT plan_id, employee_id, source, CAST(sum(net_change) AS DECIMAL(18, 2)) AS balance
FROM balance_by_year
GROUP BY ALL
HAVING sum(net_change) < 0
