-- Each person's balance per employer source (sql/seeds/money_sources.csv owner = employer), all entries to
-- date, from the balance_by_year state. Grain: one person and employer source. Params: $plan_id; frame
-- wanted_ids (employee_id).
-- reads: balance_by_year
SELECT b.employee_id, b.source, cents(sum(b.net_change)) AS balance_cents
FROM balance_by_year b
SEMI JOIN wanted_ids w USING (employee_id)
WHERE b.plan_id = $plan_id AND b.source IN (SELECT source FROM money_sources WHERE owner = 'employer')
GROUP BY ALL
ORDER BY ALL
