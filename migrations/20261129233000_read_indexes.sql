-- Indexes the read endpoints need once a universe is large (`scripts/bench --explain` shows the
-- plans at a million ledger entries): v3 targetGroups reads a customer's streaks, and the event
-- that achieved each of its user targets.
CREATE INDEX user_streaks_customer ON user_streaks (org_id, customer_id);
CREATE INDEX target_completions_user_target ON target_completions (user_target_id);
