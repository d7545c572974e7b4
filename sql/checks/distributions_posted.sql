-- Every distribution kept in `distributions` has its one negative `distribution` ledger entry (same batch, line,
-- person, source, paid date, minus the gross amount), and every `distribution` entry has its row: the audit
-- table and the ledger tell the same story of money paid out.
WITH entries AS (
    SELECT plan_id, employee_id, batch_id, line_number, source, effective_date AS paid_date, -amount AS gross_amount,
           count(*) OVER (PARTITION BY batch_id, line_number) AS copies
    FROM ledger_entries
    WHERE entry_type = 'distribution'
)
SELECT coalesce(d.plan_id, e.plan_id) AS plan_id, coalesce(d.employee_id, e.employee_id) AS employee_id,
       coalesce(d.batch_id, e.batch_id) AS batch_id, coalesce(d.line_number, e.line_number) AS line_number,
       d.gross_amount AS kept_gross, e.gross_amount AS entry_gross, e.copies
FROM distributions d
FULL OUTER JOIN entries e USING (plan_id, employee_id, batch_id, line_number, source, paid_date)
WHERE d.gross_amount IS DISTINCT FROM e.gross_amount OR e.copies > 1
