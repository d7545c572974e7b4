-- Loads distribution_rules.csv (beside this file; $path) at every read-write open: the figures that decide what a
-- plan may do with a leaver's account and what cashing out costs, by calendar year of the distribution: the
-- involuntary cash-out limit and the automatic-rollover threshold (dollars), the mandatory federal withholding on
-- an eligible rollover distribution paid in cash, the early-distribution penalty and the age before which it
-- applies (in months: 59.5 = 714), the separation-from-service age that lifts it, and the years a Roth account
-- must be open for a qualified distribution. `source` cites the Code and SECURE 2.0 per row.
CREATE OR REPLACE TABLE distribution_rules AS
SELECT *
FROM read_csv($path, header = true, columns = {
    'from_year': 'INTEGER', 'through_year': 'INTEGER', 'involuntary_cash_out_limit': 'DECIMAL(18,2)',
    'automatic_rollover_threshold': 'DECIMAL(18,2)', 'mandatory_withholding_pct': 'INTEGER',
    'early_penalty_pct': 'INTEGER', 'early_penalty_age_months': 'INTEGER', 'separation_from_service_age': 'INTEGER',
    'roth_qualified_years': 'INTEGER', 'source': 'VARCHAR'})
ORDER BY from_year
