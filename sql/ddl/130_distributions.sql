-- Audit record: one row per distribution posted from a distributions file. Each posts one negative
-- `distribution` ledger entry (entry_type distribution, the source, on paid_date) in the same transaction; this
-- row keeps what the entry does not: why it was paid and the tax withheld. One per person, source and paid
-- date (a second row for the same key, in any file, is rejected as already posted).
CREATE TABLE IF NOT EXISTS distributions (
    plan_id              VARCHAR NOT NULL,
    employee_id          VARCHAR NOT NULL,
    paid_date            DATE NOT NULL,
    source               VARCHAR NOT NULL,
    distribution_type    VARCHAR NOT NULL,
    gross_amount         DECIMAL(18, 2) NOT NULL CHECK (gross_amount > 0),
    federal_withholding  DECIMAL(18, 2) NOT NULL CHECK (federal_withholding >= 0),
    state_withholding    DECIMAL(18, 2) NOT NULL CHECK (state_withholding >= 0),
    -- paid to the person (or rolled over): gross less withholding
    net_amount           DECIMAL(18, 2) NOT NULL,
    batch_id             VARCHAR NOT NULL,
    line_number          INTEGER NOT NULL,
    PRIMARY KEY (plan_id, employee_id, paid_date, source),
    CHECK (net_amount = gross_amount - federal_withholding - state_withholding)
);
