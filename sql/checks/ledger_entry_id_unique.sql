-- entry_id is the idempotency key: a duplicate means something was posted twice. Ids are the entry_id() hash of
-- the business key, so they are unique when keys are, and keys are compared without hashing on read: a payroll
-- line's amounts are one per source of its (plan, person, pay date) row, which must be unique; the other
-- entries' stored ids must be unique and be their key's hash; and no other entry may have the entry type a payroll
-- amount in its source has (payroll_entry_type(): its key could equal a payroll amount's). Keys hold the plan and plan year, so only the
-- pairs in check_years are read.
WITH duplicate_lines AS (
    SELECT 'payroll line posted twice' AS problem, plan_id, employee_id, CAST(pay_date AS VARCHAR) AS key,
           count(*) AS copies
    FROM payroll_postings
    SEMI JOIN check_years USING (plan_id, plan_year)
    GROUP BY plan_id, employee_id, pay_date
    HAVING count(*) > 1
),
entries AS (
    SELECT * FROM ledger_entries SEMI JOIN check_years USING (plan_id, plan_year)
),
duplicate_ids AS (
    SELECT 'entry posted twice', plan_id, employee_id, entry_id, count(*)
    FROM entries
    GROUP BY plan_id, employee_id, entry_id
    HAVING count(*) > 1
),
wrong_ids AS (
    SELECT 'entry_id is not its key''s hash', plan_id, employee_id, entry_id, 1
    FROM entries
    WHERE entry_id <> entry_id(entry_type, plan_id, employee_id, plan_year, effective_date, source, batch_id)
),
payroll_source_entries AS (
    SELECT 'payroll-type entry in a payroll source', plan_id, employee_id, entry_id, 1
    FROM entries e
    JOIN money_sources s USING (source)
    WHERE e.entry_type = payroll_entry_type(e.source) AND s.from_payroll
)
SELECT * FROM duplicate_lines
UNION ALL SELECT * FROM duplicate_ids
UNION ALL SELECT * FROM wrong_ids
UNION ALL SELECT * FROM payroll_source_entries
