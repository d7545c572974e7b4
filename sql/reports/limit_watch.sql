-- report: who reached which annual limit and when, and who will reach 402(g) before year-end at their current rate
-- parameters: year (default: the year of as_of), as_of (default: the last completed run's as-of date)
-- columns: plan_id, employee_id, plan_year, limit_name, status, reached_on, limit_amount, room_left, per_period_deferral, pay_dates_to_limit
-- status reached: the limit_events row of the day the running total reached 402g, catch_up, 401a17 or 415c (on or
-- before as_of). status projected: an active participant (paid on the plan's latest regular pay date, view
-- pay_schedules, when it falls in the year; no termination in force by as_of) who has not reached 402(g) and,
-- deferring what that line elected (pre-tax + Roth) on every pay date the plan's calendar still expects this year
-- (view expected_pay_dates), reaches it on pay date number pay_dates_to_limit: reached_on is that date. room_left:
-- the 402(g) limit less the regular deferrals posted to as_of (ytd_totals' 402(g) room used when its last pay date
-- is not after as_of; else the pre-tax and Roth posted to as_of, which leaves out a part 415(c) later cut).
WITH reached AS (
    SELECT plan_id, employee_id, plan_year, limit_name, 'reached' AS status, min(reached_on) AS reached_on,
           max(limit_amount) AS limit_amount
    FROM limit_events
    WHERE source IS NULL AND plan_year = report_year() AND reached_on <= report_as_of()
    GROUP BY plan_id, employee_id, plan_year, limit_name
),
latest_payroll AS (
    SELECT plan_id, last_regular_pay_date AS pay_date
    FROM pay_schedules
    WHERE year(last_regular_pay_date) = report_year()
),
posted_to_date AS (
    SELECT plan_id, employee_id, sum(pretax + roth) AS regular
    FROM payroll_postings
    WHERE plan_year = report_year() AND pay_date <= report_as_of()
    GROUP BY plan_id, employee_id
),
active AS (
    SELECT p.plan_id, p.employee_id, p.plan_year, p.pay_date,
           cents(p.pretax_elected + p.roth_elected) AS per_period_cents
    FROM payroll_postings p
    JOIN latest_payroll USING (plan_id, pay_date)
    ANTI JOIN terminations_in_force t ON t.plan_id = p.plan_id AND t.employee_id = p.employee_id
                                     AND t.termination_date <= report_as_of()
    ANTI JOIN reached r ON r.plan_id = p.plan_id AND r.employee_id = p.employee_id AND r.limit_name = '402g'
),
room AS (
    SELECT a.*,
           cents(l.elective_deferral_402g)
           - cents(coalesce(CASE WHEN y.last_pay_date <= report_as_of() THEN y.regular_room_used ELSE d.regular END, 0))
           AS room_cents,
           cents(l.elective_deferral_402g) AS limit_cents
    FROM active a
    JOIN irs_limits l ON l.year = a.plan_year
    LEFT JOIN ytd_totals y USING (plan_id, employee_id, plan_year)
    LEFT JOIN posted_to_date d USING (plan_id, employee_id)
    WHERE a.per_period_cents > 0 AND a.plan_year = report_year()
),
upcoming AS (
    SELECT e.plan_id, e.expected_pay_date,
           row_number() OVER (PARTITION BY e.plan_id ORDER BY e.expected_pay_date) AS n
    FROM expected_pay_dates e
    JOIN latest_payroll lp USING (plan_id)
    WHERE e.expected_pay_date > lp.pay_date + 3 AND year(e.expected_pay_date) = report_year()
),
projected AS (
    SELECT r.plan_id, r.employee_id, r.plan_year, '402g' AS limit_name, 'projected' AS status,
           u.expected_pay_date AS reached_on, dollars(r.limit_cents) AS limit_amount, dollars(r.room_cents) AS room_left,
           dollars(r.per_period_cents) AS per_period_deferral, u.n AS pay_dates_to_limit
    FROM room r
    JOIN upcoming u ON u.plan_id = r.plan_id
                   AND u.n = CAST((r.room_cents + r.per_period_cents - 1) // r.per_period_cents AS BIGINT)
)
SELECT plan_id, employee_id, plan_year, limit_name, status, reached_on, CAST(limit_amount AS DECIMAL(18, 2)) AS limit_amount,
       CAST(NULL AS DECIMAL(18, 2)) AS room_left, CAST(NULL AS DECIMAL(18, 2)) AS per_period_deferral,
       CAST(NULL AS BIGINT) AS pay_dates_to_limit
FROM reached
UNION ALL
SELECT * FROM projected
ORDER BY plan_id, reached_on, employee_id, limit_name
