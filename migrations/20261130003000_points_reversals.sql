-- Reversals of points redemptions (POST /v2/points/reverse, api-docs/write/post-v1.1-points-redeem.md):
-- each is a PointsRedemptionReversal event whose CREDITs give back the redeemed points that have not
-- expired. A redemption can be reversed in parts, up to its points in all.
CREATE TABLE points_redemption_reversals (
    -- The reversal's event; its id is the reversalId.
    event_log_id            bigint  PRIMARY KEY REFERENCES event_logs ON DELETE CASCADE,
    org_id                  bigint  NOT NULL REFERENCES orgs,
    -- The PointsRedemption event reversed.
    redemption_event_log_id bigint  NOT NULL REFERENCES points_redemptions ON DELETE CASCADE,
    points_to_be_reversed   numeric NOT NULL CHECK (points_to_be_reversed > 0),
    -- What was credited back, and what had expired meanwhile and was not.
    points_available        numeric NOT NULL CHECK (points_available >= 0),
    points_expired          numeric NOT NULL CHECK (points_expired >= 0),
    CHECK (points_available + points_expired = points_to_be_reversed)
);
CREATE INDEX points_redemption_reversals_redemption ON points_redemption_reversals (redemption_event_log_id);
