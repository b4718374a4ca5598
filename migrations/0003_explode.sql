-- The relational parts of an event's details, as getLedgerExplodeInfo reports them: the bill of a
-- TransactionAdd or ReturnBill with its line items, payment modes and point-in-time slabs, the
-- redemption of a PointsRedemption and the transfer of a PointsTransfer. Free-form metadata
-- (behavioural event metadata, goodwill reason, import metadata, custom and extended fields) stays
-- in event_logs.details; fixtures/README.md lists its keys per kind.

-- The transaction an event reports (billDetails). A ReturnBill event has its own row: the returned
-- bill as the return saw it, with the return's date, amount and type.
CREATE TABLE bills (
    event_log_id   bigint PRIMARY KEY REFERENCES event_logs,
    org_id         bigint NOT NULL REFERENCES orgs,
    -- loyalty, not_interested, ... (TransactionAdd)
    bill_type      text,
    bill_number    text   NOT NULL,
    gross_amount   numeric,
    discount       numeric,
    bill_amount    numeric,
    note           text,
    source         text,
    bill_date      timestamptz,
    -- The return transaction's own id (its entityId).
    return_bill_id bigint,
    return_type    text CHECK (return_type IN ('AMOUNT', 'FULL', 'LINE_ITEM', 'CANCELLED')),
    return_date    timestamptz,
    return_amount  numeric
);
CREATE INDEX bills_org ON bills (org_id);

-- A line item of a bill; points_awards.line_item_id names it within the same event.
CREATE TABLE bill_line_items (
    event_log_id  bigint  NOT NULL REFERENCES bills ON DELETE CASCADE,
    line_item_id  bigint  NOT NULL,
    org_id        bigint  NOT NULL REFERENCES orgs,
    position      integer NOT NULL DEFAULT 0,
    item_code     text    NOT NULL,
    source        text,
    serial_number integer,
    gross_amount  numeric,
    discount      numeric,
    amount        numeric,
    rate          numeric,
    qty           numeric,
    return_amount numeric,
    return_rate   numeric,
    return_qty    numeric,
    return_value  numeric,
    PRIMARY KEY (event_log_id, line_item_id)
);

-- How a bill was paid (UPI, CASH, Others, ...), in the order the bill lists them.
CREATE TABLE bill_payment_modes (
    event_log_id bigint  NOT NULL REFERENCES bills ON DELETE CASCADE,
    position     integer NOT NULL,
    org_id       bigint  NOT NULL REFERENCES orgs,
    mode         text    NOT NULL CHECK (mode <> ''),
    PRIMARY KEY (event_log_id, position)
);

-- The customer's slab in each program when the event happened; whether the program was the
-- org's default is recorded as it was then.
CREATE TABLE point_in_time_slabs (
    event_log_id       bigint  NOT NULL REFERENCES event_logs,
    program_id         bigint  NOT NULL REFERENCES programs,
    org_id             bigint  NOT NULL REFERENCES orgs,
    slab_number        integer NOT NULL,
    slab_name          text    NOT NULL,
    is_default_program boolean NOT NULL DEFAULT false,
    position           integer NOT NULL DEFAULT 0,
    PRIMARY KEY (event_log_id, program_id)
);

-- A PointsRedemption event's redemption (eventDetails.redemptionDetails).
CREATE TABLE points_redemptions (
    event_log_id              bigint PRIMARY KEY REFERENCES event_logs,
    org_id                    bigint  NOT NULL REFERENCES orgs,
    redemption_id             text,
    points_redeemed           numeric NOT NULL,
    redemption_purpose        text,
    transaction_number        text,
    billing_time              timestamptz,
    external_reference_number text,
    notes                     text,
    group_redemption          boolean NOT NULL DEFAULT false
);

-- The programs a redemption took its points from (pointsBreakup).
CREATE TABLE points_redemption_programs (
    event_log_id bigint  NOT NULL REFERENCES points_redemptions ON DELETE CASCADE,
    program_id   bigint  NOT NULL REFERENCES programs,
    org_id       bigint  NOT NULL REFERENCES orgs,
    points       numeric NOT NULL,
    position     integer NOT NULL DEFAULT 0,
    PRIMARY KEY (event_log_id, program_id)
);

-- A PointsTransfer event: who gave, who received. The event is in both customers' ledgers.
CREATE TABLE points_transfers (
    event_log_id     bigint PRIMARY KEY REFERENCES event_logs,
    org_id           bigint NOT NULL REFERENCES orgs,
    from_customer_id bigint NOT NULL REFERENCES customers,
    to_customer_id   bigint NOT NULL REFERENCES customers,
    transfer_type    text   NOT NULL DEFAULT 'TRANSFER',
    notes            text,
    CHECK (from_customer_id <> to_customer_id)
);
CREATE INDEX points_transfers_from ON points_transfers (org_id, from_customer_id);
CREATE INDEX points_transfers_to ON points_transfers (org_id, to_customer_id);

-- The points each side of a transfer gave or received, per program (pointsTransferDetails).
CREATE TABLE points_transfer_programs (
    event_log_id bigint  NOT NULL REFERENCES points_transfers ON DELETE CASCADE,
    side         text    NOT NULL CHECK (side IN ('FROM', 'TO')),
    program_id   bigint  NOT NULL REFERENCES programs,
    org_id       bigint  NOT NULL REFERENCES orgs,
    points       numeric NOT NULL,
    position     integer NOT NULL DEFAULT 0,
    PRIMARY KEY (event_log_id, side, program_id)
);
