-- Each plan's pay frequency as observed in its payroll: the median gap between its last 27 distinct pay dates
-- (a year of biweekly payrolls; an off-cycle bonus payroll does not move a median): weekly (6-8 days), biweekly
-- (14, with at least half the gaps exactly 14), semimonthly (12-18 otherwise), monthly (26-33), else irregular
-- (no expected dates). periods_per_year: 52, 26, 24, 12. monthly_day: the day of the month a monthly payroll
-- is paid (its last pay date's; 28 or later means the month's last day). Grain: one plan with two or more pay
-- dates.
CREATE OR REPLACE VIEW pay_schedules AS
WITH dates AS (
    SELECT DISTINCT plan_id, pay_date FROM payroll_postings
),
ranked AS (
    SELECT plan_id, pay_date,
           pay_date - lag(pay_date) OVER (PARTITION BY plan_id ORDER BY pay_date) AS gap_days,
           row_number() OVER (PARTITION BY plan_id ORDER BY pay_date DESC) AS recency
    FROM dates
),
gaps AS (
    SELECT plan_id, median(gap_days) AS median_gap_days, avg(CASE WHEN gap_days = 14 THEN 1 ELSE 0 END) AS share_14
    FROM ranked
    WHERE recency <= 27 AND gap_days IS NOT NULL
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
                WHEN g.median_gap_days = 14 AND g.share_14 >= 0.5 THEN 'biweekly'
                WHEN g.median_gap_days BETWEEN 12 AND 18 THEN 'semimonthly'
                WHEN g.median_gap_days BETWEEN 26 AND 33 THEN 'monthly'
                ELSE 'irregular' END AS frequency
    FROM bounds b JOIN gaps g USING (plan_id)
)
SELECT plan_id, frequency,
       CASE frequency WHEN 'weekly' THEN 52 WHEN 'biweekly' THEN 26 WHEN 'semimonthly' THEN 24
                      WHEN 'monthly' THEN 12 END AS periods_per_year,
       CASE frequency WHEN 'weekly' THEN 7 WHEN 'biweekly' THEN 14 END AS step_days,
       CASE WHEN frequency = 'monthly' THEN least(day(last_pay_date), 28) END AS monthly_day,
       median_gap_days, first_pay_date, last_pay_date, pay_dates
FROM classified
