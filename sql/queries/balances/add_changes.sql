-- Adds the net change of a batch's entries per plan, person, source and calendar year (incoming) to
-- balance_by_year, in the batch's transaction.
-- reads: none
-- writes: balance_by_year
INSERT INTO balance_by_year BY NAME SELECT * FROM incoming
ON CONFLICT (plan_id, year, employee_id, source) DO UPDATE SET
    net_change = balance_by_year.net_change + excluded.net_change,
    entries = balance_by_year.entries + excluded.entries,
    first_effective_date = least(balance_by_year.first_effective_date, excluded.first_effective_date)
