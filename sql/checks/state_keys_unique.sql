-- The state tables hold one row per key (they have no unique index: every write is a MERGE of one row per key).
-- ytd_totals and balance_by_year for the years in check_years; participants and pay_dates whole (a row per person
-- or pay date). Each duplicated key once, with its table and how many rows it has.
SELECT 'ytd_totals' AS state_table, plan_id, employee_id AS key, CAST(plan_year AS VARCHAR) AS detail, count(*) AS rows
FROM ytd_totals SEMI JOIN check_years USING (plan_id, plan_year)
GROUP BY ALL HAVING count(*) > 1
UNION ALL
SELECT 'balance_by_year', b.plan_id, b.employee_id, b.source || ' ' || b.year, count(*)
FROM balance_by_year b SEMI JOIN check_years c ON c.plan_id = b.plan_id AND c.plan_year = b.year
GROUP BY ALL HAVING count(*) > 1
UNION ALL
SELECT 'participants', plan_id, employee_id, NULL, count(*)
FROM participants
GROUP BY ALL HAVING count(*) > 1
UNION ALL
SELECT 'pay_dates', plan_id, CAST(pay_date AS VARCHAR), NULL, count(*)
FROM pay_dates
GROUP BY ALL HAVING count(*) > 1
