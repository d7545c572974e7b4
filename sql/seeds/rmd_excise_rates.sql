-- Loads rmd_excise_rates.csv (beside this file; $path) at every read-write open: the excise tax on an RMD
-- shortfall by distribution year, in percent of the shortfall, and the reduced rate when it is corrected within
-- the correction window (IRC 4974 as amended by SECURE 2.0 s302).
CREATE OR REPLACE TABLE rmd_excise_rates AS
SELECT *
FROM read_csv($path, header = true, columns = {
    'from_year': 'INTEGER', 'through_year': 'INTEGER', 'excise_pct': 'INTEGER', 'corrected_excise_pct': 'INTEGER',
    'source': 'VARCHAR'})
ORDER BY from_year
