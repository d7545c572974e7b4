-- No ledger entry (and no payroll line) without the posted batch that made it.
WITH made_by AS (
    SELECT DISTINCT batch_id FROM payroll_postings SEMI JOIN check_years USING (plan_id, plan_year)
    UNION
    SELECT DISTINCT batch_id FROM ledger_entries SEMI JOIN check_years USING (plan_id, plan_year)
)
SELECT m.batch_id
FROM made_by m
ANTI JOIN (SELECT batch_id FROM batches WHERE status = 'posted') b USING (batch_id)
