-- Who hit which annual limit and when, and every change a limit forced. limit_name is one of:
--   402g, catch_up, 401a17, 415c with source and amount NULL: the running total reached the limit that day;
--   415c with a source: that amount of that source was cut to keep annual additions within 415(c);
--   roth_catch_up (source pretax_catchup): pre-tax catch-up deemed Roth ("convert") or not deferred ("stop");
--   excess_deferral (source excess_deferral): a withheld amount beyond the 402(g) + catch-up room (the limit
--   amount) or cut by 415(c), held for refund.
CREATE TABLE IF NOT EXISTS limit_events (
    plan_id       VARCHAR NOT NULL,
    employee_id   VARCHAR NOT NULL,
    plan_year     INTEGER NOT NULL,
    limit_name    VARCHAR NOT NULL,
    reached_on    DATE NOT NULL,
    limit_amount  DECIMAL(18, 2),
    source        VARCHAR,
    amount        DECIMAL(18, 2),
    batch_id      VARCHAR NOT NULL,
    line_number   INTEGER
);
