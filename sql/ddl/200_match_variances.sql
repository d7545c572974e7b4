-- Payroll lines whose remitted match (the file's match_amount: what the employer computed and sent) differs from
-- the match planadmin computed and posted, by a cent or more. difference = remitted_match - computed_match: above
-- zero the employer sent more than the plan's formula gives (credit it or hold it), below zero it owes the rest.
-- The ledger posts the computed match; this table is what to settle with the employer. Append only.
-- Grain: one payroll line with a variance.
CREATE TABLE IF NOT EXISTS match_variances (
    plan_id         VARCHAR NOT NULL,
    employee_id     VARCHAR NOT NULL,
    pay_date        DATE NOT NULL,
    plan_year       INTEGER NOT NULL,
    batch_id        VARCHAR NOT NULL,
    line_number     INTEGER NOT NULL,
    remitted_match  DECIMAL(18, 2) NOT NULL,
    computed_match  DECIMAL(18, 2) NOT NULL,
    difference      DECIMAL(18, 2) NOT NULL
);
