-- Each wanted person's balance on 31 December of each year from $first_year_end to $last_year_end
-- (balance_cents), and its Roth sources' part (roth_cents), from the balance_by_year state (entries effective on
-- or before that day). Grain: one person and year end with money by then.
-- Params: $plan_id, $first_year_end, $last_year_end; frame wanted_ids (employee_id).
-- reads: balance_by_year
SELECT b.employee_id, y.year_end::INTEGER AS year_end, cents(sum(b.net_change)) AS balance_cents,
       cents(coalesce(sum(b.net_change) FILTER (WHERE s.tax_character = 'roth'), 0)) AS roth_cents
FROM balance_by_year b
SEMI JOIN wanted_ids w USING (employee_id)
JOIN money_sources s USING (source)
JOIN range($first_year_end, $last_year_end + 1) y(year_end) ON b.year <= y.year_end
WHERE b.plan_id = $plan_id
GROUP BY ALL
