-- The pay dates each plan's observed calendar (pay_schedules) expects, from 1 January of its first payroll's
-- year to 31 December of the year after the later of its last payroll's year and report_as_of()'s. Weekly and
-- biweekly dates step from its last regular pay date; semimonthly ones fall on its two usual days of each month,
-- monthly ones on its usual day (31: the month's last day; a day a month lacks: its last day). is_received: a
-- payroll was posted within 3 days of it (a payroll moved for a weekend or holiday still counts). Grain: one
-- plan and expected date.
CREATE OR REPLACE VIEW expected_pay_dates AS
WITH spans AS (
    SELECT *, make_date(year(first_pay_date), 1, 1) AS span_start,
           make_date(greatest(year(last_pay_date), year(report_as_of())) + 1, 12, 31) AS span_end
    FROM pay_schedules
    WHERE frequency <> 'irregular'
),
stepped AS (
    SELECT plan_id, frequency, span_start, span_end,
           last_regular_pay_date + CAST(k * step_days AS INTEGER) AS pay_date
    FROM spans,
         generate_series(CAST(floor((span_start - last_regular_pay_date) / step_days) AS BIGINT),
                         CAST(floor((span_end - last_regular_pay_date) / step_days) AS BIGINT)) AS t(k)
    WHERE step_days IS NOT NULL
),
months AS (
    SELECT plan_id, frequency, month_day_1, month_day_2, CAST(m AS DATE) AS month_start
    FROM spans, generate_series(CAST(span_start AS TIMESTAMP), CAST(span_end AS TIMESTAMP), INTERVAL 1 MONTH) AS t(m)
    WHERE frequency IN ('semimonthly', 'monthly')
),
month_dates AS (
    SELECT plan_id, frequency, month_start, month_day_1 AS month_day FROM months
    UNION ALL
    SELECT plan_id, frequency, month_start, month_day_2 FROM months WHERE month_day_2 IS NOT NULL
),
calendar AS (
    SELECT plan_id, frequency, pay_date FROM stepped WHERE pay_date BETWEEN span_start AND span_end
    UNION ALL
    SELECT plan_id, frequency,
           least(month_start + CAST(month_day - 1 AS INTEGER), last_day(month_start)) AS pay_date
    FROM month_dates
),
received AS (
    SELECT plan_id, pay_date FROM pay_dates
)
SELECT c.plan_id, c.frequency, c.pay_date AS expected_pay_date, year(c.pay_date) AS plan_year,
       EXISTS (SELECT 1 FROM received r WHERE r.plan_id = c.plan_id
                                       AND r.pay_date BETWEEN c.pay_date - 3 AND c.pay_date + 3) AS is_received
FROM calendar c
