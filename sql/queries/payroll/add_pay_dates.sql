-- Adds a batch's payroll lines per pay date (incoming: plan_id, pay_date, payroll_lines) to pay_dates, in the
-- batch's transaction.
-- reads: none
-- writes: pay_dates
INSERT INTO pay_dates BY NAME SELECT * FROM incoming
ON CONFLICT (plan_id, pay_date) DO UPDATE SET payroll_lines = pay_dates.payroll_lines + excluded.payroll_lines
