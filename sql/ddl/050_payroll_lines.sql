-- Audit record of every accepted payroll row: what the employer sent and what the rules made of it. Later
-- rules (true-up, prior-year FICA wages, hours-based vesting) read it; it is append only like the ledger.
CREATE TABLE IF NOT EXISTS payroll_lines (
    plan_id                 VARCHAR NOT NULL,
    employee_id             VARCHAR NOT NULL,
    pay_date                DATE NOT NULL,
    plan_year               INTEGER NOT NULL,
    batch_id                VARCHAR NOT NULL,
    line_number             INTEGER NOT NULL,
    gross_pay               DECIMAL(18, 2) NOT NULL,
    plan_compensation       DECIMAL(18, 2) NOT NULL,
    -- plan compensation counted under the year's 401(a)(17) limit, year to date
    counted_compensation    DECIMAL(18, 2) NOT NULL,
    pretax_deferral_pct     DECIMAL(5, 2) NOT NULL,
    roth_deferral_pct       DECIMAL(5, 2) NOT NULL,
    pretax_elected          DECIMAL(18, 2) NOT NULL,
    roth_elected            DECIMAL(18, 2) NOT NULL,
    not_deferred            DECIMAL(18, 2) NOT NULL,
    catch_up_limit          DECIMAL(18, 2) NOT NULL,
    -- prior-year FICA wages the Roth catch-up rule used (file column, else the ledger's prior-year gross pay)
    prior_year_wages_used   DECIMAL(18, 2),
    is_roth_catch_up_only   BOOLEAN NOT NULL,
    hours_worked            DECIMAL(9, 2),
    prior_year_fica_wages   DECIMAL(18, 2),
    ownership_pct           DECIMAL(5, 2)
);
