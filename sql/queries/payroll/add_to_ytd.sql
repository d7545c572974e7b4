-- Adds a batch's per person-year increments (incoming) to ytd_totals, in the batch's transaction.
-- reads: none
-- writes: ytd_totals
INSERT INTO ytd_totals BY NAME SELECT * FROM incoming
ON CONFLICT (plan_id, employee_id, plan_year) DO UPDATE SET
    regular_deferral = ytd_totals.regular_deferral + excluded.regular_deferral,
    regular_room_used = ytd_totals.regular_room_used + excluded.regular_room_used,
    catch_up_deferral = ytd_totals.catch_up_deferral + excluded.catch_up_deferral,
    employer_match = ytd_totals.employer_match + excluded.employer_match,
    nonelective = ytd_totals.nonelective + excluded.nonelective,
    match_true_up = ytd_totals.match_true_up + excluded.match_true_up,
    annual_additions = ytd_totals.annual_additions + excluded.annual_additions,
    plan_compensation = ytd_totals.plan_compensation + excluded.plan_compensation,
    gross_pay = ytd_totals.gross_pay + excluded.gross_pay,
    hours_worked = ytd_totals.hours_worked + excluded.hours_worked,
    last_pay_date = greatest(ytd_totals.last_pay_date, excluded.last_pay_date),
    true_up_posted_on = coalesce(ytd_totals.true_up_posted_on, excluded.true_up_posted_on)
