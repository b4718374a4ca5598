-- getTargetCompletedExplodeLedger finds each completion's ledger entries by its event: without
-- this index it read all of the customer's entries once per completion (`scripts/bench --explain`).
CREATE INDEX points_ledger_entries_event ON points_ledger_entries (event_log_id);
