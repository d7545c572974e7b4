-- Records a run starting: its id and business date. Params: $run_id, $as_of.
-- reads: none
-- writes: runs
INSERT INTO runs VALUES ($run_id, $as_of, now()::TIMESTAMP, NULL, 'running')
