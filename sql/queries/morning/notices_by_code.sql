-- The notices a run's batches recorded, per plan and code, in the codes' precedence order (schemas/reasons.py:
-- NoticeCode; the first need a decision), with each code's one-line meaning. Counts only: the notices' messages
-- stay in the notices table. Grain: one plan and code. Params: $run_id.
-- reads: batches, notices, notice_codes
SELECT n.plan_id, n.code, count(*)::INTEGER AS notices, any_value(c.meaning) AS meaning
FROM notices n
SEMI JOIN (SELECT batch_id FROM batches WHERE run_id = $run_id) b USING (batch_id)
LEFT JOIN notice_codes c ON c.code = n.code
GROUP BY n.plan_id, n.code, c.precedence
ORDER BY n.plan_id, c.precedence NULLS LAST, n.code
