-- Adds the net change of a batch's entries per plan, person, source and calendar year (incoming, one row per
-- key) to balance_by_year, in the batch's transaction.
-- reads: none
-- writes: balance_by_year
MERGE INTO balance_by_year b USING incoming i
    ON b.plan_id = i.plan_id AND b.year = i.year AND b.employee_id = i.employee_id AND b.source = i.source
WHEN MATCHED THEN UPDATE SET
    net_change = b.net_change + i.net_change,
    entries = b.entries + i.entries,
    first_effective_date = least(b.first_effective_date, i.first_effective_date)
WHEN NOT MATCHED THEN INSERT BY NAME
