-- The calculators' tables hold one row per plan and person (they have no primary key: see
-- sql/ddl/170_match_windows.sql). Returns each (table, plan, person) found more than once.
SELECT 'match_windows' AS table_name, plan_id, employee_id, count(*) AS copies
FROM match_windows
GROUP BY plan_id, employee_id
HAVING count(*) > 1
UNION ALL
SELECT 'projections', plan_id, employee_id, count(*)
FROM projections
GROUP BY plan_id, employee_id
HAVING count(*) > 1
