-- Migration 5: import profiles and withheld amounts. Runs inside the upgrade's one transaction, after sql/ddl/ has
-- created match_variances (empty until a payroll file carries match_amount). Payroll lines may now give withheld
-- deferral amounts instead of percents, and post a new source, excess_deferral; census files may give a rehire
-- date. Nothing already stored changes: every existing line keeps its percents and posted 0 in excess_deferral.
ALTER TABLE payroll_postings ALTER COLUMN pretax_deferral_pct DROP NOT NULL;
ALTER TABLE payroll_postings ALTER COLUMN roth_deferral_pct DROP NOT NULL;
-- (a database migrated from schema 1 got the table from sql/ddl/ with these columns already: IF NOT EXISTS)
ALTER TABLE payroll_postings ADD COLUMN IF NOT EXISTS excess_deferral DECIMAL(18, 2) DEFAULT 0;
ALTER TABLE payroll_postings ALTER COLUMN excess_deferral SET NOT NULL;
ALTER TABLE payroll_postings ADD COLUMN IF NOT EXISTS pretax_deferral_amount DECIMAL(18, 2);
ALTER TABLE payroll_postings ADD COLUMN IF NOT EXISTS roth_deferral_amount DECIMAL(18, 2);
ALTER TABLE census_lines ADD COLUMN IF NOT EXISTS rehire_date DATE;
