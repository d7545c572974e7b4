-- No ledger entry without the posted batch that made it.
SELECT l.entry_id, l.batch_id
FROM ledger l
SEMI JOIN check_years USING (plan_id, plan_year)
ANTI JOIN (SELECT batch_id FROM batches WHERE status = 'posted') b USING (batch_id)
