-- The plans' rules as the last run read them from PLANS/<plan_id>.toml (one row per plan, replaced at the start of
-- every run), so SQL sees what the code used: match tiers, catch-up, true-up, nonelective, vesting schedule and
-- method, distributions limits. A plan file that leaves a section out gets its defaults, shown here. Percents are
-- as written in the plan file (6 = 6%). Grain: one plan.
CREATE TABLE IF NOT EXISTS plans (
    plan_id                           VARCHAR PRIMARY KEY,
    name                              VARCHAR NOT NULL,
    -- [match]: tier n matches rate_pct % of the deferral between tier n-1's up_to_pct and its own, % of pay
    match_tiers                       STRUCT(up_to_pct DECIMAL(5, 2), rate_pct DECIMAL(7, 2))[] NOT NULL,
    match_catch_up                    BOOLEAN NOT NULL,
    -- the lowest deferral percent that earns the whole match each pay period (the last tier's up_to_pct)
    full_match_deferral_pct           DECIMAL(5, 2),
    catch_up_enabled                  BOOLEAN NOT NULL,
    catch_up_age_60_63                BOOLEAN NOT NULL,
    roth_catch_up_for_high_earners    VARCHAR NOT NULL,
    true_up_enabled                   BOOLEAN NOT NULL,
    true_up_on                        VARCHAR NOT NULL,
    true_up_requires_last_day_employment BOOLEAN NOT NULL,
    true_up_min_hours                 DECIMAL(9, 2) NOT NULL,
    nonelective_pct                   DECIMAL(5, 2) NOT NULL,
    -- vesting_schedule[n + 1]: vested percent after n completed years (DuckDB lists start at 1); the last holds
    vesting_schedule                  DECIMAL(5, 2)[] NOT NULL,
    vesting_method                    VARCHAR NOT NULL,
    normal_retirement_age             INTEGER NOT NULL,
    cash_out_limit                    DECIMAL(18, 2) NOT NULL,
    force_out_limit                   DECIMAL(18, 2) NOT NULL,
    exclude_rollovers_from_force_out  BOOLEAN NOT NULL,
    plan_file_sha256                  VARCHAR NOT NULL,
    loaded_as_of                      DATE NOT NULL,
    run_id                            VARCHAR NOT NULL
);
