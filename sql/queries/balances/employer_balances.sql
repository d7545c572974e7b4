-- Each person's balance per employer source (sql/seeds/money_sources.csv owner = employer), all entries to
-- date, from the balance_by_year state, and what was paid out of it (paid_cents: its distributions), which
-- vesting counts as accrued (Treas. Reg. 1.411(a)-7(d)(5)). Grain: one person and employer source.
-- Params: $plan_id; frame wanted_ids (employee_id).
-- reads: balance_by_year, ledger_entries
WITH paid AS (
    SELECT e.employee_id, e.source, -sum(e.amount) AS paid
    FROM ledger_entries e SEMI JOIN wanted_ids w USING (employee_id)
    WHERE e.plan_id = $plan_id AND e.entry_type = 'distribution'
    GROUP BY ALL
)
SELECT b.employee_id, b.source, cents(sum(b.net_change)) AS balance_cents,
       cents(coalesce(any_value(p.paid), 0)) AS paid_cents
FROM balance_by_year b
SEMI JOIN wanted_ids w USING (employee_id)
LEFT JOIN paid p USING (employee_id, source)
WHERE b.plan_id = $plan_id AND b.source IN (SELECT source FROM money_sources WHERE owner = 'employer')
GROUP BY b.employee_id, b.source
ORDER BY ALL
