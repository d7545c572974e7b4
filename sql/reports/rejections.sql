-- report: rejected rows by file and reason, newest run first
-- parameters: none (every run; filter on plan_id or run_as_of yourself)
-- columns: plan_id, run_as_of, run_started_at, file_name, file_kind, file_status, reason_code, column_name, rows, first_lines, reason
-- One row per file, reason code and column: how many lines it rejected (a whole-file rejection counts 0 lines and
-- has no line numbers) and the first five line numbers, so an employer can be told what to fix. Values are in the
-- rejections table (personal data masked).
SELECT r.plan_id, u.as_of AS run_as_of, u.started_at AS run_started_at, r.file_name, b.file_kind,
       b.status AS file_status, r.reason_code, r.column_name,
       count(DISTINCT r.line_number) AS rows,
       list_sort(list(DISTINCT r.line_number))[1:5] AS first_lines,
       min(r.reason) AS reason
FROM rejections r
JOIN batches b USING (batch_id)
JOIN runs u ON u.run_id = b.run_id
LEFT JOIN reject_codes c ON c.code = r.reason_code
GROUP BY r.plan_id, u.as_of, u.started_at, r.file_name, b.file_kind, b.status, r.reason_code, r.column_name,
         c.precedence
ORDER BY u.started_at DESC, r.file_name, c.precedence, r.column_name
