-- The as-of date of the last completed run (null before any): what "as of the last run" means. Params: none.
-- reads: runs
SELECT max(as_of) AS as_of FROM runs WHERE status = 'completed'
