-- The plan's active participants as of $as_of, with what the calculators start from: paid on the plan's latest
-- regular pay date (view pay_schedules, as of the session's as_of, which the caller sets to $as_of: an off-cycle
-- payroll after it is not "the latest payroll") and no termination in force by then; their line of that date
-- (period compensation, rates: a withheld amount as the percent of pay it was), their date of birth, their year-to-date state for $as_of's year (zero before its first payroll) and
-- their balance now (all sources, entries on or before $as_of's year end: the balance state). Grain: one person.
-- Params: $plan_id, $as_of.
-- reads: payroll_postings, pay_dates, participants, ytd_totals, balance_by_year
WITH latest AS (
    SELECT last_regular_pay_date AS pay_date FROM pay_schedules WHERE plan_id = $plan_id
),
lines AS (
    SELECT p.employee_id, p.pay_date, cents(p.plan_compensation) AS period_compensation_cents,
           -- a withheld amount counts as the percent of the period's pay it was: basis points, half-up in integers
           -- (amount x 10,000 / pay), at most 100%
           coalesce(cents(p.pretax_deferral_pct),
                    least((cents(p.pretax_deferral_amount) * 20000 + cents(p.plan_compensation))
                          // nullif(2 * cents(p.plan_compensation), 0), 10000),
                    0) AS pretax_deferral_bp,
           coalesce(cents(p.roth_deferral_pct),
                    least((cents(p.roth_deferral_amount) * 20000 + cents(p.plan_compensation))
                          // nullif(2 * cents(p.plan_compensation), 0), 10000),
                    0) AS roth_deferral_bp
    FROM payroll_postings p JOIN latest USING (pay_date)
    WHERE p.plan_id = $plan_id
    QUALIFY row_number() OVER (PARTITION BY p.employee_id ORDER BY p.line_number DESC) = 1
),
ytd AS (
    SELECT employee_id, cents(regular_room_used) AS ytd_regular_room_used_cents,
           cents(catch_up_deferral) AS ytd_catch_up_cents, cents(plan_compensation) AS ytd_plan_compensation_cents
    FROM ytd_totals WHERE plan_id = $plan_id AND plan_year = year($as_of)
),
balances AS (
    SELECT employee_id, cents(sum(net_change)) AS balance_cents
    FROM balance_by_year SEMI JOIN lines USING (employee_id)
    WHERE plan_id = $plan_id AND year <= year($as_of)
    GROUP BY employee_id
)
SELECT l.employee_id, p.date_of_birth, l.pay_date AS last_pay_date, l.period_compensation_cents,
       l.pretax_deferral_bp, l.roth_deferral_bp,
       coalesce(y.ytd_regular_room_used_cents, 0) AS ytd_regular_room_used_cents,
       coalesce(y.ytd_catch_up_cents, 0) AS ytd_catch_up_cents,
       coalesce(y.ytd_plan_compensation_cents, 0) AS ytd_plan_compensation_cents,
       coalesce(b.balance_cents, 0) AS balance_cents
FROM lines l
JOIN (SELECT employee_id, date_of_birth FROM participants WHERE plan_id = $plan_id) p USING (employee_id)
LEFT JOIN ytd y USING (employee_id)
LEFT JOIN balances b USING (employee_id)
WHERE NOT EXISTS (SELECT 1 FROM terminations_in_force t
                  WHERE t.plan_id = $plan_id AND t.employee_id = l.employee_id AND t.termination_date <= $as_of)
ORDER BY l.employee_id
