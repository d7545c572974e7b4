-- entry_id(...): a ledger entry's idempotency key, a hash of its business key, JSON-encoded so no separator can
-- make two keys collide. The plan year is part of the key (a true-up for two years can be posted on one day).
-- A forfeiture's key also holds its batch: a later run on the same as-of date may forfeit money posted since
-- (each batch's forfeitures are computed from what the ledger holds, so re-running never forfeits twice).
CREATE OR REPLACE MACRO entry_id(entry_type, plan_id, employee_id, plan_year, effective_date, source, batch_id) AS
    left(sha256(to_json([entry_type, plan_id, employee_id, CAST(plan_year AS VARCHAR),
                         CAST(effective_date AS VARCHAR), source,
                         CASE WHEN entry_type = 'forfeiture' THEN batch_id END])), 32)
