-- report: the plan's forfeiture account per plan, plan year and source: forfeited, used, unused, and the date by which it must be used
-- parameters: as_of (default: the last completed run's as-of date)
-- columns: plan_id, plan_year, source, forfeited, used, unused, participants, first_forfeited_on, last_forfeited_on, use_by, status
-- Forfeited: non-vested employer money leavers lost, to as_of (as the view forfeiture_account counts it). Used: the uses recorded with
-- `planadmin forfeitures use` (table forfeiture_uses: plan expenses, reduced employer contributions,
-- allocations; reversals negative) on or before as_of. A plan must use forfeitures no later than 12 months after
-- the close of the plan year in which they arose (Treas. Reg. 1.401-7, proposed 2023): use_by. status: used (none
-- left), open (some left, before use_by), past_use_by (some left after it: act on it).
WITH forfeited AS (  -- the forfeiture_account view, to as_of
    SELECT plan_id, plan_year, source, CAST(-sum(amount) AS DECIMAL(18, 2)) AS forfeited_amount,
           count(DISTINCT employee_id) AS participants, min(effective_date) AS first_forfeited_on,
           max(effective_date) AS last_forfeited_on
    FROM ledger_entries
    WHERE entry_type = 'forfeiture' AND effective_date <= report_as_of()
    GROUP BY plan_id, plan_year, source
),
uses AS (
    SELECT plan_id, plan_year, source, sum(amount) AS used
    FROM forfeiture_uses
    WHERE used_on <= report_as_of()
    GROUP BY plan_id, plan_year, source
)
SELECT f.plan_id, f.plan_year, f.source, f.forfeited_amount AS forfeited,
       CAST(coalesce(u.used, 0) AS DECIMAL(18, 2)) AS used,
       CAST(f.forfeited_amount - coalesce(u.used, 0) AS DECIMAL(18, 2)) AS unused,
       f.participants, f.first_forfeited_on, f.last_forfeited_on, make_date(f.plan_year + 1, 12, 31) AS use_by,
       CASE WHEN f.forfeited_amount - coalesce(u.used, 0) = 0 THEN 'used'
            WHEN report_as_of() > make_date(f.plan_year + 1, 12, 31) THEN 'past_use_by'
            ELSE 'open' END AS status
FROM forfeited f
LEFT JOIN uses u USING (plan_id, plan_year, source)
ORDER BY f.plan_id, f.plan_year, f.source
