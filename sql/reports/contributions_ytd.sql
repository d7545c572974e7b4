-- report: contributions to date in the year, per person and source, with the person's pay to date and latest deferral rates
-- parameters: year (default: the year of as_of), as_of (default: the last completed run's as-of date)
-- columns: plan_id, employee_id, plan_year, source, amount, entries, gross_pay_ytd, plan_compensation_ytd, pretax_deferral_pct, roth_deferral_pct, last_pay_date
-- Contributions are the ledger's contribution entries of the plan year effective on or before as_of (a year-end
-- true-up, effective the next year, counts once its date has passed); loan repayments are not contributions. Pay
-- and rates come from the payroll lines of that year paid on or before as_of (rates: the latest line's).
WITH pay AS (
    SELECT plan_id, employee_id,
           sum(gross_pay) AS gross_pay_ytd,
           sum(plan_compensation) AS plan_compensation_ytd,
           arg_max(pretax_deferral_pct, (pay_date, line_number)) AS pretax_deferral_pct,
           arg_max(roth_deferral_pct, (pay_date, line_number)) AS roth_deferral_pct,
           max(pay_date) AS last_pay_date
    FROM payroll_postings
    WHERE plan_year = report_year() AND pay_date <= report_as_of()
    GROUP BY plan_id, employee_id
),
amounts AS (
    SELECT plan_id, employee_id, plan_year, source, sum(amount) AS amount, count(*) AS entries
    FROM ledger
    WHERE entry_type = 'contribution' AND plan_year = report_year() AND effective_date <= report_as_of()
    GROUP BY plan_id, employee_id, plan_year, source
)
SELECT a.plan_id, a.employee_id, a.plan_year, a.source, CAST(a.amount AS DECIMAL(18, 2)) AS amount, a.entries,
       CAST(coalesce(p.gross_pay_ytd, 0) AS DECIMAL(18, 2)) AS gross_pay_ytd,
       CAST(coalesce(p.plan_compensation_ytd, 0) AS DECIMAL(18, 2)) AS plan_compensation_ytd,
       p.pretax_deferral_pct, p.roth_deferral_pct, p.last_pay_date
FROM amounts a
LEFT JOIN pay p USING (plan_id, employee_id)
ORDER BY a.plan_id, a.employee_id, a.source
