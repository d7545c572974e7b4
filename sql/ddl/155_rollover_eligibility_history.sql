-- Earlier rows of rollover_eligibility: a row a later run changed ('changed': the new one is current) or no longer
-- computes ('withdrawn': paid out, rehired), copied here first with the as-of date and run that replaced it, so an
-- administrator sees when someone changed category. Append only. Its columns are the report's and these three.
CREATE TABLE IF NOT EXISTS rollover_eligibility_history AS
SELECT *, NULL::VARCHAR AS change, NULL::DATE AS superseded_on, NULL::VARCHAR AS superseded_by_run
FROM rollover_eligibility
LIMIT 0
