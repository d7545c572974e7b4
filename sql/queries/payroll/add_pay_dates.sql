-- Adds a batch's payroll lines per pay date (incoming: plan_id, pay_date, payroll_lines; one row per key) to
-- pay_dates, in the batch's transaction.
-- reads: none
-- writes: pay_dates
MERGE INTO pay_dates d USING incoming i ON d.plan_id = i.plan_id AND d.pay_date = i.pay_date
WHEN MATCHED THEN UPDATE SET payroll_lines = d.payroll_lines + i.payroll_lines
WHEN NOT MATCHED THEN INSERT BY NAME
