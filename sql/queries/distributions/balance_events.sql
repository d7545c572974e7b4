-- The money in each wanted (employee_id, source) from 1 January of its from_year on, day by day: one row dated
-- 31 December of the year before with the balance then (from the balance_by_year state), then one row per day
-- with entries (their net amount), so a running sum gives the balance at the end of any day since. A
-- distribution is checked against that path (pipelines/rules/distributions.py). Grain: one key and day.
-- Params: $plan_id, $from_date (the earliest from_year's 1 January: prunes the ledger's scan);
-- frame wanted_keys (employee_id, source, from_year).
-- reads: balance_by_year, payroll_postings, ledger_entries
WITH opening AS (
    SELECT k.employee_id, k.source, make_date(k.from_year - 1, 12, 31) AS effective_date, sum(b.net_change) AS amount
    FROM wanted_keys k
    JOIN balance_by_year b ON b.employee_id = k.employee_id AND b.source = k.source AND b.year < k.from_year
    WHERE b.plan_id = $plan_id
    GROUP BY ALL
),
since AS (
    SELECT k.employee_id, k.source, l.effective_date, sum(l.amount) AS amount
    FROM wanted_keys k
    JOIN ledger l
      ON l.employee_id = k.employee_id AND l.source = k.source AND l.effective_date >= make_date(k.from_year, 1, 1)
    WHERE l.plan_id = $plan_id AND l.effective_date >= $from_date
    GROUP BY ALL
)
SELECT employee_id, source, effective_date, cents(amount) AS amount_cents FROM opening
UNION ALL
SELECT employee_id, source, effective_date, cents(amount) AS amount_cents FROM since
ORDER BY employee_id, source, effective_date
