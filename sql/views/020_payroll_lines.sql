-- Every accepted payroll row: what the employer sent and what the rules made of it (payroll_postings without
-- its per-source amounts, which the ledger view shows as entries). Grain: one payroll line.
CREATE OR REPLACE VIEW payroll_lines AS
SELECT plan_id, employee_id, pay_date, plan_year, batch_id, line_number, gross_pay, plan_compensation,
       counted_compensation, pretax_deferral_pct, roth_deferral_pct, pretax_deferral_amount, roth_deferral_amount,
       pretax_elected, roth_elected, not_deferred,
       catch_up_limit, prior_year_wages_used, is_roth_catch_up_only, hours_worked, prior_year_fica_wages,
       ownership_pct
FROM payroll_postings
