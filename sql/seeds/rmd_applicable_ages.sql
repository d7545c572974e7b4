-- Loads rmd_applicable_ages.csv (beside this file; $path) at every read-write open: the RMD applicable age by
-- date of birth (the four cohorts), in months (70.5 = 846: reached on the day six calendar months after the
-- 70th birthday) and as written in the law. `source` cites the Code section and amendment per cohort.
CREATE OR REPLACE TABLE rmd_applicable_ages AS
SELECT *
FROM read_csv($path, header = true, columns = {
    'born_on_or_after': 'DATE', 'born_on_or_before': 'DATE', 'applicable_age_months': 'INTEGER',
    'applicable_age': 'DECIMAL(4,1)', 'source': 'VARCHAR'})
ORDER BY born_on_or_after
