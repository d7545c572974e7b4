-- Latest known facts per person: a later pay date's row wins. SSNs are kept as the last four digits only.
CREATE TABLE IF NOT EXISTS participants (
    plan_id             VARCHAR NOT NULL,
    employee_id         VARCHAR NOT NULL,
    date_of_birth       DATE NOT NULL,
    hire_date           DATE NOT NULL,
    termination_date    DATE,
    termination_reason  VARCHAR,
    ssn_last4           VARCHAR,
    first_name          VARCHAR,
    last_name           VARCHAR,
    ownership_pct       DECIMAL(5, 2),
    facts_as_of         DATE NOT NULL,
    updated_batch_id    VARCHAR NOT NULL,
    PRIMARY KEY (plan_id, employee_id)
);
