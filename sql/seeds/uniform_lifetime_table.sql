-- Loads uniform_lifetime_table.csv (beside this file; $path) as uniform_lifetime_table at every read-write open:
-- the distribution period by the age a participant reaches in the distribution year (120 means 120 and older),
-- Treas. Reg. 1.401(a)(9)-9(c) (IRS Pub. 590-B Table III), in force for distribution years 2022 on.
CREATE OR REPLACE TABLE uniform_lifetime_table AS
SELECT *
FROM read_csv($path, header = true, columns = {
    'age': 'INTEGER', 'distribution_period': 'DECIMAL(4,1)', 'in_force_from_year': 'INTEGER', 'source': 'VARCHAR'})
ORDER BY age
