-- One row per `planadmin run`: when it ran and for which business date.
CREATE TABLE IF NOT EXISTS runs (
    run_id      VARCHAR PRIMARY KEY,
    as_of       DATE NOT NULL,
    started_at  TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    status      VARCHAR NOT NULL CHECK (status IN ('running', 'completed', 'failed'))
);
