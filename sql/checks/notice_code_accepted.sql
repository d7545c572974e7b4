-- Every notice's code is one of schemas/reasons.py's NoticeCode (loaded as the notice_codes table).
SELECT n.batch_id, n.file_name, n.line_number, n.code
FROM notices n
ANTI JOIN notice_codes c USING (code)
