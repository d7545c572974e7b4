-- Per (employee_id, source) of wanted_keys: the newest imported statement's date (latest_statement_date) and
-- the newest forfeiture's (latest_forfeiture_date), either may be null. Params: $plan_id.
-- reads: balance_statements, ledger_entries
WITH dated AS (
    SELECT employee_id, source, as_of_date AS statement_day, NULL::DATE AS forfeiture_day
    FROM balance_statements WHERE plan_id = $plan_id
    UNION ALL
    SELECT employee_id, source, NULL, effective_date FROM ledger_entries
    WHERE plan_id = $plan_id AND entry_type = 'forfeiture'
)
SELECT d.employee_id, d.source, max(d.statement_day) AS latest_statement_date,
       max(d.forfeiture_day) AS latest_forfeiture_date
FROM dated d
SEMI JOIN wanted_keys k ON d.employee_id = k.employee_id AND d.source = k.source
GROUP BY ALL
