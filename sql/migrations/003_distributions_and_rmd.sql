-- Migration 3: money out, RMD notices and the rollover-eligibility report. Runs inside the upgrade's one
-- transaction, after sql/ddl/ has created the new tables (distributions, rmd_notices, rmd_notice_history,
-- rollover_eligibility, rollover_eligibility_history). Participants gain the census's optional
-- mailing address (empty until a census with those columns arrives), and balance_by_year is rebuilt keyed
-- (plan_id, year, employee_id, source), year first (see sql/ddl/065_balance_by_year.sql): same rows.
ALTER TABLE participants ADD COLUMN address_line1 VARCHAR;
ALTER TABLE participants ADD COLUMN address_line2 VARCHAR;
ALTER TABLE participants ADD COLUMN city VARCHAR;
ALTER TABLE participants ADD COLUMN state VARCHAR;
ALTER TABLE participants ADD COLUMN postal_code VARCHAR;
CREATE TABLE balance_by_year_rekeyed (
    plan_id      VARCHAR NOT NULL,
    employee_id  VARCHAR NOT NULL,
    source       VARCHAR NOT NULL,
    year         INTEGER NOT NULL,
    net_change   DECIMAL(18, 2) NOT NULL,
    entries      BIGINT NOT NULL,
    first_effective_date DATE NOT NULL,
    PRIMARY KEY (plan_id, year, employee_id, source)
);
INSERT INTO balance_by_year_rekeyed SELECT * FROM balance_by_year ORDER BY plan_id, year, employee_id, source;
DROP TABLE balance_by_year;
ALTER TABLE balance_by_year_rekeyed RENAME TO balance_by_year;
