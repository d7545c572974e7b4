-- Audit record: every reason a row (or a whole file, line_number NULL) was not posted. A row can carry
-- several reasons; batches.rows_rejected counts distinct lines. Values of personal-data columns are masked.
CREATE TABLE IF NOT EXISTS rejections (
    batch_id     VARCHAR NOT NULL,
    plan_id      VARCHAR NOT NULL,
    file_name    VARCHAR NOT NULL,
    line_number  INTEGER,
    employee_id  VARCHAR,
    column_name  VARCHAR,
    value        VARCHAR,
    reason_code  VARCHAR NOT NULL,
    reason       VARCHAR NOT NULL
);
