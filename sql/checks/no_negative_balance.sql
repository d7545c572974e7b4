-- No person's balance in any source is below zero (until distributions exist, every balance only grows).
SELECT plan_id, employee_id, source, sum(amount) AS balance
FROM ledger
GROUP BY ALL
HAVING sum(amount) < 0
