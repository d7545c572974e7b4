-- report: what the employer must deposit, per plan, pay date and source, with the DOL deadlines for participant money
-- parameters: year (default: the year of as_of), as_of (default: the last completed run's as-of date)
-- columns: plan_id, pay_date, source, owner, amount, participants, deposit_deadline, small_plan_deposit_deadline
-- The ledger's contribution, loan-repayment and excess-deferral entries effective in the year on or before as_of,
-- summed per effective date (the pay date; a true-up's posting date) and source. Participant money (owner employee:
-- deferrals, loan repayments, and withheld excess deferrals, which are held in the plan until refunded) must be
-- deposited by the 15th business day of the month after the pay date, and is safe-harboured for a plan under 100
-- participants when deposited by the 7th business day after it (sql/seeds/deposit_rules.csv; weekdays, holidays
-- not excluded). Employer money has no DOL deadline (null).
WITH due AS (
    SELECT l.plan_id, l.effective_date AS pay_date, l.source, s.owner, sum(l.amount) AS amount,
           count(DISTINCT l.employee_id) AS participants
    FROM ledger l
    JOIN money_sources s USING (source)
    WHERE l.entry_type IN ('contribution', 'loan_repayment', 'excess_deferral')
      AND year(l.effective_date) = report_year() AND l.effective_date <= report_as_of()
    GROUP BY l.plan_id, l.effective_date, l.source, s.owner
)
SELECT d.plan_id, d.pay_date, d.source, d.owner, CAST(d.amount AS DECIMAL(18, 2)) AS amount, d.participants,
       CASE WHEN d.owner = 'employee' THEN nth_business_day(last_day(d.pay_date) + 1, outer_limit.business_days)
            END AS deposit_deadline,
       CASE WHEN d.owner = 'employee' THEN nth_business_day(d.pay_date + 1, safe_harbor.business_days)
            END AS small_plan_deposit_deadline
FROM due d
CROSS JOIN (SELECT business_days FROM deposit_rules WHERE rule = 'outer_limit') AS outer_limit
CROSS JOIN (SELECT business_days FROM deposit_rules WHERE rule = 'small_plan_safe_harbor') AS safe_harbor
ORDER BY d.plan_id, d.pay_date, d.source
