-- report_as_of(): the date the report views (sql/reports/, views report_<name>) answer for: the session variable
-- as_of (`SET VARIABLE as_of = DATE '2025-12-31'`), else the as-of date of the last completed run, else today.
CREATE OR REPLACE MACRO report_as_of() AS coalesce(
    CAST(getvariable('as_of') AS DATE),
    (SELECT max(as_of) FROM runs WHERE status = 'completed'),
    current_date
)
