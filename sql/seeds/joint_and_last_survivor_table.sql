-- Loads joint_and_last_survivor_table.csv (beside this file; $path) at every read-write open: the distribution
-- period by the ages the participant and spouse reach in the distribution year, used when the spouse is the sole
-- beneficiary and more than 10 years younger. Treas. Reg. 1.401(a)(9)-9(d) (IRS Pub. 590-B Table II), 2022 on.
-- The table is symmetric and each pair is stored at least once: look up (owner, spouse), else (spouse, owner).
CREATE OR REPLACE TABLE joint_and_last_survivor_table AS
SELECT *
FROM read_csv($path, header = true, columns = {
    'owner_age': 'INTEGER', 'spouse_age': 'INTEGER', 'distribution_period': 'DECIMAL(4,1)',
    'in_force_from_year': 'INTEGER', 'source': 'VARCHAR'})
ORDER BY owner_age, spouse_age
