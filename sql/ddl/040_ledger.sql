-- The contribution ledger: append only (never UPDATE or DELETE; corrections are new entries). entry_id is a
-- hash of the entry's business key (entry type, plan, employee, plan year, effective date, source), so
-- posting the same payroll period twice is impossible by construction and a re-run posts nothing. No index:
-- the append path stays lean, and sql/checks/ledger_entry_id_unique.sql proves uniqueness after every run.
-- entry_type: contribution (what the payroll and true-up rules post), opening_balance and earnings (a balance
-- statement: the first for a person and source, then gains and losses), forfeiture (the non-vested employer
-- money of a leaver, negative), distribution (reserved for payouts).
CREATE TABLE IF NOT EXISTS ledger (
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
