-- One row per termination processed: the vesting computed on the run's as-of date (processed_on) and what was
-- forfeited. The forfeited amount is posted in the same transaction as negative `forfeiture` ledger entries,
-- one per employer source; employee money is always 100% vested and not counted here. vesting_basis is
-- schedule, or death, disability, normal_retirement_age or prior_recordkeeper (a termination before any money on
-- record here: the stated balance is kept), which vest 100%. A termination date that
-- later changes or is withdrawn is reported in `notices`, never processed again.
CREATE TABLE IF NOT EXISTS terminations (
    plan_id                  VARCHAR NOT NULL,
    employee_id              VARCHAR NOT NULL,
    termination_date         DATE NOT NULL,
    termination_reason       VARCHAR,
    years_of_service         INTEGER NOT NULL,
    vested_pct               DECIMAL(5, 2) NOT NULL CHECK (vested_pct BETWEEN 0 AND 100),
    vesting_basis            VARCHAR NOT NULL,
    employer_balance         DECIMAL(18, 2) NOT NULL,
    vested_employer_balance  DECIMAL(18, 2) NOT NULL,
    forfeited_amount         DECIMAL(18, 2) NOT NULL,
    processed_on             DATE NOT NULL,
    batch_id                 VARCHAR NOT NULL,
    PRIMARY KEY (plan_id, employee_id, termination_date)
);
