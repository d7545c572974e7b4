-- Derived state: year-to-date totals per person and plan year, updated in the same transaction as the ledger
-- rows they summarise, so a night reads only the people in its file instead of re-reading history.
-- sql/checks/ytd_totals_match_ledger.sql proves it equals the ledger.
CREATE TABLE IF NOT EXISTS ytd_totals (
    plan_id              VARCHAR NOT NULL,
    employee_id          VARCHAR NOT NULL,
    plan_year            INTEGER NOT NULL,
    regular_deferral     DECIMAL(18, 2) NOT NULL,
    -- 402(g) room used: regular deferrals as filled, including any part 415(c) then cut, so the room is used
    -- the same whether a year arrives in one file or in many
    regular_room_used    DECIMAL(18, 2) NOT NULL,
    catch_up_deferral    DECIMAL(18, 2) NOT NULL,
    employer_match       DECIMAL(18, 2) NOT NULL,
    nonelective          DECIMAL(18, 2) NOT NULL,
    match_true_up        DECIMAL(18, 2) NOT NULL,
    -- 415(c) annual additions: regular deferrals + match + true-up + nonelective (catch-up excluded)
    annual_additions     DECIMAL(18, 2) NOT NULL,
    plan_compensation    DECIMAL(18, 2) NOT NULL,
    gross_pay            DECIMAL(18, 2) NOT NULL,
    hours_worked         DECIMAL(12, 2) NOT NULL,
    last_pay_date        DATE,
    true_up_posted_on    DATE
    -- No key: a unique index costs more to keep than the table itself (measured at 100,000 employees: the state's
    -- indexes were 38 MB of a 144 MB year, and each night's upsert paid their upkeep at commit). Writes are MERGEs
    -- of one row per key; sql/checks/state_keys_unique.sql proves the grain.
);
