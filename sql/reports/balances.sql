-- report: balances per person and source as of a date, with the vested percent and vested balance, active participants included
-- parameters: as_of (default: the last completed run's as-of date)
-- columns: plan_id, employee_id, source, owner, balance, vested_pct, vested_balance, years_of_service, vesting_basis, termination_date
-- balance: entries effective on or before as_of (earlier years from balance_by_year, as_of's own year from the
-- ledger). Employee money is always 100% vested (basis employee_money). Employer money, by the rules
-- pipelines/rules/vesting.py applies at termination, with service counted to the termination in force or, for an
-- active participant, to as_of, by the plan's method (table plans): elapsed (completed years from the hire date)
-- or hours (plan years with 1,000 payroll hours, the last one counting the hours paid by then), plus prior
-- vesting years; then, in order: processed (a
-- processed termination: its non-vested part was forfeited, what is left is vested, at the percent recorded),
-- prior_recordkeeper, hire_date_changed (a leaver rehired or re-dated: 100% until an administrator decides),
-- death, disability, normal_retirement_age (100%), else schedule. vested_balance = P x (balance + D) - D for
-- money D already paid out of the source (Treas. Reg. 1.411(a)-7(d)(5)), half-up to the cent.
WITH money AS (
    SELECT plan_id, employee_id, source, sum(net_change) AS balance
    FROM (
        SELECT plan_id, employee_id, source, net_change FROM balance_by_year WHERE year < year(report_as_of())
        UNION ALL
        SELECT plan_id, employee_id, source, amount FROM ledger
        WHERE effective_date BETWEEN make_date(year(report_as_of()), 1, 1) AND report_as_of()
    )
    GROUP BY plan_id, employee_id, source
    HAVING sum(net_change) <> 0
),
paid AS (
    SELECT plan_id, employee_id, source, -sum(amount) AS paid
    FROM ledger_entries
    WHERE entry_type = 'distribution' AND effective_date <= report_as_of()
    GROUP BY plan_id, employee_id, source
),
people AS (
    SELECT p.plan_id, p.employee_id, p.date_of_birth, p.hire_date, p.first_hire_date, p.prior_vesting_years,
           t.termination_date, t.termination_reason,
           CASE WHEN t.termination_date <= report_as_of() THEN t.termination_date ELSE report_as_of() END AS service_to
    FROM participants p
    LEFT JOIN terminations_in_force t USING (plan_id, employee_id)
    SEMI JOIN (SELECT DISTINCT plan_id, employee_id FROM money) m USING (plan_id, employee_id)
),
hours_by_year AS (  -- earlier years whole (ytd_totals); the year service ends in, the hours paid by then
    SELECT y.plan_id, y.employee_id, y.plan_year, y.hours_worked
    FROM ytd_totals y JOIN people p USING (plan_id, employee_id)
    WHERE y.plan_year < year(p.service_to)
    UNION ALL
    SELECT w.plan_id, w.employee_id, w.plan_year, sum(coalesce(w.hours_worked, 0))
    FROM payroll_postings w JOIN people p USING (plan_id, employee_id)
    WHERE w.plan_year = year(p.service_to) AND w.pay_date <= p.service_to
    GROUP BY w.plan_id, w.employee_id, w.plan_year
),
hours_years AS (
    SELECT plan_id, employee_id, count(*) AS years
    FROM hours_by_year
    WHERE hours_worked >= 1000
    GROUP BY plan_id, employee_id
),
first_money AS (
    SELECT plan_id, employee_id, min(first_effective_date) AS first_entry_date
    FROM balance_by_year GROUP BY plan_id, employee_id
),
service AS (
    SELECT p.*, pl.vesting_schedule, pl.normal_retirement_age, x.vested_pct AS processed_pct,
           CASE pl.vesting_method
                WHEN 'elapsed' THEN greatest(completed_years(p.service_to, p.hire_date), 0)
                ELSE coalesce(h.years, 0) END + coalesce(p.prior_vesting_years, 0) AS years_of_service,
           CASE WHEN x.employee_id IS NOT NULL THEN 'processed'
                WHEN p.termination_date <= report_as_of()
                     AND NOT EXISTS (SELECT 1 FROM ytd_totals y WHERE y.plan_id = p.plan_id AND y.employee_id = p.employee_id)
                     AND f.first_entry_date > p.termination_date THEN 'prior_recordkeeper'
                WHEN p.termination_date <= report_as_of() AND p.first_hire_date < p.hire_date THEN 'hire_date_changed'
                WHEN p.termination_date <= report_as_of() AND p.termination_reason IN ('death', 'disability')
                     THEN p.termination_reason
                WHEN completed_years(p.service_to, p.date_of_birth) >= pl.normal_retirement_age
                     THEN 'normal_retirement_age'
                ELSE 'schedule' END AS vesting_basis
    FROM people p
    JOIN plans pl USING (plan_id)
    LEFT JOIN hours_years h USING (plan_id, employee_id)
    LEFT JOIN first_money f USING (plan_id, employee_id)
    LEFT JOIN terminations x
           ON x.plan_id = p.plan_id AND x.employee_id = p.employee_id AND x.termination_date = p.termination_date
          AND x.processed_on <= report_as_of()
),
vesting AS (
    SELECT *,
           CASE WHEN vesting_basis = 'processed' THEN processed_pct
                WHEN vesting_basis = 'schedule'
                     THEN vesting_schedule[least(years_of_service, len(vesting_schedule) - 1) + 1]
                ELSE 100 END AS employer_vested_pct
    FROM service
)
SELECT m.plan_id, m.employee_id, m.source, s.owner, CAST(m.balance AS DECIMAL(18, 2)) AS balance,
       CAST(CASE WHEN s.owner = 'employer' THEN v.employer_vested_pct ELSE 100 END AS DECIMAL(5, 2)) AS vested_pct,
       CASE WHEN s.owner <> 'employer' OR v.vesting_basis = 'processed' THEN CAST(m.balance AS DECIMAL(18, 2))
            ELSE dollars(least(greatest(
                     -- P x (AB + D), half-up to the cent, in integer cents x basis points
                     (cents(m.balance + coalesce(d.paid, 0)) * cents(v.employer_vested_pct) * 2 + 10000) // 20000
                     - cents(coalesce(d.paid, 0)), 0), cents(m.balance))) END AS vested_balance,
       CASE WHEN s.owner = 'employer' THEN v.years_of_service END AS years_of_service,
       CASE WHEN s.owner = 'employer' THEN v.vesting_basis ELSE 'employee_money' END AS vesting_basis,
       v.termination_date
FROM money m
JOIN money_sources s USING (source)
LEFT JOIN vesting v USING (plan_id, employee_id)
LEFT JOIN paid d USING (plan_id, employee_id, source)
ORDER BY m.plan_id, m.employee_id, m.source
