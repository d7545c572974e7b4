-- Audit record: things a plan administrator should know about rows that were posted (not rejected), e.g. a
-- pay date earlier than one already posted for the person and year, which changes how the year's rooms were
-- filled compared with posting in date order.
CREATE TABLE IF NOT EXISTS notices (
    batch_id     VARCHAR NOT NULL,
    plan_id      VARCHAR NOT NULL,
    file_name    VARCHAR NOT NULL,
    line_number  INTEGER,
    employee_id  VARCHAR,
    code         VARCHAR NOT NULL,
    message      VARCHAR NOT NULL
);
