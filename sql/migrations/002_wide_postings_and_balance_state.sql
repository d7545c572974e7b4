-- Migration 2: from schema 1 (planadmin before the store package: a `ledger` table of one row per amount and
-- a `payroll_lines` table) to wide posting rows and a balance state table.
-- Runs inside the upgrade's one transaction, after sql/ddl/ has created the new tables (payroll_postings,
-- ledger_entries, balance_by_year) and before sql/views/ recreates `ledger` and `payroll_lines` as views.
-- Nothing is recomputed: every payroll line keeps its values and gains the amounts its ledger entries held
-- (matched on batch, line and person); every other entry moves to ledger_entries with its entry_id. A loan
-- repayment becomes entry type loan_repayment (with that type's entry_id); everything else reads the same.

INSERT INTO payroll_postings BY NAME
SELECT p.*,
       coalesce(a.pretax, 0) AS pretax, coalesce(a.roth, 0) AS roth,
       coalesce(a.pretax_catchup, 0) AS pretax_catchup, coalesce(a.roth_catchup, 0) AS roth_catchup,
       coalesce(a."match", 0) AS "match", coalesce(a.nonelective, 0) AS nonelective,
       coalesce(a.loan_repayment, 0) AS loan_repayment
FROM payroll_lines p
LEFT JOIN (
    SELECT batch_id, line_number, employee_id,
           sum(amount) FILTER (WHERE source = 'pretax') AS pretax,
           sum(amount) FILTER (WHERE source = 'roth') AS roth,
           sum(amount) FILTER (WHERE source = 'pretax_catchup') AS pretax_catchup,
           sum(amount) FILTER (WHERE source = 'roth_catchup') AS roth_catchup,
           sum(amount) FILTER (WHERE source = 'match') AS "match",
           sum(amount) FILTER (WHERE source = 'nonelective') AS nonelective,
           sum(amount) FILTER (WHERE source = 'loan_repayment') AS loan_repayment
    FROM ledger
    WHERE entry_type = 'contribution' AND line_number IS NOT NULL
    GROUP BY ALL
) a USING (batch_id, line_number, employee_id);

-- Every payroll entry must have found its line, in a payroll source, once: otherwise stop, nothing changed.
SELECT error('migration 2: ' || n || ' payroll ledger entries have no payroll line or an unknown source')
FROM (
    SELECT count(*) AS n
    FROM ledger l
    LEFT JOIN payroll_lines p USING (batch_id, line_number, employee_id)
    WHERE l.entry_type = 'contribution' AND l.line_number IS NOT NULL
      AND (p.batch_id IS NULL
           OR l.source NOT IN ('pretax', 'roth', 'pretax_catchup', 'roth_catchup', 'match', 'nonelective',
                               'loan_repayment'))
)
WHERE n > 0;

INSERT INTO ledger_entries BY NAME
SELECT entry_id, plan_id, employee_id, effective_date, plan_year, entry_type, source, amount, batch_id, line_number
FROM ledger
WHERE NOT (entry_type = 'contribution' AND line_number IS NOT NULL);

INSERT INTO balance_by_year BY NAME
SELECT plan_id, employee_id, source, year(effective_date) AS year,
       CAST(sum(amount) AS DECIMAL(18, 2)) AS net_change, count(*) AS entries,
       min(effective_date) AS first_effective_date
FROM ledger
GROUP BY ALL;

DROP VIEW IF EXISTS check_years;
DROP VIEW IF EXISTS forfeiture_account;
DROP TABLE ledger;
DROP TABLE payroll_lines;
