-- Audit record: one row per payroll file the run examined and did not skip. A file whose sha256 already has
-- a `posted` batch for its plan is skipped and gets no new row. rows_read = rows_posted + rows_rejected.
CREATE TABLE IF NOT EXISTS batches (
    batch_id        VARCHAR PRIMARY KEY,
    run_id          VARCHAR NOT NULL,
    plan_id         VARCHAR NOT NULL,
    file_kind       VARCHAR NOT NULL,
    file_name       VARCHAR NOT NULL,
    file_sha256     VARCHAR NOT NULL,
    rows_read       INTEGER NOT NULL,
    rows_posted     INTEGER NOT NULL,
    rows_rejected   INTEGER NOT NULL,
    blank_lines     INTEGER NOT NULL,
    status          VARCHAR NOT NULL CHECK (status IN ('posted', 'rejected')),
    error           VARCHAR,
    started_at      TIMESTAMP NOT NULL,
    finished_at     TIMESTAMP NOT NULL,
    CHECK (rows_read = rows_posted + rows_rejected)
);
