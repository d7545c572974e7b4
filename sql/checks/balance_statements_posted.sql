-- Every imported statement held when it was posted: the ledger's balance for the person and source on
-- as_of_date, from the entries of batches posted up to and including the statement's own, equals the
-- statement; and its entry (when non-zero) is in the ledger. Entries posted later may change that balance
-- (a late payroll file dated before the statement); they are not violations.
WITH statement_batches AS (
    SELECT s.*, b.started_at AS posted_at
    FROM balance_statements s
    JOIN batches b USING (batch_id)
),
held AS (
    SELECT s.plan_id, s.employee_id, s.source, s.as_of_date, s.statement_balance, s.amount, s.entry_type,
           s.batch_id, coalesce(sum(l.amount), 0) AS ledger_balance_then
    FROM statement_batches s
    LEFT JOIN (ledger l JOIN batches lb ON lb.batch_id = l.batch_id)
           ON l.plan_id = s.plan_id AND l.employee_id = s.employee_id AND l.source = s.source
          AND l.effective_date <= s.as_of_date
          AND (lb.started_at < s.posted_at OR l.batch_id = s.batch_id)
    GROUP BY ALL
)
SELECT h.plan_id, h.employee_id, h.source, h.as_of_date, h.statement_balance, h.ledger_balance_then, h.amount,
       e.amount AS entry_amount
FROM held h
LEFT JOIN ledger e
       ON e.plan_id = h.plan_id AND e.employee_id = h.employee_id AND e.source = h.source
      AND e.effective_date = h.as_of_date AND e.entry_type = h.entry_type AND e.batch_id = h.batch_id
WHERE h.ledger_balance_then <> h.statement_balance
   OR (h.amount <> 0 AND e.amount IS DISTINCT FROM h.amount)
   OR (h.amount = 0 AND e.amount IS NOT NULL)
