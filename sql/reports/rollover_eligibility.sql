-- report: leavers with a vested balance: what may be rolled over, the plan's category, and what cashing out costs, as of the last run
-- parameters: none (the report the last run rebuilt)
-- columns: plan_id, employee_id, as_of, termination_date, category, vested_balance, rmd_due, eligible_rollover_amount, early_penalty_applies, withholding_if_cashed_out, penalty_if_cashed_out, net_if_cashed_out
SELECT plan_id, employee_id, as_of, termination_date, category, vested_balance, rmd_due, eligible_rollover_amount,
       early_penalty_applies, withholding_if_cashed_out, penalty_if_cashed_out, net_if_cashed_out
FROM rollover_eligibility
ORDER BY plan_id, category, employee_id
