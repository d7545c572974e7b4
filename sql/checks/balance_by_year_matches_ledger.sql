-- The balance state the nightly reads use (balance_by_year) equals the ledger: per plan, person, source and
-- calendar year of the effective date, the net of the entries and their count. Only the years in check_years.
WITH from_ledger AS (
    SELECT plan_id, employee_id, source, year(effective_date) AS year,
           CAST(sum(amount) AS DECIMAL(18, 2)) AS net_change, count(*) AS entries
    FROM ledger
    WHERE (plan_id, year(effective_date)) IN (SELECT (plan_id, plan_year) FROM check_years)
    GROUP BY ALL
),
state AS (
    SELECT * FROM balance_by_year SEMI JOIN check_years ON check_years.plan_id = balance_by_year.plan_id
                                                       AND check_years.plan_year = balance_by_year.year
)
SELECT coalesce(l.plan_id, s.plan_id) AS plan_id, coalesce(l.employee_id, s.employee_id) AS employee_id,
       coalesce(l.source, s.source) AS source, coalesce(l.year, s.year) AS year,
       l.net_change AS ledger_net_change, s.net_change AS state_net_change
FROM from_ledger l
FULL OUTER JOIN state s USING (plan_id, employee_id, source, year)
WHERE l.net_change IS DISTINCT FROM s.net_change OR l.entries IS DISTINCT FROM s.entries
