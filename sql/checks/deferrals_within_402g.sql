-- Regular (pre-tax + Roth) deferrals (contributions: not opening balances or earnings) never exceed the year's
-- 402(g) limit per person and plan.
SELECT r.plan_id, r.employee_id, r.plan_year, r.regular_deferral, l.elective_deferral_402g
FROM contributions_by_person_year r
LEFT JOIN irs_limits l ON l.year = r.plan_year
WHERE r.regular_deferral <> 0 AND (l.year IS NULL OR r.regular_deferral > l.elective_deferral_402g)
