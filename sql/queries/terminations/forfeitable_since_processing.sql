-- For each processed termination still in force and never reported changed, per employer source: the recorded
-- vested percent (vested_bp); the money subject to it (subject_cents: contributions for plan years up to the
-- termination's, such as the final paycheck and the year-end true-up; opening balances whenever imported;
-- earnings dated on or before processing, since later earnings are the person's own); what was forfeited so
-- far (forfeited_cents) and the source's balance (balance_cents). Grain: one person and employer source.
-- Params: $plan_id.
-- reads: terminations, participants, termination_reports, payroll_postings, ledger_entries
WITH in_force AS (
    SELECT t.employee_id, t.termination_date, t.processed_on, t.vested_pct
    FROM terminations t
    JOIN terminations_in_force f ON f.plan_id = t.plan_id AND f.employee_id = t.employee_id
    WHERE t.plan_id = $plan_id AND f.termination_date = t.termination_date
      AND f.termination_reason IS NOT DISTINCT FROM t.termination_reason
      AND t.vested_pct < 100
      AND NOT EXISTS (SELECT 1 FROM termination_reports r WHERE r.plan_id = t.plan_id
                      AND r.employee_id = t.employee_id AND r.processed_date = t.termination_date)
)
SELECT f.employee_id, f.termination_date, l.source, cents(any_value(f.vested_pct)) AS vested_bp,
       cents(coalesce(sum(l.amount) FILTER (WHERE (l.entry_type = 'contribution'
                                                   AND l.plan_year <= year(f.termination_date))
                                                  OR l.entry_type = 'opening_balance'
                                                  OR (l.entry_type = 'earnings'
                                                      AND l.effective_date <= f.processed_on)), 0))
           AS subject_cents,
       cents(coalesce(-sum(l.amount) FILTER (WHERE l.entry_type = 'forfeiture'), 0)) AS forfeited_cents,
       cents(sum(l.amount)) AS balance_cents
FROM in_force f
JOIN ledger l ON l.employee_id = f.employee_id
WHERE l.plan_id = $plan_id AND l.source IN (SELECT source FROM money_sources WHERE owner = 'employer')
GROUP BY f.employee_id, f.termination_date, l.source
ORDER BY ALL
