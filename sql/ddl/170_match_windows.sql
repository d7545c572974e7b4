-- The match window of every active participant for the rest of their year, as of the last run (rebuilt per plan
-- every run; pipelines/rules/match_window.py): the lowest deferral rate that earns the whole match every remaining
-- pay period, the highest at which reaching the 402(g) limit (plus catch-up, when the plan matches it) costs no
-- match (the room is not used up before the year's last pay date, and what is left still earns that date's full
-- match), the current rate and where it falls (no_window with a note: no match, no pay dates left, no pay, the
-- 401(a)(17) limit reached, or the limit reached too early), and the match the current rate earns, loses to the
-- limit (none when the plan has a true-up) and leaves uncaptured. Active: paid in the plan's latest payroll,
-- with no termination in force. Rates are percents (6 = 6%). Grain: one active participant.
CREATE TABLE IF NOT EXISTS match_windows (
    plan_id                      VARCHAR NOT NULL,
    employee_id                  VARCHAR NOT NULL,
    plan_year                    INTEGER NOT NULL,
    as_of                        DATE NOT NULL,
    pay_frequency                VARCHAR NOT NULL,
    remaining_pay_dates          INTEGER NOT NULL,
    next_pay_date                DATE,
    last_pay_date_of_year        DATE,
    period_compensation          DECIMAL(18, 2) NOT NULL,
    current_rate_pct             DECIMAL(5, 2) NOT NULL,
    min_full_match_rate_pct      DECIMAL(5, 2),
    max_rate_within_limit_pct    DECIMAL(5, 2),
    status                       VARCHAR NOT NULL
        CHECK (status IN ('below_window', 'in_window', 'above_window', 'no_window')),
    window_note                  VARCHAR,
    match_at_current_rate        DECIMAL(18, 2) NOT NULL,
    full_match                   DECIMAL(18, 2) NOT NULL,
    match_lost                   DECIMAL(18, 2) NOT NULL,
    match_uncaptured             DECIMAL(18, 2) NOT NULL,
    limit_reached_on             DATE,
    run_id                       VARCHAR NOT NULL
    -- One row per (plan_id, employee_id), proven by sql/checks/calculator_rows_unique.sql rather than a key: a
    -- night replaces a plan's rows, and a primary key's index made that commit cost 0.7 s a plan of 25,000 people.
);
