-- The rollover-eligibility report: one row per leaver (a termination in force dated on or before the as-of date,
-- processed, or not yet: vesting_pending, vested balance estimated by the plan's schedule) whose vested balance
-- is above zero, rebuilt per plan by every run for its as-of date (pipelines/rules/rollover.py). Amounts in dollars;
-- the *_if_cashed_out columns are what paying the whole vested balance in cash would cost now.
CREATE TABLE IF NOT EXISTS rollover_eligibility (
    plan_id                    VARCHAR NOT NULL,
    employee_id                VARCHAR NOT NULL,
    as_of                      DATE NOT NULL,
    termination_date           DATE NOT NULL,
    termination_reason         VARCHAR,
    vesting_pending            BOOLEAN NOT NULL,
    age_at_as_of               INTEGER NOT NULL,
    vested_balance             DECIMAL(18, 2) NOT NULL,
    roth_balance               DECIMAL(18, 2) NOT NULL,
    roth_basis                 DECIMAL(18, 2) NOT NULL,
    rollover_balance           DECIMAL(18, 2) NOT NULL,
    -- the RMD still to take: never an eligible rollover distribution
    rmd_due                    DECIMAL(18, 2) NOT NULL,
    eligible_rollover_amount   DECIMAL(18, 2) NOT NULL,
    category                   VARCHAR NOT NULL
        CHECK (category IN ('rmd_first', 'cash_out', 'automatic_rollover', 'consent_required')),
    early_penalty_applies      BOOLEAN NOT NULL,
    taxable_if_cashed_out      DECIMAL(18, 2) NOT NULL,
    withholding_if_cashed_out  DECIMAL(18, 2) NOT NULL,
    penalty_if_cashed_out      DECIMAL(18, 2) NOT NULL,
    net_if_cashed_out          DECIMAL(18, 2) NOT NULL,
    run_id                     VARCHAR NOT NULL,
    PRIMARY KEY (plan_id, employee_id)
);
