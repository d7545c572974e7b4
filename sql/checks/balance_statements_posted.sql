-- Every imported statement's entry is in the ledger: amount = statement - ledger balance before it, and a
-- non-zero amount has its ledger entry of the same type, date and source from the same batch.
SELECT s.plan_id, s.employee_id, s.source, s.as_of_date, s.amount, l.amount AS ledger_amount
FROM balance_statements s
LEFT JOIN ledger l
       ON l.plan_id = s.plan_id AND l.employee_id = s.employee_id AND l.source = s.source
      AND l.effective_date = s.as_of_date AND l.entry_type = s.entry_type AND l.batch_id = s.batch_id
WHERE s.amount <> s.statement_balance - s.ledger_balance
   OR (s.amount <> 0 AND l.amount IS DISTINCT FROM s.amount)
   OR (s.amount = 0 AND l.amount IS NOT NULL)
