-- What GET /v3/users/{userId}/targetGroups needs beyond the shared universe. Additive only: every
-- new column has a default, so bundles written without them still load.

-- Which Capillary release an org's cluster runs, where the output of an API differs between
-- releases. An org without a row runs the current one.
CREATE TABLE org_releases (
    org_id                    bigint PRIMARY KEY REFERENCES orgs ON DELETE CASCADE,
    -- Capillary started reporting when a target or streak was achieved (targetAchievedDateTime,
    -- streakAchievedDateTime) in a mid-2024 release; the documents' May 2024 samples predate it.
    reports_achievement_times boolean NOT NULL DEFAULT true
);

-- The rule whose targets a streak counts (NULL: any rule of the streak's group).
ALTER TABLE streaks ADD COLUMN target_rule_id bigint REFERENCES target_rules;

-- Customers a target group tracks although they hold no user target in it yet (its audience, or
-- an opt-in). They see the group with every period as a target they are not enrolled in.
CREATE TABLE target_group_audiences (
    org_id          bigint NOT NULL REFERENCES orgs,
    target_group_id bigint NOT NULL REFERENCES target_groups ON DELETE CASCADE,
    customer_id     bigint NOT NULL REFERENCES customers ON DELETE CASCADE,
    PRIMARY KEY (target_group_id, customer_id)
);
CREATE INDEX target_group_audiences_customer ON target_group_audiences (org_id, customer_id);
