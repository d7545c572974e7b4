-- The (plan, year) pairs the per-year invariant checks in sql/checks/ look at: every plan year of the ledger's
-- entries and payroll lines, and every calendar year an entry is effective in (a true-up for 2025 is effective
-- in 2026, and balance_by_year is kept by calendar year). A nightly run replaces it, for its own checks only,
-- with a temporary table of the pairs its batches posted to (earlier runs proved the rest, and the ledger is
-- append only), so a night's checks read the years it touched instead of all history; `planadmin check` and
-- any SQL user see every pair.
CREATE OR REPLACE VIEW check_years AS
SELECT DISTINCT plan_id, plan_year FROM payroll_postings
UNION
SELECT DISTINCT plan_id, plan_year FROM ledger_entries
UNION
SELECT DISTINCT plan_id, year(effective_date) FROM ledger_entries
