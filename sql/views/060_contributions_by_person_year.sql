-- Contributions per plan, person and plan year, by what the limits count (sql/seeds/money_sources.csv): regular
-- deferrals (402(g)), catch-up, employer match, true-up, nonelective, and 415(c) annual additions. Loan
-- repayments, rollovers, statements and earnings are not contributions. Grain: one person-year, for the
-- (plan, plan year) pairs in check_years: every pair, except inside a run's own checks, which shadow
-- check_years with the pairs the run posted to (so they aggregate those years, not all history).
CREATE OR REPLACE VIEW contributions_by_person_year AS
SELECT l.plan_id, l.employee_id, l.plan_year,
       CAST(coalesce(sum(l.amount) FILTER (WHERE s.counts_402g), 0) AS DECIMAL(18, 2)) AS regular_deferral,
       CAST(coalesce(sum(l.amount) FILTER (WHERE s.is_catch_up), 0) AS DECIMAL(18, 2)) AS catch_up_deferral,
       CAST(coalesce(sum(l.amount) FILTER (WHERE l.source = 'match'), 0) AS DECIMAL(18, 2)) AS employer_match,
       CAST(coalesce(sum(l.amount) FILTER (WHERE l.source = 'match_true_up'), 0) AS DECIMAL(18, 2)) AS match_true_up,
       CAST(coalesce(sum(l.amount) FILTER (WHERE l.source = 'nonelective'), 0) AS DECIMAL(18, 2)) AS nonelective,
       CAST(coalesce(sum(l.amount) FILTER (WHERE s.counts_415c), 0) AS DECIMAL(18, 2)) AS annual_additions
FROM ledger l
SEMI JOIN check_years USING (plan_id, plan_year)
JOIN money_sources s USING (source)
WHERE l.entry_type = 'contribution'
GROUP BY l.plan_id, l.employee_id, l.plan_year
