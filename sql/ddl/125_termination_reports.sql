-- Audit record: a processed termination that the participant facts later contradicted (its date or reason
-- changed, or it is no longer in force: current_termination_date NULL, withdrawn or rehired since), reported
-- once per new set of facts in `notices` and never processed again. Forfeitures are not reversed automatically: a plan administrator decides (restoration on rehire).
CREATE TABLE IF NOT EXISTS termination_reports (
    plan_id                   VARCHAR NOT NULL,
    employee_id               VARCHAR NOT NULL,
    processed_date            DATE NOT NULL,
    current_termination_date  DATE,
    current_termination_reason VARCHAR,
    reported_on               DATE NOT NULL,
    batch_id                  VARCHAR NOT NULL
);
