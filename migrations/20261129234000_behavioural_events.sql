-- Behavioural events (api-docs/write/post-v2-events-create-event-definition.md,
-- post-webhook-behavioral-event.md): the events an org defines with POST /v2/events, the webhooks
-- that ingest them (POST /v2/events/webhook hands out the URI), and what each ingested event
-- carried. Bundle entities like any other; bundles without them still load.

-- An event an org defined: its name, actions and fields as POST /v2/events took them.
CREATE TABLE event_definitions (
    org_id      bigint      NOT NULL REFERENCES orgs,
    event_name  text        NOT NULL,
    description text,
    -- EMFConsumer (loyalty, which earns and moves targets) and/or EIConsumer (insights).
    actions     jsonb       NOT NULL DEFAULT '["EMFConsumer"]',
    -- [{"name","type","attributes":{name:{"valueType","value"}}}]; the `customer` field's
    -- identifierType says how the event names its customer (default mobile).
    fields      jsonb       NOT NULL DEFAULT '[]',
    created_on  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, event_name)
);
-- Capillary refuses a name that differs only in case (1806).
CREATE UNIQUE INDEX event_definitions_name ON event_definitions (org_id, lower(event_name));

-- A webhook: POST {base}/webhooks/{webhook_id} ingests the org's events.
CREATE TABLE event_webhooks (
    webhook_id               text PRIMARY KEY,
    org_id                   bigint      NOT NULL REFERENCES orgs,
    -- Events are attributed to this till unless they carry a till attribute.
    till_code                text        NOT NULL,
    transformer_type         text        NOT NULL DEFAULT 'WebEngageTransformer',
    auth_enabled             boolean     NOT NULL DEFAULT false,
    auth_mechanism           text,
    uniqueness_check_enabled boolean     NOT NULL DEFAULT false,
    created_on               timestamptz NOT NULL DEFAULT now()
);

-- What an ingested event carried, beside its GenericEvent in event_logs.
CREATE TABLE behavioural_events (
    event_log_id bigint PRIMARY KEY REFERENCES event_logs ON DELETE CASCADE,
    org_id       bigint  NOT NULL REFERENCES orgs,
    webhook_id   text REFERENCES event_webhooks,
    event_name   text    NOT NULL,
    -- The body as posted.
    attributes   jsonb   NOT NULL DEFAULT '{}',
    -- md5 of EventName_CustomerId_<unique key fields>; a second event with the same key, on a
    -- webhook checking uniqueness, is stored as a duplicate and earns nothing.
    unique_key   text,
    is_duplicate boolean NOT NULL DEFAULT false
);
CREATE INDEX behavioural_events_unique_key ON behavioural_events (org_id, unique_key) WHERE unique_key IS NOT NULL;
