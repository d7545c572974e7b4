-- Audit record of every accepted census row as the file gave it (participants keeps only the latest facts).
-- SSNs are kept as the last four digits only. Append only.
CREATE TABLE IF NOT EXISTS census_lines (
    plan_id                     VARCHAR NOT NULL,
    employee_id                 VARCHAR NOT NULL,
    batch_id                    VARCHAR NOT NULL,
    line_number                 INTEGER NOT NULL,
    facts_as_of                 DATE NOT NULL,
    date_of_birth               DATE NOT NULL,
    hire_date                   DATE NOT NULL,
    -- the latest rehire, when the file gives one (hire_date is then the first hire)
    rehire_date                 DATE,
    termination_date            DATE,
    termination_reason          VARCHAR,
    ownership_pct               DECIMAL(5, 2),
    ssn_last4                   VARCHAR,
    first_name                  VARCHAR,
    last_name                   VARCHAR,
    prior_vesting_years         INTEGER,
    spouse_date_of_birth        DATE,
    spouse_is_sole_beneficiary  BOOLEAN
);
