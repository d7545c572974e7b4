-- Each wanted person's Roth basis: the Roth contributions (payroll, catch-up included) and Roth opening balances
-- posted here (a prior recordkeeper's statement is taken as all basis: its earnings are not known). Read as the
-- Roth balance less every other Roth entry (earnings, distributions), which are all in ledger_entries: the
-- payroll history is never read. Grain: one person with Roth money. Params: $plan_id; frame wanted_ids
-- (employee_id, roth_balance_cents).
-- reads: ledger_entries
SELECT w.employee_id,
       any_value(w.roth_balance_cents) - coalesce(cents(sum(e.amount)), 0) AS roth_basis_cents
FROM wanted_ids w
LEFT JOIN ledger_entries e
       ON e.employee_id = w.employee_id AND e.plan_id = $plan_id
      AND e.source IN (SELECT source FROM money_sources WHERE tax_character = 'roth')
      AND e.entry_type NOT IN ('contribution', 'opening_balance')
GROUP BY w.employee_id
