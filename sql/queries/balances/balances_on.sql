-- Per (employee_id, source, as_of_date) of wanted_keys: the balance from entries dated on or before that day
-- (ledger_balance_cents) and whether there are any (has_entries). Earlier years come from the balance_by_year
-- state; only the as-of date's own year is read from the ledger. Grain: one key with entries. Params: $plan_id.
-- reads: balance_by_year, payroll_postings, ledger_entries
WITH earlier_years AS (
    SELECT k.employee_id, k.source, k.as_of_date, sum(b.net_change) AS amount, sum(b.entries) AS entries
    FROM wanted_keys k
    JOIN balance_by_year b
      ON b.employee_id = k.employee_id AND b.source = k.source AND b.year < year(k.as_of_date)
    WHERE b.plan_id = $plan_id
    GROUP BY ALL
),
same_year AS (
    SELECT k.employee_id, k.source, k.as_of_date, sum(l.amount) AS amount, count(*) AS entries
    FROM wanted_keys k
    JOIN ledger l
      ON l.employee_id = k.employee_id AND l.source = k.source AND l.effective_date <= k.as_of_date
     AND l.effective_date >= make_date(year(k.as_of_date), 1, 1)
    WHERE l.plan_id = $plan_id
    GROUP BY ALL
),
both_parts AS (
    SELECT * FROM earlier_years UNION ALL SELECT * FROM same_year
)
SELECT employee_id, source, as_of_date, cents(sum(amount)) AS ledger_balance_cents, true AS has_entries
FROM both_parts
GROUP BY ALL
HAVING sum(entries) > 0
