-- One row per accepted payroll line: what the employer sent, what the rules made of it, and the amounts it
-- posted, one column per money source (zero when none). Append only, like the ledger: the `ledger` view
-- unpivots the non-zero amounts into entries (contribution, or loan_repayment for a loan repayment), and the
-- `payroll_lines` view shows the line without them. One row per (plan_id, employee_id, pay_date), proven by
-- sql/checks/ledger_entry_id_unique.sql. Written once per line: this is the ledger's high-volume table.
CREATE TABLE IF NOT EXISTS payroll_postings (
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
    -- each deferral as the file gave it: an elected percent, or the amount payroll withheld (then the percent is
    -- NULL; a row with neither for Roth elected 0%)
    pretax_deferral_pct     DECIMAL(5, 2),
    roth_deferral_pct       DECIMAL(5, 2),
    pretax_elected          DECIMAL(18, 2) NOT NULL,
    roth_elected            DECIMAL(18, 2) NOT NULL,
    -- elected by percent but not deferred (the limits stopped it; never withheld). A withheld amount the limits
    -- turn away is the excess_deferral amount instead: elected = deferred + not_deferred + excess_deferral.
    not_deferred            DECIMAL(18, 2) NOT NULL,
    catch_up_limit          DECIMAL(18, 2) NOT NULL,
    -- prior-year FICA wages the Roth catch-up rule used (file column, else the ledger's prior-year gross pay)
    prior_year_wages_used   DECIMAL(18, 2),
    is_roth_catch_up_only   BOOLEAN NOT NULL,
    hours_worked            DECIMAL(9, 2),
    prior_year_fica_wages   DECIMAL(18, 2),
    ownership_pct           DECIMAL(5, 2),
    -- what the line posted, per money source (sql/seeds/money_sources.csv)
    pretax                  DECIMAL(18, 2) NOT NULL,
    roth                    DECIMAL(18, 2) NOT NULL,
    pretax_catchup          DECIMAL(18, 2) NOT NULL,
    roth_catchup            DECIMAL(18, 2) NOT NULL,
    "match"                 DECIMAL(18, 2) NOT NULL,
    nonelective             DECIMAL(18, 2) NOT NULL,
    loan_repayment          DECIMAL(18, 2) NOT NULL,
    -- withheld beyond the 402(g)/catch-up or 415(c) limit, held for refund (schema 5)
    excess_deferral         DECIMAL(18, 2) NOT NULL DEFAULT 0,
    pretax_deferral_amount  DECIMAL(18, 2),
    roth_deferral_amount    DECIMAL(18, 2)
);
