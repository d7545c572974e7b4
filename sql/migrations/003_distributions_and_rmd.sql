-- Migration 3: money out, RMD notices and the rollover-eligibility report. Runs inside the upgrade's one
-- transaction, after sql/ddl/ has created the new tables (distributions, rmd_notices, rmd_notice_history,
-- rollover_eligibility, rollover_eligibility_history). Participants gain the census's optional
-- mailing address (empty until a census with those columns arrives); nothing else changes.
ALTER TABLE participants ADD COLUMN address_line1 VARCHAR;
ALTER TABLE participants ADD COLUMN address_line2 VARCHAR;
ALTER TABLE participants ADD COLUMN city VARCHAR;
ALTER TABLE participants ADD COLUMN state VARCHAR;
ALTER TABLE participants ADD COLUMN postal_code VARCHAR;
