-- The forfeitures a run's batches posted to the ledger, per plan and employer source: how many people and the
-- amount forfeited in cents, as a positive number (the ledger holds it as negative `forfeiture` entries; it
-- includes employer money that reached a processed leaver since, forfeited tonight). Grain: one plan and source.
-- Params: $run_id.
-- reads: batches, ledger_entries
SELECT e.plan_id, e.source, count(DISTINCT e.employee_id)::INTEGER AS people,
       -cents(sum(e.amount)) AS forfeited_cents
FROM ledger_entries e
SEMI JOIN (SELECT batch_id FROM batches WHERE run_id = $run_id) b USING (batch_id)
WHERE e.entry_type = 'forfeiture'
GROUP BY ALL
ORDER BY ALL
