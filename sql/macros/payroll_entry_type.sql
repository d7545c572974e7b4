-- payroll_entry_type(source): the entry type of a payroll line's amount in a source. A loan repayment is money
-- returning to the account, not a contribution (no limit counts it, and a year's contributions exclude it).
CREATE OR REPLACE MACRO payroll_entry_type(source) AS
    CASE WHEN source = 'loan_repayment' THEN 'loan_repayment' ELSE 'contribution' END
