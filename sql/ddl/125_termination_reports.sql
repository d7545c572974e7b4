-- Audit record: a processed termination that the participant facts later contradicted (the date changed, or it
-- was withdrawn: current_termination_date NULL, e.g. a rehire), reported once in `notices` and never processed
-- again. Forfeitures are not reversed automatically: a plan administrator decides (restoration on rehire).
CREATE TABLE IF NOT EXISTS termination_reports (
    plan_id                   VARCHAR NOT NULL,
    employee_id               VARCHAR NOT NULL,
    processed_date            DATE NOT NULL,
    current_termination_date  DATE,
    reported_on               DATE NOT NULL,
    batch_id                  VARCHAR NOT NULL
);
