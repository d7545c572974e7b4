-- Migration 7: the pay-date state, and the state tables without keys. Runs inside the upgrade's one transaction,
-- after sql/ddl/ has created pay_dates (empty): it is filled from the payroll lines already posted, so the calendar
-- views (which now read it) answer as before. ytd_totals, balance_by_year and participants are rebuilt without
-- their primary keys (same rows; DuckDB cannot drop a key in place): their indexes were a quarter of a year's
-- database and cost every night's commit; writes are MERGEs now, and sql/checks/state_keys_unique.sql proves
-- the grain.
INSERT INTO pay_dates
SELECT plan_id, pay_date, count(*) AS payroll_lines
FROM payroll_postings
GROUP BY plan_id, pay_date;
CREATE TABLE ytd_totals_unkeyed (
    plan_id              VARCHAR NOT NULL,
    employee_id          VARCHAR NOT NULL,
    plan_year            INTEGER NOT NULL,
    regular_deferral     DECIMAL(18, 2) NOT NULL,
    regular_room_used    DECIMAL(18, 2) NOT NULL,
    catch_up_deferral    DECIMAL(18, 2) NOT NULL,
    employer_match       DECIMAL(18, 2) NOT NULL,
    nonelective          DECIMAL(18, 2) NOT NULL,
    match_true_up        DECIMAL(18, 2) NOT NULL,
    annual_additions     DECIMAL(18, 2) NOT NULL,
    plan_compensation    DECIMAL(18, 2) NOT NULL,
    gross_pay            DECIMAL(18, 2) NOT NULL,
    hours_worked         DECIMAL(12, 2) NOT NULL,
    last_pay_date        DATE,
    true_up_posted_on    DATE
);
INSERT INTO ytd_totals_unkeyed BY NAME SELECT * FROM ytd_totals ORDER BY plan_id, plan_year, employee_id;
DROP TABLE ytd_totals;
ALTER TABLE ytd_totals_unkeyed RENAME TO ytd_totals;
CREATE TABLE balance_by_year_unkeyed (
    plan_id      VARCHAR NOT NULL,
    employee_id  VARCHAR NOT NULL,
    source       VARCHAR NOT NULL,
    year         INTEGER NOT NULL,
    net_change   DECIMAL(18, 2) NOT NULL,
    entries      BIGINT NOT NULL,
    first_effective_date DATE NOT NULL
);
INSERT INTO balance_by_year_unkeyed BY NAME SELECT * FROM balance_by_year ORDER BY plan_id, year, employee_id, source;
DROP TABLE balance_by_year;
ALTER TABLE balance_by_year_unkeyed RENAME TO balance_by_year;
CREATE TABLE participants_unkeyed (
    plan_id             VARCHAR NOT NULL,
    employee_id         VARCHAR NOT NULL,
    date_of_birth       DATE NOT NULL,
    hire_date           DATE NOT NULL,
    first_hire_date     DATE NOT NULL,
    termination_date    DATE,
    termination_reason  VARCHAR,
    ssn_last4           VARCHAR,
    first_name          VARCHAR,
    last_name           VARCHAR,
    ownership_pct       DECIMAL(5, 2),
    prior_vesting_years INTEGER,
    spouse_date_of_birth DATE,
    spouse_is_sole_beneficiary BOOLEAN,
    address_line1       VARCHAR,
    address_line2       VARCHAR,
    city                VARCHAR,
    state               VARCHAR,
    postal_code         VARCHAR,
    facts_as_of         DATE NOT NULL,
    updated_batch_id    VARCHAR NOT NULL
);
INSERT INTO participants_unkeyed BY NAME SELECT * FROM participants ORDER BY plan_id, employee_id;
DROP TABLE participants;
ALTER TABLE participants_unkeyed RENAME TO participants;
