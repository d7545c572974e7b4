-- The ledger's entries that do not come from a payroll row, one row per amount: true-ups (contribution,
-- match_true_up), opening balances and earnings (balance statements), forfeitures, distributions. Append only
-- (never UPDATE or DELETE; corrections are new entries). Payroll amounts are in payroll_postings, one wide row
-- per payroll line; the `ledger` view (sql/views/) is the union of both, one row per amount, which is what
-- users query. entry_id is the entry_id() macro of the business key, computed when the row is written; no
-- index keeps the append path lean, and sql/checks/ledger_entry_id_unique.sql proves uniqueness after every run.
CREATE TABLE IF NOT EXISTS ledger_entries (
    entry_id        VARCHAR NOT NULL,
    plan_id         VARCHAR NOT NULL,
    employee_id     VARCHAR NOT NULL,
    effective_date  DATE NOT NULL,
    plan_year       INTEGER NOT NULL,
    entry_type      VARCHAR NOT NULL
        CHECK (entry_type IN ('contribution', 'opening_balance', 'earnings', 'forfeiture', 'distribution')),
    source          VARCHAR NOT NULL,
    amount          DECIMAL(18, 2) NOT NULL,
    batch_id        VARCHAR NOT NULL,
    line_number     INTEGER
);
