-- The plan's uses of its forfeiture account, as an administrator records them (`planadmin forfeitures use`): what
-- part of a plan year's forfeited money of a source was used, on which date and how: to pay plan expenses, to
-- reduce employer contributions, or allocated to participants (Treas. Reg. 1.401-7, proposed 2023). Append only:
-- a correction is a new use (negative amount: a use reversed), never an update. use_id is a hash of the row's
-- business key, so recording the same use twice records it once. Grain: one use.
CREATE TABLE IF NOT EXISTS forfeiture_uses (
    use_id       VARCHAR PRIMARY KEY,
    plan_id      VARCHAR NOT NULL,
    -- the plan year the forfeited money arose in (forfeiture_account.plan_year)
    plan_year    INTEGER NOT NULL,
    source       VARCHAR NOT NULL,
    used_on      DATE NOT NULL,
    use          VARCHAR NOT NULL
        CHECK (use IN ('plan_expenses', 'reduce_employer_contributions', 'allocate', 'reversal')),
    amount       DECIMAL(18, 2) NOT NULL CHECK (amount <> 0),
    reference    VARCHAR,
    recorded_at  TIMESTAMP NOT NULL,
    CHECK ((use = 'reversal') = (amount < 0))
);
