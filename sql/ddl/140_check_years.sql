-- The (plan, plan year) pairs the per-year invariant checks in sql/checks/ look at: every pair in the ledger and
-- payroll lines. A nightly run replaces it, for its own checks only, with a temporary table of the pairs its
-- batches posted to (earlier runs proved the rest, and the ledger is append only), so a night's checks read
-- the years it touched instead of all history; `planadmin check` and any SQL user see every pair.
CREATE OR REPLACE VIEW check_years AS
SELECT plan_id, plan_year FROM ledger
UNION
SELECT plan_id, plan_year FROM payroll_lines
