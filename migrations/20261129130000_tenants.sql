-- Tenants: each is a complete, isolated universe in a PostgreSQL schema of its own, a copy of the
-- universe's tables in `public` (see store::tenants). The tenant `default` is `public` itself.
-- Control-plane state (tenants, their clocks) lives here so every emulator process on this
-- database acts as one; processes tell each other of changes with NOTIFY emulator_changes.
CREATE TABLE emulator_tenants (
    id              text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9_-]{0,47}$'),
    schema_name     text        NOT NULL UNIQUE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_used_at    timestamptz NOT NULL DEFAULT now(),
    -- The latest migration when the schema was made; a schema made before a later migration
    -- is rebuilt from its own data at start.
    shape_version   bigint      NOT NULL,
    -- settings.clock of the bundle loaded last.
    bundle_clock    timestamptz,
    -- The clock set through the control plane: 'bundle' (follow EMULATOR_CLOCK, the org's and
    -- the bundle's clocks), 'frozen' (at frozen_at) or 'real'; advanced_ms is added to it.
    clock_mode      text        NOT NULL DEFAULT 'bundle' CHECK (clock_mode IN ('bundle', 'frozen', 'real')),
    clock_frozen_at timestamptz CHECK ((clock_mode = 'frozen') = (clock_frozen_at IS NOT NULL)),
    clock_advanced_ms bigint    NOT NULL DEFAULT 0
);

INSERT INTO emulator_tenants (id, schema_name, shape_version, bundle_clock)
SELECT 'default', 'public', 20261129130000,
       (SELECT (file->'content'->'settings'->>'clock')::timestamptz
        FROM emulator_bundle, jsonb_array_elements(bundle) AS file
        WHERE file->'content'->'settings' ? 'clock' LIMIT 1);
