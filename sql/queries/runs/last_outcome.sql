-- What happened the last time this content of this kind was handled for the plan: (batch_id, status, the
-- file-level reason code), a posted batch first. At most one row. Params: $plan_id, $file_kind, $file_sha256.
-- reads: batches, rejections
SELECT b.batch_id, b.status, any_value(r.reason_code) AS reason_code
FROM batches b
LEFT JOIN rejections r ON r.batch_id = b.batch_id AND r.line_number IS NULL
WHERE b.plan_id = $plan_id AND b.file_kind = $file_kind AND b.file_sha256 = $file_sha256
GROUP BY b.batch_id, b.status, b.started_at
ORDER BY b.status = 'posted' DESC, b.started_at DESC, b.batch_id DESC
LIMIT 1
