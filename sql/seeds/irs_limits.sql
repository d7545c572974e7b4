-- Loads irs_limits.csv (beside this file; $path) as the irs_limits table at every read-write open, so SQL users
-- see the figures the rules used. One row per calendar year; `source` cites the IRS notice.
CREATE OR REPLACE TABLE irs_limits AS
SELECT year, elective_deferral_402g, catchup_50plus, catchup_60_63, annual_additions_415c, compensation_401a17,
       hce_threshold, key_employee_threshold, roth_catchup_prior_year_wage_threshold, source
FROM read_csv($path, header = true, columns = {
    'year': 'INTEGER', 'elective_deferral_402g': 'DECIMAL(18,2)', 'catchup_50plus': 'DECIMAL(18,2)',
    'catchup_60_63': 'DECIMAL(18,2)', 'annual_additions_415c': 'DECIMAL(18,2)',
    'compensation_401a17': 'DECIMAL(18,2)', 'hce_threshold': 'DECIMAL(18,2)',
    'key_employee_threshold': 'DECIMAL(18,2)',
    'roth_catchup_prior_year_wage_threshold': 'DECIMAL(18,2)', 'source': 'VARCHAR'})
ORDER BY year
