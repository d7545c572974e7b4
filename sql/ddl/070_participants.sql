-- Latest known facts per person, from payroll rows (dated by their pay date) and census files (dated by the
-- run's as-of date): the later-dated facts win, and a later file wins on the same date. A file only changes
-- the columns it has. SSNs are kept as the last four digits only.
CREATE TABLE IF NOT EXISTS participants (
    plan_id             VARCHAR NOT NULL,
    employee_id         VARCHAR NOT NULL,
    date_of_birth       DATE NOT NULL,
    hire_date           DATE NOT NULL,
    -- the earliest hire date ever reported: later than it, hire_date marks a rehire (or a corrected date)
    first_hire_date     DATE NOT NULL,
    termination_date    DATE,
    termination_reason  VARCHAR,
    ssn_last4           VARCHAR,
    first_name          VARCHAR,
    last_name           VARCHAR,
    ownership_pct       DECIMAL(5, 2),
    -- years of vesting service credited before the plan's records (census)
    prior_vesting_years INTEGER,
    spouse_date_of_birth DATE,
    spouse_is_sole_beneficiary BOOLEAN,
    -- mailing address from census files, for letters (personal data: never logged)
    address_line1       VARCHAR,
    address_line2       VARCHAR,
    city                VARCHAR,
    state               VARCHAR,
    postal_code         VARCHAR,
    facts_as_of         DATE NOT NULL,
    updated_batch_id    VARCHAR NOT NULL
    -- No key, like ytd_totals (why: sql/ddl/060_ytd_totals.sql); sql/checks/state_keys_unique.sql proves the grain.
);
