-- Audit record: every inbox entry a run found that no file kind reads (a CSV straight in INBOX/<plan>/, a
-- `Payroll/` folder, a `.txt`), with why, so a misplaced file is never silently ignored. One row per run and
-- entry: a file left where it is shows up again every night until it is moved.
CREATE TABLE IF NOT EXISTS unrecognised_files (
    run_id  VARCHAR NOT NULL,
    plan_id VARCHAR,          -- NULL for an entry outside any plan folder
    path    VARCHAR NOT NULL, -- relative to the inbox, POSIX
    reason  VARCHAR NOT NULL,
    PRIMARY KEY (run_id, path)
);
