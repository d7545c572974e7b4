-- Earlier versions of rmd_notices rows: when a run's figures for a person and distribution year differ from the
-- current row's (a later distribution, a corrected balance or date of birth, a deadline passed), or the row no
-- longer applies, the current row is copied here first, with why (`change`: 'changed', the new figures are in
-- rmd_notices, or 'withdrawn', no longer computed), the as-of date and the run that replaced it. Append only.
-- Its columns are rmd_notices' (defined once, there) and these three.
CREATE TABLE IF NOT EXISTS rmd_notice_history AS
SELECT *, NULL::VARCHAR AS change, NULL::DATE AS superseded_on, NULL::VARCHAR AS superseded_by_run
FROM rmd_notices
LIMIT 0
