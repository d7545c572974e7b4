-- Adds a batch's per person-year increments (incoming, one row per key) to ytd_totals, in the batch's transaction.
-- reads: none
-- writes: ytd_totals
MERGE INTO ytd_totals t USING incoming i
    ON t.plan_id = i.plan_id AND t.employee_id = i.employee_id AND t.plan_year = i.plan_year
WHEN MATCHED THEN UPDATE SET
    regular_deferral = t.regular_deferral + i.regular_deferral,
    regular_room_used = t.regular_room_used + i.regular_room_used,
    catch_up_deferral = t.catch_up_deferral + i.catch_up_deferral,
    employer_match = t.employer_match + i.employer_match,
    nonelective = t.nonelective + i.nonelective,
    match_true_up = t.match_true_up + i.match_true_up,
    annual_additions = t.annual_additions + i.annual_additions,
    plan_compensation = t.plan_compensation + i.plan_compensation,
    gross_pay = t.gross_pay + i.gross_pay,
    hours_worked = t.hours_worked + i.hours_worked,
    last_pay_date = greatest(t.last_pay_date, i.last_pay_date),
    true_up_posted_on = coalesce(t.true_up_posted_on, i.true_up_posted_on)
WHEN NOT MATCHED THEN INSERT BY NAME
