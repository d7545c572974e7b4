-- Every termination splits the employer balance exactly: forfeited + vested = employer balance, and the
-- forfeiture ledger entries of its batch add up to the forfeited amount.
WITH posted AS (
    SELECT plan_id, employee_id, batch_id, -sum(amount) AS forfeited_in_ledger
    FROM ledger
    WHERE entry_type = 'forfeiture'
    GROUP BY ALL
)
SELECT t.plan_id, t.employee_id, t.termination_date, t.employer_balance, t.vested_employer_balance,
       t.forfeited_amount, p.forfeited_in_ledger
FROM terminations t
LEFT JOIN posted p USING (plan_id, employee_id, batch_id)
WHERE t.forfeited_amount + t.vested_employer_balance <> t.employer_balance
   OR coalesce(p.forfeited_in_ledger, 0) <> t.forfeited_amount
   OR t.forfeited_amount < 0
   OR t.vested_employer_balance < 0
