-- The (plan, year) pairs a run's batches posted to, as the temporary table check_years that shadows the view of
-- every pair (sql/views/050_check_years.sql) for that run's checks: plan years of its payroll lines and
-- entries, and calendar years its entries are effective in. Params: $run_id.
-- reads: batches, payroll_postings, ledger_entries
-- writes: check_years
CREATE OR REPLACE TEMP TABLE check_years AS
WITH run_batches AS (SELECT batch_id FROM batches WHERE run_id = $run_id)
SELECT DISTINCT plan_id, plan_year FROM payroll_postings SEMI JOIN run_batches USING (batch_id)
UNION
SELECT DISTINCT plan_id, plan_year FROM ledger_entries SEMI JOIN run_batches USING (batch_id)
UNION
SELECT DISTINCT plan_id, year(effective_date) FROM ledger_entries SEMI JOIN run_batches USING (batch_id)
