-- payroll_entry_type(source): the entry type of a payroll line's amount in a source. A loan repayment is money
-- returning to the account, not a contribution (no limit counts it, and a year's contributions exclude it); an
-- excess deferral is withheld money the limits turned away, held for refund: not a contribution either.
CREATE OR REPLACE MACRO payroll_entry_type(source) AS
    CASE source WHEN 'loan_repayment' THEN 'loan_repayment' WHEN 'excess_deferral' THEN 'excess_deferral'
                ELSE 'contribution' END
