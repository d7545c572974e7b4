-- Before a run replaces the plan's rows, copy each current row whose figures the run changes, or that it no longer
-- computes (paid out, rehired), into rollover_eligibility_history: when a person changed category, and what
-- the figures were, stays visible. as_of alone changing is not a change.
-- Params: $plan_id, $as_of, $run_id; frame incoming (the new rows).
-- reads: rollover_eligibility
-- writes: rollover_eligibility_history
INSERT INTO rollover_eligibility_history BY NAME
SELECT o.*, CASE WHEN n.employee_id IS NULL THEN 'withdrawn' ELSE 'changed' END AS change,
       $as_of::DATE AS superseded_on, $run_id AS superseded_by_run
FROM rollover_eligibility o
LEFT JOIN incoming n USING (plan_id, employee_id)
WHERE o.plan_id = $plan_id
  AND (n.employee_id IS NULL
       OR (o.termination_date, o.termination_reason, o.vesting_pending, o.age_at_as_of, o.vested_balance,
           o.roth_balance, o.roth_basis, o.rollover_balance, o.rmd_due, o.eligible_rollover_amount, o.category,
           o.early_penalty_applies, o.taxable_if_cashed_out, o.withholding_if_cashed_out, o.penalty_if_cashed_out,
           o.net_if_cashed_out)
          IS DISTINCT FROM
          (n.termination_date, n.termination_reason, n.vesting_pending, n.age_at_as_of, n.vested_balance,
           n.roth_balance, n.roth_basis, n.rollover_balance, n.rmd_due, n.eligible_rollover_amount, n.category,
           n.early_penalty_applies, n.taxable_if_cashed_out, n.withholding_if_cashed_out, n.penalty_if_cashed_out,
           n.net_if_cashed_out))
