-- Each plan's pay frequency as observed in its payroll (the pay-date state, table pay_dates) up to report_as_of()
-- (the session's as_of; the nightly calculators set it to the run's date): the median gap between its last 27
-- distinct pay dates (a year of biweekly payrolls; an off-cycle bonus payroll does not move a median): weekly (6-8
-- days), biweekly (14, with at least 80% of the gaps a multiple of 14, so a skipped payroll's 28 days still count: a
-- 1st-and-15th payroll also has many 14-day gaps, but its 16- and 17-day ones are not), semimonthly (12-18
-- otherwise), monthly (26-33), else irregular (no expected dates). periods_per_year: 52, 26, 24, 12.
-- The regular cycle: weekly and biweekly payrolls fall on one phase of their step (days since 2000-01-07 modulo
-- 7 or 14, the most common one); semimonthly and monthly ones on the most common days of the month (semimonthly:
-- the two most common at least 10 days apart), any day from the 28th counting as the month's last day (31).
-- last_regular_pay_date: the latest pay date on that cycle (an off-cycle payroll after it is not the anchor of
-- the calendar, nor what "paid in the latest payroll" means). Grain: one plan with two or more pay dates.
CREATE OR REPLACE VIEW pay_schedules AS
WITH dates AS (
    SELECT plan_id, pay_date FROM pay_dates WHERE pay_date <= report_as_of()
),
ranked AS (
    SELECT plan_id, pay_date,
           pay_date - lag(pay_date) OVER (PARTITION BY plan_id ORDER BY pay_date) AS gap_days,
           row_number() OVER (PARTITION BY plan_id ORDER BY pay_date DESC) AS recency,
           CASE WHEN day(pay_date) >= 28 THEN 31 ELSE day(pay_date) END AS month_day
    FROM dates
),
recent AS (
    SELECT * FROM ranked WHERE recency <= 27
),
gaps AS (
    SELECT plan_id, median(gap_days) AS median_gap_days, avg(CASE WHEN gap_days % 14 = 0 THEN 1 ELSE 0 END) AS share_14
    FROM recent
    WHERE gap_days IS NOT NULL
    GROUP BY plan_id
),
bounds AS (
    SELECT plan_id, min(pay_date) AS first_pay_date, max(pay_date) AS last_pay_date, count(*) AS pay_dates
    FROM dates
    GROUP BY plan_id
),
classified AS (
    SELECT b.plan_id, b.first_pay_date, b.last_pay_date, b.pay_dates, g.median_gap_days,
           CASE WHEN g.median_gap_days BETWEEN 6 AND 8 THEN 'weekly'
                WHEN g.median_gap_days = 14 AND g.share_14 >= 0.8 THEN 'biweekly'
                WHEN g.median_gap_days BETWEEN 12 AND 18 THEN 'semimonthly'
                WHEN g.median_gap_days BETWEEN 26 AND 33 THEN 'monthly'
                ELSE 'irregular' END AS frequency
    FROM bounds b JOIN gaps g USING (plan_id)
),
stepped AS (
    SELECT *, CASE frequency WHEN 'weekly' THEN 7 WHEN 'biweekly' THEN 14 END AS step_days FROM classified
),
phases AS (
    SELECT r.plan_id, (r.pay_date - DATE '2000-01-07') % s.step_days AS phase, count(*) AS n, max(r.pay_date) AS latest
    FROM recent r JOIN stepped s USING (plan_id)
    WHERE s.step_days IS NOT NULL
    GROUP BY ALL
),
usual_phase AS (
    SELECT plan_id, arg_max(latest, (n, latest)) AS last_regular_pay_date FROM phases GROUP BY plan_id
),
month_days AS (
    SELECT plan_id, month_day, count(*) AS n, max(pay_date) AS latest FROM recent GROUP BY ALL
),
first_day AS (
    SELECT plan_id, arg_max(month_day, (n, month_day)) AS day_1 FROM month_days GROUP BY plan_id
),
second_day AS (
    SELECT m.plan_id, arg_max(m.month_day, (m.n, m.month_day)) AS day_2
    FROM month_days m JOIN first_day f USING (plan_id)
    WHERE abs(m.month_day - f.day_1) >= 10
    GROUP BY m.plan_id
),
usual_days AS (
    SELECT f.plan_id, least(f.day_1, coalesce(s.day_2, f.day_1)) AS day_1, greatest(f.day_1, s.day_2) AS day_2
    FROM first_day f LEFT JOIN second_day s USING (plan_id)
),
near_usual_day AS (  -- the latest pay date within 3 days of a usual day of its month (weekends move payrolls)
    SELECT r.plan_id, max(r.pay_date) AS last_regular_pay_date
    FROM recent r JOIN usual_days u USING (plan_id)
    WHERE abs(r.month_day - u.day_1) <= 3 OR abs(r.month_day - coalesce(u.day_2, u.day_1)) <= 3
    GROUP BY r.plan_id
)
SELECT s.plan_id, s.frequency,
       CASE s.frequency WHEN 'weekly' THEN 52 WHEN 'biweekly' THEN 26 WHEN 'semimonthly' THEN 24
                        WHEN 'monthly' THEN 12 END AS periods_per_year,
       s.step_days,
       CASE WHEN s.frequency IN ('semimonthly', 'monthly') THEN u.day_1 END AS month_day_1,
       CASE WHEN s.frequency = 'semimonthly' THEN u.day_2 END AS month_day_2,
       s.median_gap_days, s.first_pay_date, s.last_pay_date, s.pay_dates,
       coalesce(CASE WHEN s.step_days IS NOT NULL THEN p.last_regular_pay_date
                     WHEN s.frequency IN ('semimonthly', 'monthly') THEN n.last_regular_pay_date END,
                s.last_pay_date) AS last_regular_pay_date
FROM stepped s
LEFT JOIN usual_phase p USING (plan_id)
LEFT JOIN usual_days u USING (plan_id)
LEFT JOIN near_usual_day n USING (plan_id)
