-- The annual limits a run's batches reached or enforced, per plan, limit and source: how many people and, for the
-- events that moved money, the amount in cents. source NULL: the running total reached the limit that day
-- (402g, catch_up, 401a17, 415c); a source: the amount of it the limit cut (415c), deemed Roth or stopped
-- (roth_catch_up) or held for refund (excess_deferral); see sql/ddl/090_limit_events.sql. Grain: one plan, limit
-- and source (NULL first). Params: $run_id.
-- reads: batches, limit_events
SELECT e.plan_id, e.limit_name, e.source,
       count(DISTINCT e.employee_id)::INTEGER AS people,
       cents(sum(e.amount)) AS amount_cents
FROM limit_events e
SEMI JOIN (SELECT batch_id FROM batches WHERE run_id = $run_id) b USING (batch_id)
GROUP BY e.plan_id, e.limit_name, e.source
ORDER BY e.plan_id,
         coalesce(list_position(['402g', 'catch_up', '401a17', '415c', 'roth_catch_up', 'excess_deferral'],
                                e.limit_name), 99),
         e.limit_name, e.source NULLS FIRST
