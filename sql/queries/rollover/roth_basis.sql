-- Each wanted person's Roth basis: the Roth contributions (payroll, catch-up included) and Roth opening balances
-- posted here; a prior recordkeeper's statement is taken as all basis (its earnings are not known). Grain: one
-- person with Roth money. Params: $plan_id; frame wanted_ids (employee_id).
-- reads: payroll_postings, ledger_entries
SELECT l.employee_id, cents(sum(l.amount)) AS roth_basis_cents
FROM ledger l SEMI JOIN wanted_ids w USING (employee_id)
WHERE l.plan_id = $plan_id AND l.source IN (SELECT source FROM money_sources WHERE tax_character = 'roth')
  AND l.entry_type IN ('contribution', 'opening_balance')
GROUP BY ALL
