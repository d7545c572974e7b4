-- The terminations a run processed, per plan and vesting basis (schedule, death, disability,
-- normal_retirement_age, prior_recordkeeper, ...): how many, and the non-vested employer money forfeited in cents.
-- Grain: one plan and vesting basis. Params: $run_id.
-- reads: batches, terminations
SELECT t.plan_id, t.vesting_basis, count(*)::INTEGER AS terminations,
       cents(sum(t.forfeited_amount)) AS forfeited_cents
FROM terminations t
SEMI JOIN (SELECT batch_id FROM batches WHERE run_id = $run_id) b USING (batch_id)
GROUP BY ALL
ORDER BY ALL
