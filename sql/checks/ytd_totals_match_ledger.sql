-- The year-to-date state the rules read must equal what the ledger and payroll lines say.
WITH from_ledger AS (
    SELECT * FROM contributions_by_person_year
),
cut_by_415c AS (
    SELECT plan_id, employee_id, plan_year, sum(amount) AS regular_cut
    FROM limit_events
    SEMI JOIN check_years USING (plan_id, plan_year)
    WHERE limit_name = '415c' AND source IN (SELECT source FROM money_sources WHERE counts_402g)
    GROUP BY ALL
),
from_lines AS (
    SELECT plan_id, employee_id, plan_year,
           sum(plan_compensation) AS plan_compensation,
           sum(gross_pay) AS gross_pay,
           coalesce(sum(hours_worked), 0) AS hours_worked,
           max(pay_date) AS last_pay_date
    FROM payroll_postings
    SEMI JOIN check_years USING (plan_id, plan_year)
    GROUP BY ALL
),
expected AS (
    SELECT plan_id, employee_id, plan_year,
           coalesce(l.regular_deferral, 0) AS regular_deferral,
           CAST(coalesce(l.regular_deferral, 0) + coalesce(c.regular_cut, 0) AS DECIMAL(18, 2)) AS regular_room_used,
           coalesce(l.catch_up_deferral, 0) AS catch_up_deferral,
           coalesce(l.employer_match, 0) AS employer_match,
           coalesce(l.nonelective, 0) AS nonelective,
           coalesce(l.match_true_up, 0) AS match_true_up,
           coalesce(l.annual_additions, 0) AS annual_additions,
           CAST(p.plan_compensation AS DECIMAL(18, 2)) AS plan_compensation,
           CAST(p.gross_pay AS DECIMAL(18, 2)) AS gross_pay,
           CAST(p.hours_worked AS DECIMAL(12, 2)) AS hours_worked,
           p.last_pay_date
    FROM from_lines p
    LEFT JOIN from_ledger l USING (plan_id, employee_id, plan_year)
    LEFT JOIN cut_by_415c c USING (plan_id, employee_id, plan_year)
)
SELECT coalesce(e.plan_id, t.plan_id) AS plan_id, coalesce(e.employee_id, t.employee_id) AS employee_id,
       coalesce(e.plan_year, t.plan_year) AS plan_year
FROM expected e
FULL OUTER JOIN (SELECT * FROM ytd_totals SEMI JOIN check_years USING (plan_id, plan_year)) t
    USING (plan_id, employee_id, plan_year)
WHERE e.regular_deferral IS DISTINCT FROM t.regular_deferral
   OR e.regular_room_used IS DISTINCT FROM t.regular_room_used
   OR e.catch_up_deferral IS DISTINCT FROM t.catch_up_deferral
   OR e.employer_match IS DISTINCT FROM t.employer_match
   OR e.nonelective IS DISTINCT FROM t.nonelective
   OR e.match_true_up IS DISTINCT FROM t.match_true_up
   OR e.annual_additions IS DISTINCT FROM t.annual_additions
   OR e.plan_compensation IS DISTINCT FROM t.plan_compensation
   OR e.gross_pay IS DISTINCT FROM t.gross_pay
   OR e.hours_worked IS DISTINCT FROM t.hours_worked
   OR e.last_pay_date IS DISTINCT FROM t.last_pay_date
