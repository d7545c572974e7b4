-- nth_business_day(first_day, n): the n-th Monday-to-Friday on or after first_day (n >= 1; federal holidays are
-- not excluded, so the date is never later than one that excluded them). A month holds at least 20 such days.
CREATE OR REPLACE MACRO nth_business_day(first_day, n) AS
    CAST([d FOR d IN generate_series(CAST(first_day AS TIMESTAMP), CAST(first_day AS TIMESTAMP)
                                     + to_days(CAST(n * 2 + 7 AS INTEGER)), INTERVAL 1 DAY)
          IF isodow(d) <= 5][n] AS DATE)
