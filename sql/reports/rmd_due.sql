-- report: required minimum distributions still to take (due or overdue), as of the last run
-- parameters: none (the notices the last run computed, for the as-of year and the year before)
-- columns: plan_id, employee_id, distribution_year, status, deadline, rmd_amount, taken, remaining, excise_if_missed, table_used, computed_on
SELECT plan_id, employee_id, distribution_year, status, deadline, rmd_amount, taken, remaining, excise_if_missed,
       table_used, computed_on
FROM rmd_notices
WHERE status IN ('due', 'overdue')
ORDER BY plan_id, deadline, employee_id
