-- report_year(): the plan year the per-year report views answer for: the session variable year
-- (`SET VARIABLE year = 2025`), else the year of report_as_of().
CREATE OR REPLACE MACRO report_year() AS coalesce(CAST(getvariable('year') AS INTEGER), year(report_as_of()))
