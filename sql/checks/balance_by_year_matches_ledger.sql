-- The balance state the nightly reads use (balance_by_year) equals the ledger: per plan, person, source and
-- calendar year of the effective date, the net of the entries, their count and the earliest effective date.
-- Only the years in check_years.
-- Payroll lines are summed wide, then unpivoted (a line's pay date is in its plan year), so the ledger view's
-- rows are never built one by one.
WITH payroll_years AS (
    SELECT plan_id, employee_id, plan_year AS year,
           min(pay_date) FILTER (WHERE pretax <> 0) AS d_pretax, min(pay_date) FILTER (WHERE roth <> 0) AS d_roth,
           min(pay_date) FILTER (WHERE pretax_catchup <> 0) AS d_pretax_catchup,
           min(pay_date) FILTER (WHERE roth_catchup <> 0) AS d_roth_catchup,
           min(pay_date) FILTER (WHERE "match" <> 0) AS d_match,
           min(pay_date) FILTER (WHERE nonelective <> 0) AS d_nonelective,
           min(pay_date) FILTER (WHERE loan_repayment <> 0) AS d_loan_repayment,
           min(pay_date) FILTER (WHERE excess_deferral <> 0) AS d_excess_deferral,
           sum(pretax) AS pretax, count(*) FILTER (WHERE pretax <> 0) AS n_pretax,
           sum(roth) AS roth, count(*) FILTER (WHERE roth <> 0) AS n_roth,
           sum(pretax_catchup) AS pretax_catchup, count(*) FILTER (WHERE pretax_catchup <> 0) AS n_pretax_catchup,
           sum(roth_catchup) AS roth_catchup, count(*) FILTER (WHERE roth_catchup <> 0) AS n_roth_catchup,
           sum("match") AS "match", count(*) FILTER (WHERE "match" <> 0) AS n_match,
           sum(nonelective) AS nonelective, count(*) FILTER (WHERE nonelective <> 0) AS n_nonelective,
           sum(loan_repayment) AS loan_repayment, count(*) FILTER (WHERE loan_repayment <> 0) AS n_loan_repayment,
           sum(excess_deferral) AS excess_deferral, count(*) FILTER (WHERE excess_deferral <> 0) AS n_excess_deferral
    FROM payroll_postings
    SEMI JOIN check_years USING (plan_id, plan_year)
    GROUP BY ALL
),
from_payroll AS (
    SELECT plan_id, employee_id, year, 'pretax' AS source, pretax AS net_change, n_pretax AS entries,
           d_pretax AS first_effective_date
    FROM payroll_years
    UNION ALL SELECT plan_id, employee_id, year, 'roth', roth, n_roth, d_roth FROM payroll_years
    UNION ALL SELECT plan_id, employee_id, year, 'pretax_catchup', pretax_catchup, n_pretax_catchup, d_pretax_catchup
              FROM payroll_years
    UNION ALL SELECT plan_id, employee_id, year, 'roth_catchup', roth_catchup, n_roth_catchup, d_roth_catchup
              FROM payroll_years
    UNION ALL SELECT plan_id, employee_id, year, 'match', "match", n_match, d_match FROM payroll_years
    UNION ALL SELECT plan_id, employee_id, year, 'nonelective', nonelective, n_nonelective, d_nonelective
              FROM payroll_years
    UNION ALL SELECT plan_id, employee_id, year, 'loan_repayment', loan_repayment, n_loan_repayment,
                     d_loan_repayment
              FROM payroll_years
    UNION ALL SELECT plan_id, employee_id, year, 'excess_deferral', excess_deferral, n_excess_deferral,
                     d_excess_deferral
              FROM payroll_years
),
from_entries AS (
    SELECT plan_id, employee_id, year(effective_date) AS year, source, sum(amount) AS net_change, count(*) AS entries,
           min(effective_date) AS first_effective_date
    FROM ledger_entries
    WHERE (plan_id, year(effective_date)) IN (SELECT (plan_id, plan_year) FROM check_years)
    GROUP BY ALL
),
from_ledger AS (
    SELECT plan_id, employee_id, source, year, CAST(sum(net_change) AS DECIMAL(18, 2)) AS net_change,
           sum(entries) AS entries, min(first_effective_date) AS first_effective_date
    FROM (SELECT * FROM from_payroll WHERE entries > 0 UNION ALL SELECT * FROM from_entries)
    GROUP BY ALL
),
state AS (
    SELECT b.* FROM balance_by_year b
    SEMI JOIN check_years c ON c.plan_id = b.plan_id AND c.plan_year = b.year
)
SELECT coalesce(l.plan_id, s.plan_id) AS plan_id, coalesce(l.employee_id, s.employee_id) AS employee_id,
       coalesce(l.source, s.source) AS source, coalesce(l.year, s.year) AS year,
       l.net_change AS ledger_net_change, s.net_change AS state_net_change
FROM from_ledger l
FULL OUTER JOIN state s USING (plan_id, employee_id, source, year)
WHERE l.net_change IS DISTINCT FROM s.net_change OR l.entries IS DISTINCT FROM s.entries
   OR l.first_effective_date IS DISTINCT FROM s.first_effective_date
