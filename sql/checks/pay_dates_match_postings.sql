-- The pay-date state the calendar reads (pay_dates) equals the payroll lines posted: per plan and pay date, the
-- number of lines. Only the years in check_years (a payroll line's pay date is in its plan year).
WITH from_lines AS (
    SELECT plan_id, pay_date, count(*) AS payroll_lines
    FROM payroll_postings
    SEMI JOIN check_years USING (plan_id, plan_year)
    GROUP BY ALL
),
stored AS (
    SELECT d.* FROM pay_dates d
    SEMI JOIN check_years c ON c.plan_id = d.plan_id AND c.plan_year = year(d.pay_date)
)
SELECT coalesce(l.plan_id, s.plan_id) AS plan_id, coalesce(l.pay_date, s.pay_date) AS pay_date,
       l.payroll_lines AS posted_lines, s.payroll_lines AS stored_lines
FROM from_lines l
FULL OUTER JOIN stored s USING (plan_id, pay_date)
WHERE l.payroll_lines IS DISTINCT FROM s.payroll_lines
