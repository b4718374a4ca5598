-- Points redemption through v1.1 (api-docs/write/post-v1.1-points-redeem.md): the validation codes
-- /v1.1/points/validationcode (or isredeemable with issue_otp) issues and a redemption spends.
CREATE TABLE points_validation_codes (
    org_id      bigint      NOT NULL REFERENCES orgs,
    customer_id bigint      NOT NULL REFERENCES customers ON DELETE CASCADE,
    code        text        NOT NULL,
    -- The points the code was issued for; a redemption may take at most these.
    points      numeric     NOT NULL,
    issued_on   timestamptz NOT NULL,
    expires_on  timestamptz NOT NULL,
    -- The redemption that spent it (NULL: unused).
    used_by_event_log_id bigint,
    PRIMARY KEY (customer_id, code)
);

-- Redemptions are found by the caller's idempotency key.
CREATE INDEX points_redemptions_external_reference ON points_redemptions (org_id, external_reference_number)
    WHERE external_reference_number IS NOT NULL;
