-- Migration 7: the pay-date state. Runs inside the upgrade's one transaction, after sql/ddl/ has created
-- pay_dates (empty): it is filled from the payroll lines already posted. Nothing else stored changes, and the
-- calendar views answer as before (they now read pay_dates).
INSERT INTO pay_dates
SELECT plan_id, pay_date, count(*) AS payroll_lines
FROM payroll_postings
GROUP BY plan_id, pay_date;
