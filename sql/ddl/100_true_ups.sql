-- One row per person and plan year whose year-end match true-up was computed (zero and ineligible
-- included), so each is computed once. The amount posted is in the ledger as source match_true_up.
CREATE TABLE IF NOT EXISTS true_ups (
    plan_id               VARCHAR NOT NULL,
    employee_id           VARCHAR NOT NULL,
    plan_year             INTEGER NOT NULL,
    annual_compensation   DECIMAL(18, 2) NOT NULL,
    counted_compensation  DECIMAL(18, 2) NOT NULL,
    matchable_deferral    DECIMAL(18, 2) NOT NULL,
    formula_match         DECIMAL(18, 2) NOT NULL,
    period_match          DECIMAL(18, 2) NOT NULL,
    reduced_415c          DECIMAL(18, 2) NOT NULL,
    true_up               DECIMAL(18, 2) NOT NULL,
    ineligible_reason     VARCHAR,
    posted_on             DATE NOT NULL,
    batch_id              VARCHAR NOT NULL,
    PRIMARY KEY (plan_id, employee_id, plan_year)
);
