-- A run's rejected rows per plan, file, reason code and column: how many lines and the first five line numbers,
-- with the reason's text (no employee ids, no values). Whole-file rejections (no line number) are left out: the
-- morning report names such a file as rejected whole. Grain: one plan, file, reason code and column; files in the
-- order the run posted them, reasons in reject-code precedence within a file. Params: $run_id.
-- reads: batches, rejections, reject_codes
SELECT r.plan_id, r.file_name, r.reason_code, r.column_name,
       count(DISTINCT r.line_number)::INTEGER AS rows,
       list_sort(list(DISTINCT r.line_number))[1:5] AS first_lines,
       min(r.reason) AS reason
FROM rejections r
JOIN batches b USING (batch_id)
LEFT JOIN reject_codes c ON c.code = r.reason_code
WHERE b.run_id = $run_id AND r.line_number IS NOT NULL
GROUP BY r.plan_id, r.file_name, r.reason_code, r.column_name, c.precedence
ORDER BY r.plan_id, min(b.started_at), r.file_name, c.precedence, r.column_name NULLS FIRST
