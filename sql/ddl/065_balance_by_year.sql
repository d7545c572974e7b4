-- Derived state: the net change of each person's balance per plan, source and calendar year of the entries'
-- effective dates, kept in the same transaction as the entries (like ytd_totals), so a balance at a year-end
-- or now is a sum over a person's few rows instead of over history (see the year_end_balances view), and
-- their first entry's date a min over them.
-- sql/checks/balance_by_year_matches_ledger.sql proves it equals the ledger.
CREATE TABLE IF NOT EXISTS balance_by_year (
    plan_id      VARCHAR NOT NULL,
    employee_id  VARCHAR NOT NULL,
    source       VARCHAR NOT NULL,
    year         INTEGER NOT NULL,
    net_change   DECIMAL(18, 2) NOT NULL,
    entries      BIGINT NOT NULL,
    -- the earliest effective date among them (a person's first money here, without reading the ledger)
    first_effective_date DATE NOT NULL
    -- No key, like ytd_totals (why: sql/ddl/060_ytd_totals.sql); sql/checks/state_keys_unique.sql proves the grain.
    -- Rows are inserted a year at a time, so a night's MERGE, whose changes fall in one or two years, reads only
    -- the row groups of those years (their zone maps).
);
