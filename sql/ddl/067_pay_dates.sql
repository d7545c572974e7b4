-- Derived state: each plan's pay dates and how many payroll lines each has, kept in the same transaction as the
-- payroll_postings rows they count (schema 7). The pay calendar (views pay_schedules, expected_pay_dates) reads
-- these few hundred rows instead of every payroll line ever posted, so a night's calendar costs the same on ten
-- years of history as on one. sql/checks/pay_dates_match_postings.sql proves it equals payroll_postings.
-- Grain: one plan and pay date.
CREATE TABLE IF NOT EXISTS pay_dates (
    plan_id        VARCHAR NOT NULL,
    pay_date       DATE NOT NULL,
    payroll_lines  BIGINT NOT NULL
    -- No key, like ytd_totals (why: sql/ddl/060_ytd_totals.sql); sql/checks/state_keys_unique.sql proves the grain.
);
