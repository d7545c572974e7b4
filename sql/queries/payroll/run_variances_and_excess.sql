-- What a run's payroll files left for the administrator to settle, per plan: the match variances its batches
-- recorded (lines, and remitted - computed in cents: above zero the employer sent more) and the excess deferrals
-- they posted (lines, cents to refund). Plans with neither are left out. Params: $run_id.
-- reads: batches, match_variances, payroll_postings
WITH run_batches AS (
    SELECT batch_id, plan_id FROM batches WHERE run_id = $run_id AND file_kind = 'payroll' AND status = 'posted'
),
variances AS (
    SELECT v.plan_id, count(*) AS variance_lines, cents(sum(v.difference)) AS variance_cents
    FROM match_variances v SEMI JOIN run_batches USING (batch_id)
    GROUP BY v.plan_id
),
excess AS (
    SELECT p.plan_id, count(*) AS excess_lines, cents(sum(p.excess_deferral)) AS excess_cents
    FROM payroll_postings p SEMI JOIN run_batches USING (batch_id)
    WHERE p.excess_deferral <> 0
    GROUP BY p.plan_id
)
SELECT plan_id, coalesce(v.variance_lines, 0) AS variance_lines, coalesce(v.variance_cents, 0) AS variance_cents,
       coalesce(e.excess_lines, 0) AS excess_lines, coalesce(e.excess_cents, 0) AS excess_cents
FROM variances v FULL OUTER JOIN excess e USING (plan_id)
ORDER BY plan_id
