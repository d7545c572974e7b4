-- Every active participant's projected balance at retirement and the income it supports, as of the last run
-- (rebuilt per plan every run; pipelines/rules/projection.py), under the assumptions in its own columns (the
-- defaults; `planadmin project` recomputes one person under others). Amounts at retirement are in future
-- dollars, *_today ones deflated to today's by the assumed inflation. Grain: one active participant.
CREATE TABLE IF NOT EXISTS projections (
    plan_id                      VARCHAR NOT NULL,
    employee_id                  VARCHAR NOT NULL,
    as_of                        DATE NOT NULL,
    retirement_age               INTEGER NOT NULL,
    annual_return_pct            DECIMAL(5, 2) NOT NULL,
    salary_growth_pct            DECIMAL(5, 2) NOT NULL,
    inflation_pct                DECIMAL(5, 2) NOT NULL,
    withdrawal_rate_pct          DECIMAL(5, 2) NOT NULL,
    annuity_years                INTEGER NOT NULL,
    annual_compensation          DECIMAL(18, 2) NOT NULL,
    deferral_rate_pct            DECIMAL(5, 2) NOT NULL,
    retirement_year              INTEGER NOT NULL,
    years_to_retirement          INTEGER NOT NULL,
    balance_now                  DECIMAL(18, 2) NOT NULL,
    contributions                DECIMAL(18, 2) NOT NULL,
    growth                       DECIMAL(18, 2) NOT NULL,
    balance_at_retirement        DECIMAL(18, 2) NOT NULL,
    balance_at_retirement_today  DECIMAL(18, 2) NOT NULL,
    yearly_income_withdrawal_rate DECIMAL(18, 2) NOT NULL,
    yearly_income_withdrawal_rate_today DECIMAL(18, 2) NOT NULL,
    yearly_annuity               DECIMAL(18, 2) NOT NULL,
    yearly_annuity_today         DECIMAL(18, 2) NOT NULL,
    run_id                       VARCHAR NOT NULL
    -- One row per (plan_id, employee_id), proven by sql/checks/calculator_rows_unique.sql rather than a key: a
    -- night replaces a plan's rows, and a primary key's index made that commit cost 0.7 s a plan of 25,000 people.
);
