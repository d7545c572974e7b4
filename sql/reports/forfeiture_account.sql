-- report: the plan's forfeiture account per plan, plan year and source: forfeited, and the date by which it must be used
-- parameters: as_of (default: the last completed run's as-of date)
-- columns: plan_id, plan_year, source, forfeited, participants, first_forfeited_on, last_forfeited_on, use_by, status
-- Forfeited: non-vested employer money leavers lost (view forfeiture_account). A plan must use forfeitures (to pay
-- plan expenses, reduce employer contributions or allocate them) no later than 12 months after the close of the
-- plan year in which they arose (Treas. Reg. 1.401-7, proposed 2023): use_by. status: open until then, past_use_by
-- after. planadmin records no use of forfeitures (no file kind carries one), so the whole amount is shown as
-- forfeited, and the administrator reconciles what was used.
SELECT plan_id, plan_year, source, forfeited_amount AS forfeited, participants, first_forfeited_on,
       last_forfeited_on, make_date(plan_year + 1, 12, 31) AS use_by,
       CASE WHEN report_as_of() > make_date(plan_year + 1, 12, 31) THEN 'past_use_by' ELSE 'open' END AS status
FROM forfeiture_account
ORDER BY plan_id, plan_year, source
