-- entry_id is the idempotency key: a duplicate means something was posted twice. The id hashes the plan and
-- plan year, so duplicates can only share them: the check looks at the (plan, plan year) pairs in check_years.
SELECT entry_id, count(*) AS copies
FROM ledger
SEMI JOIN check_years USING (plan_id, plan_year)
GROUP BY entry_id
HAVING count(*) > 1
