-- Audit record: every accepted row of a balances file, with the ledger's balance for the person and source on
-- as_of_date before it and the entry posted to make the two equal (amount 0: nothing posted). A statement must
-- be newer than any already imported for the person and source.
CREATE TABLE IF NOT EXISTS balance_statements (
    plan_id            VARCHAR NOT NULL,
    employee_id        VARCHAR NOT NULL,
    source             VARCHAR NOT NULL,
    as_of_date         DATE NOT NULL,
    statement_balance  DECIMAL(18, 2) NOT NULL,
    ledger_balance     DECIMAL(18, 2) NOT NULL,
    amount             DECIMAL(18, 2) NOT NULL,
    entry_type         VARCHAR NOT NULL CHECK (entry_type IN ('opening_balance', 'earnings')),
    batch_id           VARCHAR NOT NULL,
    line_number        INTEGER NOT NULL,
    PRIMARY KEY (plan_id, employee_id, source, as_of_date)
);
