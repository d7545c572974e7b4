-- Each wanted person's Roth contributions and Roth opening balances posted here (gross_basis_cents; a prior
-- recordkeeper's statement is taken as all basis, its earnings being unknown) and what was paid out of Roth money
-- (distributed_cents). Read as the Roth balance less every other Roth entry (earnings, distributions), all of
-- which are in ledger_entries: the payroll history is never read. The basis left after distributions is
-- worked out in pipelines/rules/rollover.py. Grain: one person with Roth money.
-- Params: $plan_id; frame wanted_ids (employee_id, roth_balance_cents).
-- reads: ledger_entries
SELECT w.employee_id,
       any_value(w.roth_balance_cents) - coalesce(cents(sum(e.amount)), 0) AS gross_basis_cents,
       coalesce(cents(-sum(e.amount) FILTER (WHERE e.entry_type = 'distribution')), 0) AS distributed_cents
FROM wanted_ids w
LEFT JOIN ledger_entries e
       ON e.employee_id = w.employee_id AND e.plan_id = $plan_id
      AND e.source IN (SELECT source FROM money_sources WHERE tax_character = 'roth')
      AND e.entry_type NOT IN ('contribution', 'opening_balance')
GROUP BY w.employee_id
