-- The contributions per person-year of the years a run's checks look at (check_years, already shadowed by the
-- run's own pairs), as a temporary table shadowing the view of the same name: four checks read it, and the
-- ledger's history is then scanned once, not four times. Params: none.
-- reads: payroll_postings, ledger_entries
-- writes: contributions_by_person_year
CREATE OR REPLACE TEMP TABLE contributions_by_person_year AS SELECT * FROM main.contributions_by_person_year
