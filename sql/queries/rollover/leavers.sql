-- Everyone with a termination in force dated on or before $as_of, whether it was processed (else vesting is
-- pending), and their money from the balance_by_year state: the whole balance, its employer, Roth and rollover
-- parts, and the year of their first Roth entry here (the Roth five-year clock). Excess deferrals held for refund
-- are left out: they go back to the person as a corrective distribution, never an eligible rollover distribution
-- (Treas. Reg. 1.402(c)-2 Q&A-4). Grain: one person.
-- Params: $plan_id, $as_of.
-- reads: participants, terminations, balance_by_year
WITH leavers AS (
    SELECT p.employee_id, p.date_of_birth, p.termination_date, p.termination_reason,
           NOT EXISTS (SELECT 1 FROM terminations t WHERE t.plan_id = p.plan_id AND t.employee_id = p.employee_id
                       AND t.termination_date = p.termination_date) AS vesting_pending
    FROM participants p
    SEMI JOIN terminations_in_force f USING (plan_id, employee_id)
    WHERE p.plan_id = $plan_id AND p.termination_date <= $as_of
),
money AS (
    SELECT b.employee_id,
           sum(b.net_change) AS balance,
           coalesce(sum(b.net_change) FILTER (WHERE s.owner = 'employer'), 0) AS employer,
           coalesce(sum(b.net_change) FILTER (WHERE s.tax_character = 'roth'), 0) AS roth,
           coalesce(sum(b.net_change) FILTER (WHERE b.source = 'rollover'), 0) AS rollover,
           min(year(b.first_effective_date)) FILTER (WHERE s.tax_character = 'roth') AS first_roth_year
    FROM balance_by_year b
    SEMI JOIN leavers USING (employee_id)
    JOIN money_sources s USING (source)
    WHERE b.plan_id = $plan_id AND s.tax_character <> 'excess'
    GROUP BY ALL
)
SELECT l.*, cents(m.balance) AS balance_cents, cents(m.employer) AS employer_balance_cents,
       cents(m.roth) AS roth_balance_cents, cents(m.rollover) AS rollover_balance_cents,
       m.first_roth_year::INTEGER AS first_roth_year
FROM leavers l
JOIN money m USING (employee_id)
WHERE m.balance > 0
ORDER BY l.employee_id
