-- Appends ledger entries that are not payroll amounts (incoming), each with its entry_id() from its business key.
-- reads: none
-- writes: ledger_entries
INSERT INTO ledger_entries (entry_id, plan_id, employee_id, effective_date, plan_year, entry_type, source, amount,
                            batch_id, line_number)
SELECT entry_id(entry_type, plan_id, employee_id, plan_year, effective_date, source, batch_id),
       plan_id, employee_id, effective_date, plan_year, entry_type, source, amount, batch_id, line_number
FROM incoming
