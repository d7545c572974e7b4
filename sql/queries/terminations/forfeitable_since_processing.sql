-- For each processed termination still in force and never reported changed, per employer source: the recorded
-- vested percent (vested_bp); the money subject to it (subject_cents: contributions for plan years up to the
-- termination's, such as the final paycheck and the year-end true-up; opening balances whenever imported;
-- earnings dated on or before processing, since later earnings are the person's own); what was forfeited so
-- far (forfeited_cents) and the source's balance (balance_cents). Grain: one person and employer source.
-- Params: $plan_id.
-- Every night reads every such leaver, so payroll history is never read: it is the bulk of the ledger and
-- grows every night. Payroll amounts are the only entries outside ledger_entries, and a payroll amount is
-- effective on its pay date, which lies in its plan year; so a source's payroll contributions for plan years up
-- to the termination's are the balance state's net change for those calendar years less the ledger_entries
-- effective in them. Exact while balance_by_year equals the ledger, which every write keeps (one transaction)
-- and sql/checks/balance_by_year_matches_ledger.sql proves, by calendar year against payroll by plan year.
-- reads: terminations, participants, termination_reports, balance_by_year, ledger_entries
WITH in_force AS (
    SELECT t.employee_id, t.termination_date, t.processed_on, t.vested_pct
    FROM terminations t
    JOIN terminations_in_force f ON f.plan_id = t.plan_id AND f.employee_id = t.employee_id
    WHERE t.plan_id = $plan_id AND f.termination_date = t.termination_date
      AND f.termination_reason IS NOT DISTINCT FROM t.termination_reason
      AND t.vested_pct < 100
      AND NOT EXISTS (SELECT 1 FROM termination_reports r WHERE r.plan_id = t.plan_id
                      AND r.employee_id = t.employee_id AND r.processed_date = t.termination_date)
),
employer AS (SELECT source FROM money_sources WHERE owner = 'employer'),
state AS (
    SELECT b.employee_id, b.source, sum(b.net_change) AS balance,
           coalesce(sum(b.net_change) FILTER (WHERE b.year <= year(f.termination_date)), 0) AS to_termination_year
    FROM balance_by_year b
    JOIN in_force f USING (employee_id)
    WHERE b.plan_id = $plan_id AND b.source IN (SELECT source FROM employer)
    GROUP BY ALL
),
entries AS (
    SELECT e.employee_id, e.source,
           coalesce(sum(e.amount) FILTER (WHERE year(e.effective_date) <= year(f.termination_date)), 0)
               AS to_termination_year,
           coalesce(sum(e.amount) FILTER (WHERE (e.entry_type = 'contribution'
                                                 AND e.plan_year <= year(f.termination_date))
                                                OR e.entry_type = 'opening_balance'
                                                OR (e.entry_type = 'earnings'
                                                    AND e.effective_date <= f.processed_on)), 0) AS subject,
           coalesce(-sum(e.amount) FILTER (WHERE e.entry_type = 'forfeiture'), 0) AS forfeited
    FROM ledger_entries e
    JOIN in_force f USING (employee_id)
    WHERE e.plan_id = $plan_id AND e.source IN (SELECT source FROM employer)
    GROUP BY ALL
)
SELECT f.employee_id, f.termination_date, s.source, cents(f.vested_pct) AS vested_bp,
       -- payroll contributions up to the termination's plan year, plus the other entries subject to vesting
       cents(s.to_termination_year - coalesce(e.to_termination_year, 0) + coalesce(e.subject, 0)) AS subject_cents,
       cents(coalesce(e.forfeited, 0)) AS forfeited_cents,
       cents(s.balance) AS balance_cents
FROM in_force f
JOIN state s USING (employee_id)
LEFT JOIN entries e USING (employee_id, source)
ORDER BY ALL
