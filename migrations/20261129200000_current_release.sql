-- Capillary's 2026 v3 targetGroups fields (api-docs/current/DIFF.md §4.2). Additive only: every
-- new column has a default, so bundles written without them still load.

-- Whether the org's release prints the 2026 fields: targetGroups[].orgId, targets[].programId and
-- alternate currency (null when none), lastUpdatedOn, targetAchievedEventLogId and unEnrolled.
-- The documents' older samples predate them.
ALTER TABLE org_releases ADD COLUMN reports_2026_target_fields boolean NOT NULL DEFAULT true;

-- When a user target last changed (NULL: when it was enrolled), and whether the customer left it.
ALTER TABLE user_targets ADD COLUMN last_updated_on timestamptz;
ALTER TABLE user_targets ADD COLUMN un_enrolled boolean NOT NULL DEFAULT false;

-- The names a transfer recorded for its two customers, when they differ from the current ones
-- (NULL: the customer's current name). The 2026 PointsTransfer sample names customer 566135941
-- "John Doe"; the 2026 targetGroups samples name the same customer "John Pork".
ALTER TABLE points_transfers ADD COLUMN from_first_name text;
ALTER TABLE points_transfers ADD COLUMN from_last_name text;
ALTER TABLE points_transfers ADD COLUMN to_first_name text;
ALTER TABLE points_transfers ADD COLUMN to_last_name text;
