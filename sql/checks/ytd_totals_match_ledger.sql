-- The year-to-date state the rules read must equal what the ledger and payroll lines say.
WITH from_ledger AS (
    SELECT plan_id, employee_id, plan_year,
           CAST(sum(amount) FILTER (WHERE source IN ('pretax', 'roth')) AS DECIMAL(18, 2)) AS regular_deferral,
           CAST(sum(amount) FILTER (WHERE source IN ('pretax_catchup', 'roth_catchup')) AS DECIMAL(18, 2))
               AS catch_up_deferral,
           CAST(sum(amount) FILTER (WHERE source = 'match') AS DECIMAL(18, 2)) AS employer_match
    FROM ledger
    WHERE entry_type = 'contribution'
    GROUP BY ALL
),
from_lines AS (
    SELECT plan_id, employee_id, plan_year,
           CAST(sum(plan_compensation) AS DECIMAL(18, 2)) AS plan_compensation,
           CAST(sum(gross_pay) AS DECIMAL(18, 2)) AS gross_pay,
           max(pay_date) AS last_pay_date
    FROM payroll_lines
    GROUP BY ALL
),
expected AS (
    SELECT plan_id, employee_id, plan_year,
           coalesce(l.regular_deferral, 0) AS regular_deferral,
           coalesce(l.catch_up_deferral, 0) AS catch_up_deferral,
           coalesce(l.employer_match, 0) AS employer_match,
           p.plan_compensation, p.gross_pay, p.last_pay_date
    FROM from_lines p
    LEFT JOIN from_ledger l USING (plan_id, employee_id, plan_year)
)
SELECT coalesce(e.plan_id, t.plan_id) AS plan_id, coalesce(e.employee_id, t.employee_id) AS employee_id,
       coalesce(e.plan_year, t.plan_year) AS plan_year
FROM expected e
FULL OUTER JOIN ytd_totals t USING (plan_id, employee_id, plan_year)
WHERE e.regular_deferral IS DISTINCT FROM t.regular_deferral
   OR e.catch_up_deferral IS DISTINCT FROM t.catch_up_deferral
   OR e.employer_match IS DISTINCT FROM t.employer_match
   OR e.plan_compensation IS DISTINCT FROM t.plan_compensation
   OR e.gross_pay IS DISTINCT FROM t.gross_pay
   OR e.last_pay_date IS DISTINCT FROM t.last_pay_date
