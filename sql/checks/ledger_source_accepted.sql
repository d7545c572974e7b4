-- Every ledger entry names a money source of the seed table sql/seeds/money_sources.csv; a loan repayment is
-- its own entry type, posted from payroll lines only. (Payroll amounts are columns of payroll_postings, each
-- a seed source: the store refuses to open when one is not.)
SELECT l.entry_id, l.plan_id, l.employee_id, l.entry_type, l.source
FROM ledger_entries l
SEMI JOIN check_years USING (plan_id, plan_year)
WHERE l.source = 'loan_repayment' OR l.source NOT IN (SELECT source FROM money_sources)
