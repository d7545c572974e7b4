-- dollars(cents): a BIGINT count of cents as an exact DECIMAL(18,2) amount (no DOUBLE on the way: `/` would
-- make one). The inverse of cents().
CREATE OR REPLACE MACRO dollars(amount_cents) AS CAST(CAST(amount_cents AS DECIMAL(18, 0)) * 0.01 AS DECIMAL(18, 2))
