-- The current required-minimum-distribution notice per person and distribution year, recomputed by every run for
-- its as-of date (the as-of year and the one before; older years keep their last figures). See
-- pipelines/rules/rmd.py for the rules and sql/seeds/ for the tables. A row whose figures change moves its
-- earlier version to rmd_notice_history. Amounts in dollars; distribution_period in years; ages are those reached
-- in the distribution year (spouse_age only when the Joint and Last Survivor Table was used).
CREATE TABLE IF NOT EXISTS rmd_notices (
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
    table_used               VARCHAR NOT NULL CHECK (table_used IN ('uniform_lifetime', 'joint_and_last_survivor')),
    rmd_amount               DECIMAL(18, 2) NOT NULL,
    taken                    DECIMAL(18, 2) NOT NULL,
    remaining                DECIMAL(18, 2) NOT NULL CHECK (remaining >= 0),
    excise_if_missed         DECIMAL(18, 2) NOT NULL,
    excise_if_corrected      DECIMAL(18, 2) NOT NULL,
    status                   VARCHAR NOT NULL CHECK (status IN ('due', 'satisfied', 'overdue')),
    computed_on              DATE NOT NULL,
    run_id                   VARCHAR NOT NULL,
    PRIMARY KEY (plan_id, employee_id, distribution_year)
);
