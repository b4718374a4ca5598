-- Indexes the read endpoints need once a universe is large (`scripts/bench --explain` shows every
-- statement's plan at a million ledger entries): v3 targetGroups reads a customer's streaks.
CREATE INDEX user_streaks_customer ON user_streaks (org_id, customer_id);
