-- How many batches of this name the plan has (derived batches are numbered by it). Params: $plan_id,
-- $file_name. One row: batches.
-- reads: batches
SELECT count(*) AS batches FROM batches WHERE plan_id = $plan_id AND file_name = $file_name
