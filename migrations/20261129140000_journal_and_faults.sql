-- The request journal: what each tenant's clients asked and what they got, newest kept
-- (EMULATOR_JOURNAL_SIZE per tenant). Written in batches, off the request path. UNLOGGED: it
-- writes no WAL, which would cost the endpoints a share of their throughput; it survives a clean
-- restart, and a crash of PostgreSQL empties it.
-- No foreign key to emulator_tenants (a check per row): the writer inserts only entries of
-- tenants that exist, and removing a tenant removes its entries.
CREATE UNLOGGED TABLE emulator_requests (
    seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant       text        NOT NULL,
    received_at  timestamptz NOT NULL,
    method       text        NOT NULL,
    path         text        NOT NULL,
    -- The query string as sent, and its parameters (a repeated one keeps its last value).
    query        text        NOT NULL,
    query_params jsonb       NOT NULL,
    -- Header names in lower case; credentials and tokens redacted.
    headers      jsonb       NOT NULL,
    org_id       bigint,
    status       integer     NOT NULL,
    code         bigint,
    latency_ms   double precision NOT NULL,
    request_id   text
);
CREATE INDEX emulator_requests_tenant ON emulator_requests (tenant, seq DESC);

-- Fault rules: make matching requests slow, fail with a code or a status, or lose their
-- connection. `times_left` NULL: until deleted.
CREATE TABLE emulator_faults (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant         text        NOT NULL REFERENCES emulator_tenants ON DELETE CASCADE,
    created_at     timestamptz NOT NULL DEFAULT now(),
    method         text,
    path           text,
    org_id         bigint,
    delay_min_ms   integer CHECK (delay_min_ms >= 0),
    delay_max_ms   integer CHECK (delay_max_ms >= delay_min_ms),
    error_code     bigint,
    error_status   integer CHECK (error_status BETWEEN 400 AND 599),
    drop_connection boolean    NOT NULL DEFAULT false,
    probability    double precision NOT NULL DEFAULT 1 CHECK (probability > 0 AND probability <= 1),
    -- Counted down as the rule fires; at 0 the rule is spent (and deleted).
    times_left     integer CHECK (times_left >= 0)
);
CREATE INDEX emulator_faults_tenant ON emulator_faults (tenant);
