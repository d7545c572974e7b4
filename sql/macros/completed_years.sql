-- completed_years(on_date, since): whole years from since to on_date, the anniversary completing a year (a 29
-- February start completes it on 1 March in other years), as schemas.payroll.age_at counts ages and service.
CREATE OR REPLACE MACRO completed_years(on_date, since) AS
    year(on_date) - year(since)
    - CASE WHEN month(on_date) * 100 + day(on_date) < month(since) * 100 + day(since) THEN 1 ELSE 0 END
