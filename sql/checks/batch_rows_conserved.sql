-- Every row read is posted or rejected, and the audit tables agree with each batch's counts: a payroll batch
-- posts payroll_lines, a census batch census_lines, a balances batch balance_statements, a true-up batch
-- true_ups rows, a terminations batch terminations rows, a distributions batch distributions rows, an rmd batch
-- its beneficiary-review notices.
WITH posted AS (
    SELECT batch_id, count(*) AS n FROM payroll_postings GROUP BY batch_id
    UNION ALL
    SELECT batch_id, count(*) AS n FROM census_lines GROUP BY batch_id
    UNION ALL
    SELECT batch_id, count(*) AS n FROM balance_statements GROUP BY batch_id
    UNION ALL
    SELECT batch_id, count(*) AS n FROM true_ups GROUP BY batch_id
    UNION ALL
    SELECT batch_id, count(*) AS n FROM terminations GROUP BY batch_id
    UNION ALL
    SELECT batch_id, count(*) AS n FROM distributions GROUP BY batch_id
    UNION ALL
    SELECT n.batch_id, count(*) AS n FROM notices n JOIN batches b USING (batch_id) WHERE b.file_kind = 'rmd'
    GROUP BY n.batch_id
),
rejected AS (
    SELECT batch_id, count(DISTINCT line_number) AS n FROM rejections WHERE line_number IS NOT NULL GROUP BY batch_id
)
SELECT b.batch_id, b.file_name, b.status, b.rows_read, b.rows_posted, b.rows_rejected,
       coalesce(p.n, 0) AS payroll_lines, coalesce(r.n, 0) AS rejected_lines
FROM batches b
LEFT JOIN posted p USING (batch_id)
LEFT JOIN rejected r USING (batch_id)
WHERE b.rows_read <> b.rows_posted + b.rows_rejected
   OR b.rows_posted <> coalesce(p.n, 0)
   OR (b.status = 'posted' AND b.rows_rejected <> coalesce(r.n, 0))
   OR (b.status = 'rejected' AND (b.rows_posted <> 0 OR b.rows_rejected <> b.rows_read))
