-- Earlier versions of rmd_notices rows: when a run's figures for a person and distribution year differ from the
-- current row's (a later distribution, a corrected balance or date of birth, a deadline passed), or the row no
-- longer applies, the current row is copied here first, with the as-of date and run that replaced it.
-- Append only.
CREATE TABLE IF NOT EXISTS rmd_notice_history (
    plan_id                  VARCHAR NOT NULL,
    employee_id              VARCHAR NOT NULL,
    distribution_year        INTEGER NOT NULL,
    age                      INTEGER NOT NULL,
    spouse_age               INTEGER,
    applicable_age           VARCHAR NOT NULL,
    first_distribution_year  INTEGER NOT NULL,
    required_beginning_date  DATE NOT NULL,
    deadline                 DATE NOT NULL,
    prior_year_end_balance   DECIMAL(18, 2) NOT NULL,
    distribution_period      DECIMAL(4, 1) NOT NULL,
    table_used               VARCHAR NOT NULL,
    rmd_amount               DECIMAL(18, 2) NOT NULL,
    taken                    DECIMAL(18, 2) NOT NULL,
    remaining                DECIMAL(18, 2) NOT NULL,
    excise_if_missed         DECIMAL(18, 2) NOT NULL,
    excise_if_corrected      DECIMAL(18, 2) NOT NULL,
    status                   VARCHAR NOT NULL,
    computed_on              DATE NOT NULL,
    run_id                   VARCHAR NOT NULL,
    -- why it was replaced: 'changed' (the new figures are in rmd_notices) or 'withdrawn' (no longer applies)
    change                   VARCHAR NOT NULL CHECK (change IN ('changed', 'withdrawn')),
    superseded_on            DATE NOT NULL,
    superseded_by_run        VARCHAR NOT NULL
);
