-- Before a run replaces the plan's notices for its distribution years ($first_year..$last_year), copy each current
-- row whose figures the run changes ('changed': it is in incoming with another figure) or no longer computes
-- ('withdrawn') into rmd_notice_history. computed_on and run_id alone do not count as a change.
-- Params: $plan_id, $first_year, $last_year, $as_of, $run_id; frame incoming (the new rows).
-- reads: rmd_notices
-- writes: rmd_notice_history
INSERT INTO rmd_notice_history BY NAME
SELECT o.*, CASE WHEN n.employee_id IS NULL THEN 'withdrawn' ELSE 'changed' END AS change,
       $as_of::DATE AS superseded_on, $run_id AS superseded_by_run
FROM rmd_notices o
LEFT JOIN incoming n USING (plan_id, employee_id, distribution_year)
WHERE o.plan_id = $plan_id AND o.distribution_year BETWEEN $first_year AND $last_year
  AND (n.employee_id IS NULL
       OR (o.age, o.spouse_age, o.applicable_age, o.first_distribution_year, o.required_beginning_date, o.deadline,
           o.prior_year_end_balance, o.distribution_period, o.table_used, o.rmd_amount, o.taken, o.remaining,
           o.excise_if_missed, o.excise_if_corrected, o.status)
          IS DISTINCT FROM
          (n.age, n.spouse_age, n.applicable_age, n.first_distribution_year, n.required_beginning_date, n.deadline,
           n.prior_year_end_balance, n.distribution_period, n.table_used, n.rmd_amount, n.taken, n.remaining,
           n.excise_if_missed, n.excise_if_corrected, n.status))
