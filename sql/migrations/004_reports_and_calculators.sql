-- Migration 4: reports and calculators. Runs inside the upgrade's one transaction, after sql/ddl/ has created the
-- new tables (plans, match_windows, projections: each filled by the next run; forfeiture_uses, empty until
-- an administrator records a use); the report views and the macros
-- they use are recreated at every read-write open, like every view. Nothing already stored changes.
SELECT count(*) FROM plans
