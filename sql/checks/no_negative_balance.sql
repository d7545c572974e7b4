-- No person's balance in any source is below zero: statements are never negative, losses are measured against
-- them, and a forfeiture takes only the non-vested part of a balance.
SELECT plan_id, employee_id, source, sum(amount) AS balance
FROM ledger
GROUP BY ALL
HAVING sum(amount) < 0
