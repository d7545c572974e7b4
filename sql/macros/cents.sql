-- cents(amount): a DECIMAL(·,2) amount in dollars as an exact BIGINT count of cents (or a DECIMAL(·,2) hours or
-- percent as hundredths). The one place SQL turns dollars into cents.
CREATE OR REPLACE MACRO cents(amount) AS CAST(amount * 100 AS BIGINT)
