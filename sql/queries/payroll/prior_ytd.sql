-- Year-to-date totals already posted for the (employee_id, plan_year) pairs of wanted_keys, in cents. Grain:
-- one person-year. Params: $plan_id; frame wanted_keys. Increments a group holds are added by the caller.
-- reads: ytd_totals
-- unflushed: ytd_totals
SELECT t.employee_id, t.plan_year::INTEGER AS plan_year,
       cents(t.regular_room_used) AS ytd_regular_deferral_cents,
       cents(t.catch_up_deferral) AS ytd_catch_up_deferral_cents,
       cents(t.plan_compensation) AS ytd_plan_compensation_cents,
       cents(t.annual_additions) AS ytd_annual_additions_cents,
       cents(t.gross_pay) AS ytd_gross_pay_cents,
       t.last_pay_date AS ytd_last_pay_date,
       t.true_up_posted_on
FROM ytd_totals t
SEMI JOIN wanted_keys k ON t.employee_id = k.employee_id AND t.plan_year = k.plan_year
WHERE t.plan_id = $plan_id
