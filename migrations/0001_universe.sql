-- The data universe shared by all five endpoints. The API's own ids are the primary keys;
-- every table carries its org. Tables named emulator_* belong to the emulator itself and are
-- never part of a fixture bundle.

CREATE TABLE orgs (
    org_id      bigint PRIMARY KEY,
    name        text    NOT NULL,
    -- An IANA zone; the CHECK makes PostgreSQL reject a zone it does not know.
    time_zone   text    NOT NULL DEFAULT 'UTC' CHECK (now() AT TIME ZONE time_zone IS NOT NULL),
    -- The org that requests act as when auth is off.
    is_default  boolean NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX orgs_one_default ON orgs (is_default) WHERE is_default;

-- A connection lets org_id read connected_org_id's data with DATA-SCOPE: OTHER.
CREATE TABLE org_connections (
    org_id           bigint NOT NULL REFERENCES orgs,
    connected_org_id bigint NOT NULL REFERENCES orgs,
    PRIMARY KEY (org_id, connected_org_id),
    CHECK (org_id <> connected_org_id)
);

CREATE TABLE tills (
    till_id      bigint PRIMARY KEY,
    org_id       bigint  NOT NULL REFERENCES orgs,
    code         text    NOT NULL UNIQUE,
    name         text,
    -- md5 hex of the password, as Basic auth sends it; NULL: the till cannot sign in.
    password_md5 text CHECK (password_md5 ~ '^[0-9a-f]{32}$'),
    is_active    boolean NOT NULL DEFAULT true
);

CREATE TABLE oauth_clients (
    client_key      text PRIMARY KEY,
    org_id          bigint  NOT NULL REFERENCES orgs,
    client_secret   text    NOT NULL,
    ttl_seconds     integer NOT NULL DEFAULT 3600 CHECK (ttl_seconds > 0),
    default_till_id bigint REFERENCES tills,
    is_active       boolean NOT NULL DEFAULT true
);

CREATE TABLE customers (
    customer_id        bigint PRIMARY KEY,
    org_id             bigint      NOT NULL REFERENCES orgs,
    first_name         text,
    last_name          text,
    source             text        NOT NULL DEFAULT 'instore',
    account_id         text        NOT NULL DEFAULT '',
    org_source_id      bigint      NOT NULL DEFAULT -1,
    loyalty_type       text        NOT NULL DEFAULT 'loyalty',
    lifetime_purchases numeric     NOT NULL DEFAULT 0,
    created_on         timestamptz NOT NULL,
    last_updated_on    timestamptz,
    -- Attribution actors: {"id","code","description","name","type"}.
    created_by         jsonb,
    last_updated_by    jsonb,
    custom_fields      jsonb       NOT NULL DEFAULT '{}',
    extended_fields    jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX customers_org ON customers (org_id);

-- commChannels / identifiers: mobile, email, externalId, ...
CREATE TABLE customer_identifiers (
    org_id          bigint  NOT NULL REFERENCES orgs,
    customer_id     bigint  NOT NULL REFERENCES customers ON DELETE CASCADE,
    identifier_type text    NOT NULL CHECK (identifier_type <> ''),
    value           text    NOT NULL CHECK (value <> ''),
    source          text    NOT NULL DEFAULT 'INSTORE',
    account_id      text,
    is_primary      boolean NOT NULL DEFAULT false,
    verified        boolean NOT NULL DEFAULT false,
    subscribed      boolean,
    attributes      jsonb,
    -- Order of the channel in the customer's profile.
    position        integer NOT NULL DEFAULT 0,
    PRIMARY KEY (customer_id, identifier_type, value, source)
);
CREATE INDEX customer_identifiers_lookup ON customer_identifiers (org_id, lower(identifier_type), value);

CREATE TABLE user_groups (
    group_id            bigint PRIMARY KEY,
    org_id              bigint NOT NULL REFERENCES orgs,
    external_id         text,
    name                text   NOT NULL,
    primary_customer_id bigint NOT NULL REFERENCES customers
);

CREATE TABLE user_group_members (
    org_id      bigint NOT NULL REFERENCES orgs,
    group_id    bigint NOT NULL REFERENCES user_groups ON DELETE CASCADE,
    customer_id bigint NOT NULL REFERENCES customers,
    PRIMARY KEY (group_id, customer_id)
);

CREATE TABLE programs (
    program_id  bigint PRIMARY KEY,
    org_id      bigint  NOT NULL REFERENCES orgs,
    name        text    NOT NULL,
    description text,
    is_default  boolean NOT NULL DEFAULT false
);

CREATE TABLE points_categories (
    points_category_id bigint PRIMARY KEY,
    org_id             bigint NOT NULL REFERENCES orgs,
    program_id         bigint NOT NULL REFERENCES programs,
    name               text   NOT NULL,
    -- REGULAR_POINTS, PROMISED_POINTS, ...
    category_type      text   NOT NULL
);

CREATE TABLE promotions (
    promotion_id bigint PRIMARY KEY,
    org_id       bigint NOT NULL REFERENCES orgs,
    program_id   bigint NOT NULL REFERENCES programs,
    name         text   NOT NULL,
    start_date   timestamptz,
    end_date     timestamptz
);

CREATE TABLE alternate_currencies (
    alternate_currency_id bigint PRIMARY KEY,
    org_id                bigint NOT NULL REFERENCES orgs,
    identifier            text   NOT NULL,
    name                  text   NOT NULL,
    UNIQUE (org_id, name)
);

CREATE TABLE event_logs (
    event_log_id       bigint PRIMARY KEY,
    org_id             bigint      NOT NULL REFERENCES orgs,
    customer_id        bigint REFERENCES customers,
    user_group_id      bigint REFERENCES user_groups,
    event_name         text        NOT NULL,
    event_type_id      integer     NOT NULL,
    event_time         timestamptz NOT NULL,
    processing_time    timestamptz NOT NULL,
    till_id            bigint REFERENCES tills,
    -- The bill id for TransactionAdd and ReturnBill, the request id for GenericEvent.
    event_reference_id text,
    unique_id          text,
    request_id         text,
    generic_event_id   text,
    -- Per-kind details (bill, behavioural metadata, goodwill, redemption, transfer, import);
    -- fixtures/README.md documents the keys of each kind.
    details            jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX event_logs_customer ON event_logs (org_id, customer_id, event_time);
CREATE INDEX event_logs_reference ON event_logs (org_id, event_name, event_reference_id);

CREATE TABLE points_ledger_entries (
    points_ledger_id      bigint PRIMARY KEY,
    org_id                bigint      NOT NULL REFERENCES orgs,
    event_log_id          bigint      NOT NULL REFERENCES event_logs,
    customer_id           bigint      NOT NULL REFERENCES customers,
    cps_id                bigint      NOT NULL,
    ledger_entry_type     text        NOT NULL CHECK (ledger_entry_type IN ('CREDIT', 'DEBIT')),
    points                numeric     NOT NULL,
    points_category_id    bigint      NOT NULL REFERENCES points_categories,
    program_id            bigint      NOT NULL REFERENCES programs,
    alternate_currency_id bigint REFERENCES alternate_currencies,
    created_on            timestamptz NOT NULL,
    event_subject_id      bigint      NOT NULL,
    -- JSON documents that the API returns as strings, kept byte for byte.
    entity_metadata       text,
    config_metadata       text
);
CREATE INDEX points_ledger_entries_customer ON points_ledger_entries (org_id, customer_id, points_ledger_id DESC);

-- Points an event awarded (regular / promo / promised), with expiry and allocation.
CREATE TABLE points_awards (
    points_award_id        bigint PRIMARY KEY,
    org_id                 bigint  NOT NULL REFERENCES orgs,
    event_log_id           bigint  NOT NULL REFERENCES event_logs,
    award_type             text    NOT NULL CHECK (award_type IN ('regular', 'promo', 'promised')),
    program_id             bigint  NOT NULL REFERENCES programs,
    promotion_id           bigint REFERENCES promotions,
    points_category_id     bigint REFERENCES points_categories,
    alternate_currency_id  bigint REFERENCES alternate_currencies,
    -- NULL: awarded on the event; otherwise on that line item of the bill.
    line_item_id           bigint,
    value                  numeric NOT NULL,
    expires_on             timestamptz,
    expiry_type            text,
    conversion_date        timestamptz,
    awarded_on             timestamptz,
    allocation_strategy_id   bigint,
    allocation_strategy_name text,
    expiry_strategy_id     bigint,
    expiry_strategy_name   text,
    position               integer NOT NULL DEFAULT 0,
    -- Further documented fields of an award entry (returnPoints, awardActionDetails, ...).
    extra                  jsonb   NOT NULL DEFAULT '{}'
);
CREATE INDEX points_awards_event ON points_awards (event_log_id, award_type, position);

CREATE TABLE target_groups (
    target_group_id        bigint PRIMARY KEY,
    org_id                 bigint      NOT NULL REFERENCES orgs,
    name                   text        NOT NULL,
    description            text,
    preferred_till_id      bigint      NOT NULL DEFAULT -1,
    target_evaluation_type text        NOT NULL
        CHECK (target_evaluation_type IN ('FIXED_CALENDAR_WINDOW', 'CYCLIC_WINDOW', 'PERIOD_AGNOSTIC_WINDOW')),
    tracking_type          text        NOT NULL
        CHECK (tracking_type IN ('DEFAULT', 'UNIFIED', 'STREAKS', 'NON_CONTINUOUS_STREAKS', 'CAPPING')),
    is_active              boolean     NOT NULL DEFAULT true,
    created_on             timestamptz NOT NULL,
    last_updated_on        timestamptz NOT NULL,
    created_by             jsonb,
    last_updated_by        jsonb
);

CREATE TABLE target_periods (
    period_id       bigint PRIMARY KEY,
    org_id          bigint      NOT NULL REFERENCES orgs,
    target_group_id bigint      NOT NULL REFERENCES target_groups,
    ref_code        text        NOT NULL,
    start_date      date        NOT NULL,
    end_date        date        NOT NULL,
    start_time      timestamptz NOT NULL,
    end_time        timestamptz NOT NULL,
    CHECK (start_date <= end_date),
    CHECK (start_time <= end_time)
);

CREATE TABLE target_rules (
    target_rule_id        bigint PRIMARY KEY,
    org_id                bigint  NOT NULL REFERENCES orgs,
    target_group_id       bigint  NOT NULL REFERENCES target_groups,
    name                  text    NOT NULL,
    description           text,
    target_type           text    NOT NULL,
    target_entity         text    NOT NULL,
    event_name            text    NOT NULL,
    target_value          numeric NOT NULL,
    program_id            bigint REFERENCES programs,
    alternate_currency_id bigint REFERENCES alternate_currencies,
    is_active             boolean NOT NULL DEFAULT true
);

CREATE TABLE user_targets (
    user_target_id  bigint PRIMARY KEY,
    org_id          bigint      NOT NULL REFERENCES orgs,
    customer_id     bigint      NOT NULL REFERENCES customers,
    target_rule_id  bigint      NOT NULL REFERENCES target_rules,
    period_id       bigint      NOT NULL REFERENCES target_periods,
    target_value    numeric     NOT NULL,
    achieved_value  numeric     NOT NULL DEFAULT 0,
    enrolled_on     timestamptz NOT NULL,
    achieved_on     timestamptz,
    UNIQUE (customer_id, target_rule_id, period_id)
);

CREATE TABLE milestones (
    milestone_id   bigint PRIMARY KEY,
    org_id         bigint  NOT NULL REFERENCES orgs,
    target_rule_id bigint  NOT NULL REFERENCES target_rules,
    name           text,
    trigger_name   text    NOT NULL,
    trigger_value  numeric NOT NULL
);

CREATE TABLE user_milestones (
    org_id         bigint      NOT NULL REFERENCES orgs,
    user_target_id bigint      NOT NULL REFERENCES user_targets,
    milestone_id   bigint      NOT NULL REFERENCES milestones,
    achieved_on    timestamptz NOT NULL,
    PRIMARY KEY (user_target_id, milestone_id)
);

CREATE TABLE streaks (
    streak_id          bigint PRIMARY KEY,
    org_id             bigint  NOT NULL REFERENCES orgs,
    target_group_id    bigint  NOT NULL REFERENCES target_groups,
    name               text    NOT NULL,
    total_target_count integer NOT NULL CHECK (total_target_count > 0)
);

CREATE TABLE user_streaks (
    user_streak_id          bigint PRIMARY KEY,
    org_id                  bigint  NOT NULL REFERENCES orgs,
    streak_id               bigint  NOT NULL REFERENCES streaks,
    customer_id             bigint  NOT NULL REFERENCES customers,
    status                  text    NOT NULL,
    current_count           integer NOT NULL DEFAULT 0,
    achieved_user_target_id bigint REFERENCES user_targets,
    achieved_on             timestamptz
);

-- A TargetCompleted event: which target, milestone or streak it completes, and the events behind it.
CREATE TABLE target_completions (
    event_log_id                         bigint PRIMARY KEY REFERENCES event_logs,
    org_id                               bigint NOT NULL REFERENCES orgs,
    customer_id                          bigint NOT NULL REFERENCES customers,
    target_group_id                      bigint NOT NULL REFERENCES target_groups,
    source_type                          text   NOT NULL
        CHECK (source_type IN ('USERTARGET', 'MILESTONE', 'STREAKS', 'UNIFIED')),
    source_id                            bigint NOT NULL,
    target_rule_id                       bigint REFERENCES target_rules,
    user_target_id                       bigint REFERENCES user_targets,
    milestone_id                         bigint REFERENCES milestones,
    user_streak_id                       bigint REFERENCES user_streaks,
    period_id                            bigint REFERENCES target_periods,
    -- Event ids as Capillary reports them; they may point outside this universe, so no FK.
    parent_event_log_id                  bigint,
    target_achieved_event_log_id         bigint,
    target_achieved_event_log_created_on timestamptz,
    return_event_log_id                  bigint NOT NULL DEFAULT -1,
    bill_id                              bigint,
    unified_targets_achieved_created_on  timestamptz,
    target_value                         numeric,
    achieved_value                       numeric,
    trigger_value                        numeric
);
CREATE INDEX target_completions_customer ON target_completions (org_id, customer_id);

-- The emulator's own state.
CREATE TABLE emulator_meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);
INSERT INTO emulator_meta (key, value)
VALUES ('token_signing_key', md5(random()::text || clock_timestamp()::text) || gen_random_uuid()::text);

-- The bundle last loaded: what /__admin/reset restores.
CREATE TABLE emulator_bundle (
    id        boolean PRIMARY KEY DEFAULT true CHECK (id),
    source    text        NOT NULL,
    bundle    jsonb       NOT NULL,
    loaded_at timestamptz NOT NULL DEFAULT now()
);
