-- entry_id is the idempotency key: a duplicate means something was posted twice.
SELECT entry_id, count(*) AS copies
FROM ledger
GROUP BY entry_id
HAVING count(*) > 1
