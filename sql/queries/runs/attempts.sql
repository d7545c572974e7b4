-- How many batches this content of this kind already has for the plan (the next attempt's number - 1).
-- Params: $plan_id, $file_kind, $file_sha256. One row: attempts.
-- reads: batches
SELECT count(*) AS attempts FROM batches
WHERE plan_id = $plan_id AND file_kind = $file_kind AND file_sha256 = $file_sha256
