-- Records how a run ended. runs is an operational log, not the ledger: its status moves from running to
-- completed or failed. Params: $run_id, $status.
-- reads: runs
-- writes: runs
UPDATE runs SET finished_at = now()::TIMESTAMP, status = $status WHERE run_id = $run_id
