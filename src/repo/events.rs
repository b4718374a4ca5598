//! Events and everything getLedgerExplodeInfo reports about them: points awards, bills with line
//! items, payment modes and slabs, target completions, redemptions and transfers.
//!
//! Every query takes the orgs the request may read (`org_id = ANY($1)`). Decimals come back as
//! PostgreSQL's text, which keeps the digits the data was written with (`100.0` stays `100.0`);
//! points that Capillary prints as strings come back with three decimals (`"62718.260"`).

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{FromRow, PgPool};

/// Whose events a request may see.
#[derive(Debug, Clone, Default)]
pub struct Owners {
    /// Customers (type CUSTOMER): their own events, and transfers they gave or received.
    pub customers: Vec<i64>,
    /// User groups (type USERGROUP2): the groups' events.
    pub groups: Vec<i64>,
    /// Of the groups' events, only those their primary member made.
    pub primary_member_only: bool,
}

#[derive(Debug, Clone, FromRow)]
pub struct EventRow {
    pub event_log_id: i64,
    pub org_id: i64,
    pub event_name: String,
    pub event_time: DateTime<Utc>,
    pub till_id: Option<i64>,
    pub event_reference_id: Option<String>,
    pub unique_id: Option<String>,
    pub request_id: Option<String>,
    pub details: Value,
    /// Whether the event is one of the owners'.
    pub owned: bool,
}

/// `owned` for event `e`, with the owners in $2 (customers), $3 (groups), $4 (primary member only).
const EVENT_COLUMNS: &str = "e.event_log_id, e.org_id, e.event_name, e.event_time, e.till_id, e.event_reference_id,
    e.unique_id, e.request_id, e.details,
    coalesce(e.customer_id = ANY($2)
     OR EXISTS (SELECT 1 FROM points_transfers t
                WHERE t.event_log_id = e.event_log_id AND (t.from_customer_id = ANY($2) OR t.to_customer_id = ANY($2)))
     OR (e.user_group_id = ANY($3)
         AND (NOT $4 OR e.customer_id = (SELECT g.primary_customer_id FROM user_groups g WHERE g.group_id = e.user_group_id))),
        false)
    AS owned";

/// The events with these ids in the orgs, whoever they belong to (`owned` tells).
pub async fn events_by_ids(db: &PgPool, org_ids: &[i64], owners: &Owners, event_log_ids: &[i64]) -> sqlx::Result<Vec<EventRow>> {
    let sql =
        format!("SELECT {EVENT_COLUMNS} FROM event_logs e WHERE e.org_id = ANY($1) AND e.event_log_id = ANY($5) ORDER BY e.event_log_id");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(org_ids)
        .bind(&owners.customers)
        .bind(&owners.groups)
        .bind(owners.primary_member_only)
        .bind(event_log_ids)
        .fetch_all(db)
        .await
}

/// The owners' events of this name whose reference id is one of these.
pub async fn events_by_references(
    db: &PgPool,
    org_ids: &[i64],
    owners: &Owners,
    event_name: &str,
    references: &[String],
) -> sqlx::Result<Vec<EventRow>> {
    let sql = format!(
        "SELECT * FROM (SELECT {EVENT_COLUMNS} FROM event_logs e
                        WHERE e.org_id = ANY($1) AND e.event_name = $5 AND e.event_reference_id = ANY($6)) owned_events
         WHERE owned ORDER BY event_log_id"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(org_ids)
        .bind(&owners.customers)
        .bind(&owners.groups)
        .bind(owners.primary_member_only)
        .bind(event_name)
        .bind(references)
        .fetch_all(db)
        .await
}

/// The alternate currencies of the orgs with these names (any case): id and name as stored.
pub async fn alternate_currencies_named(db: &PgPool, org_ids: &[i64], names: &[String]) -> sqlx::Result<Vec<(i64, String)>> {
    let lowered: Vec<String> = names.iter().map(|name| name.to_lowercase()).collect();
    sqlx::query_as("SELECT alternate_currency_id, name FROM alternate_currencies WHERE org_id = ANY($1) AND lower(name) = ANY($2) ORDER BY alternate_currency_id")
        .bind(org_ids)
        .bind(&lowered)
        .fetch_all(db)
        .await
}

/// Which awards in alternate currencies to report; awards in points always are.
#[derive(Debug, Clone, Default)]
pub struct CurrencyFilter {
    pub all: bool,
    pub alternate_currency_ids: Vec<i64>,
}

#[derive(Debug, Clone, FromRow)]
pub struct AwardRow {
    pub event_log_id: i64,
    /// regular, promo or promised.
    pub award_type: String,
    pub line_item_id: Option<i64>,
    pub program_id: i64,
    pub program_name: String,
    pub promotion_id: Option<i64>,
    pub promotion_name: Option<String>,
    pub promotion_start_date: Option<DateTime<Utc>>,
    pub promotion_end_date: Option<DateTime<Utc>>,
    /// The points the customer holds from this award now.
    pub value: String,
    /// The points awarded: `value` plus what a return took back.
    pub awarded_value: String,
    pub return_points: Option<String>,
    pub expires_on: Option<DateTime<Utc>>,
    pub expiry_type: Option<String>,
    pub conversion_date: Option<DateTime<Utc>>,
    pub awarded_on: Option<DateTime<Utc>>,
    pub allocation_strategy_id: Option<i64>,
    pub allocation_strategy_name: Option<String>,
    pub expiry_strategy_id: Option<i64>,
    pub expiry_strategy_name: Option<String>,
    pub points_category_id: Option<i64>,
    pub points_category_name: Option<String>,
    pub alternate_currency_identifier: Option<String>,
    pub alternate_currency_name: Option<String>,
    pub source_value: Option<Value>,
    pub award_action_details: Option<Value>,
}

/// The events' awards, in their recorded order. Names the award recorded (`extra.programName`,
/// `extra.promotionName`) win over the current ones: they are the names at award time.
pub async fn awards(db: &PgPool, org_ids: &[i64], event_log_ids: &[i64], currencies: &CurrencyFilter) -> sqlx::Result<Vec<AwardRow>> {
    sqlx::query_as(
        "SELECT a.event_log_id, a.award_type, a.line_item_id, a.program_id,
                coalesce(a.extra->>'programName', p.name) AS program_name,
                a.promotion_id, coalesce(a.extra->>'promotionName', pr.name) AS promotion_name,
                pr.start_date AS promotion_start_date, pr.end_date AS promotion_end_date,
                a.value::text AS value,
                (a.value + coalesce((a.extra->>'returnPoints')::numeric, 0))::text AS awarded_value,
                a.extra->>'returnPoints' AS return_points,
                a.expires_on, a.expiry_type, a.conversion_date, a.awarded_on,
                a.allocation_strategy_id, a.allocation_strategy_name, a.expiry_strategy_id, a.expiry_strategy_name,
                a.points_category_id, pc.name AS points_category_name,
                ac.identifier AS alternate_currency_identifier, ac.name AS alternate_currency_name,
                a.extra->'sourceValue' AS source_value, a.extra->'awardActionDetails' AS award_action_details
         FROM points_awards a
         JOIN programs p ON p.program_id = a.program_id
         LEFT JOIN promotions pr ON pr.promotion_id = a.promotion_id
         LEFT JOIN points_categories pc ON pc.points_category_id = a.points_category_id
         LEFT JOIN alternate_currencies ac ON ac.alternate_currency_id = a.alternate_currency_id
         WHERE a.org_id = ANY($1) AND a.event_log_id = ANY($2)
           AND (a.alternate_currency_id IS NULL OR $3 OR a.alternate_currency_id = ANY($4))
         ORDER BY a.event_log_id, a.position, a.points_award_id",
    )
    .bind(org_ids)
    .bind(event_log_ids)
    .bind(currencies.all)
    .bind(&currencies.alternate_currency_ids)
    .fetch_all(db)
    .await
}

#[derive(Debug, Clone, FromRow)]
pub struct BillRow {
    pub event_log_id: i64,
    pub bill_type: Option<String>,
    pub bill_number: String,
    pub gross_amount: Option<String>,
    pub discount: Option<String>,
    pub bill_amount: Option<String>,
    pub note: Option<String>,
    pub source: Option<String>,
    pub bill_date: Option<DateTime<Utc>>,
    pub return_bill_id: Option<i64>,
    pub return_type: Option<String>,
    pub return_date: Option<DateTime<Utc>>,
    pub return_amount: Option<String>,
}

pub async fn bills(db: &PgPool, org_ids: &[i64], event_log_ids: &[i64]) -> sqlx::Result<Vec<BillRow>> {
    sqlx::query_as(
        "SELECT event_log_id, bill_type, bill_number, gross_amount::text AS gross_amount, discount::text AS discount,
                bill_amount::text AS bill_amount, note, source, bill_date, return_bill_id, return_type, return_date,
                return_amount::text AS return_amount
         FROM bills WHERE org_id = ANY($1) AND event_log_id = ANY($2) ORDER BY event_log_id",
    )
    .bind(org_ids)
    .bind(event_log_ids)
    .fetch_all(db)
    .await
}

#[derive(Debug, Clone, FromRow)]
pub struct LineItemRow {
    pub event_log_id: i64,
    pub line_item_id: i64,
    pub item_code: String,
    pub source: Option<String>,
    pub serial_number: Option<i32>,
    pub gross_amount: Option<String>,
    pub discount: Option<String>,
    pub amount: Option<String>,
    pub rate: Option<String>,
    pub qty: Option<String>,
    pub return_amount: Option<String>,
    pub return_rate: Option<String>,
    pub return_qty: Option<String>,
    pub return_value: Option<String>,
}

pub async fn line_items(db: &PgPool, org_ids: &[i64], event_log_ids: &[i64]) -> sqlx::Result<Vec<LineItemRow>> {
    sqlx::query_as(
        "SELECT event_log_id, line_item_id, item_code, source, serial_number, gross_amount::text AS gross_amount,
                discount::text AS discount, amount::text AS amount, rate::text AS rate, qty::text AS qty,
                return_amount::text AS return_amount, return_rate::text AS return_rate, return_qty::text AS return_qty,
                return_value::text AS return_value
         FROM bill_line_items WHERE org_id = ANY($1) AND event_log_id = ANY($2)
         ORDER BY event_log_id, position, line_item_id",
    )
    .bind(org_ids)
    .bind(event_log_ids)
    .fetch_all(db)
    .await
}

/// (event_log_id, mode) in the bill's order.
pub async fn payment_modes(db: &PgPool, org_ids: &[i64], event_log_ids: &[i64]) -> sqlx::Result<Vec<(i64, String)>> {
    sqlx::query_as(
        "SELECT event_log_id, mode FROM bill_payment_modes WHERE org_id = ANY($1) AND event_log_id = ANY($2)
         ORDER BY event_log_id, position",
    )
    .bind(org_ids)
    .bind(event_log_ids)
    .fetch_all(db)
    .await
}

#[derive(Debug, Clone, FromRow)]
pub struct SlabRow {
    pub event_log_id: i64,
    pub slab_number: i32,
    pub slab_name: String,
    pub program_id: i64,
    pub is_default_program: bool,
}

pub async fn point_in_time_slabs(db: &PgPool, org_ids: &[i64], event_log_ids: &[i64]) -> sqlx::Result<Vec<SlabRow>> {
    sqlx::query_as(
        "SELECT event_log_id, slab_number, slab_name, program_id, is_default_program FROM point_in_time_slabs
         WHERE org_id = ANY($1) AND event_log_id = ANY($2) ORDER BY event_log_id, position, program_id",
    )
    .bind(org_ids)
    .bind(event_log_ids)
    .fetch_all(db)
    .await
}

#[derive(Debug, Clone, FromRow)]
pub struct CompletionRow {
    pub event_log_id: i64,
    pub target_group_id: i64,
    pub target_group_name: String,
    pub target_id: Option<i64>,
    pub target_name: Option<String>,
    pub target_description: Option<String>,
    pub target_period_id: Option<i64>,
    pub target_period_name: Option<String>,
    pub target_value: Option<String>,
    pub achieved_value: Option<String>,
    pub trigger_value: Option<String>,
    pub source_id: i64,
    pub source_type: String,
    pub milestone_name: Option<String>,
}

/// The completions behind TargetCompleted events. The names the event recorded
/// (`details.targetGroupName`, `targetName`, `targetDescription`) win over the current ones.
pub async fn target_completions(db: &PgPool, org_ids: &[i64], event_log_ids: &[i64]) -> sqlx::Result<Vec<CompletionRow>> {
    sqlx::query_as(
        "SELECT tc.event_log_id, tc.target_group_id,
                coalesce(e.details->>'targetGroupName', tg.name) AS target_group_name,
                tc.target_rule_id AS target_id,
                coalesce(e.details->>'targetName', tr.name) AS target_name,
                coalesce(e.details->>'targetDescription', tr.description) AS target_description,
                tc.period_id AS target_period_id, tp.ref_code AS target_period_name,
                round(tc.target_value, 3)::text AS target_value, round(tc.achieved_value, 3)::text AS achieved_value,
                round(tc.trigger_value, 3)::text AS trigger_value,
                tc.source_id, tc.source_type, m.name AS milestone_name
         FROM target_completions tc
         JOIN event_logs e ON e.event_log_id = tc.event_log_id
         JOIN target_groups tg ON tg.target_group_id = tc.target_group_id
         LEFT JOIN target_rules tr ON tr.target_rule_id = tc.target_rule_id
         LEFT JOIN target_periods tp ON tp.period_id = tc.period_id
         LEFT JOIN milestones m ON m.milestone_id = tc.milestone_id
         WHERE tc.org_id = ANY($1) AND tc.event_log_id = ANY($2)",
    )
    .bind(org_ids)
    .bind(event_log_ids)
    .fetch_all(db)
    .await
}

#[derive(Debug, Clone, FromRow)]
pub struct RedemptionRow {
    pub event_log_id: i64,
    pub points_redeemed: String,
    pub redemption_purpose: Option<String>,
    pub transaction_number: Option<String>,
    pub redemption_id: Option<String>,
    pub billing_time: Option<DateTime<Utc>>,
    pub external_reference_number: Option<String>,
    pub notes: Option<String>,
    pub group_redemption: bool,
}

pub async fn redemptions(db: &PgPool, org_ids: &[i64], event_log_ids: &[i64]) -> sqlx::Result<Vec<RedemptionRow>> {
    sqlx::query_as(
        "SELECT event_log_id, round(points_redeemed, 3)::text AS points_redeemed, redemption_purpose, transaction_number,
                redemption_id, billing_time, external_reference_number, notes, group_redemption
         FROM points_redemptions WHERE org_id = ANY($1) AND event_log_id = ANY($2)",
    )
    .bind(org_ids)
    .bind(event_log_ids)
    .fetch_all(db)
    .await
}

/// Points per program of a redemption or of one side of a transfer.
#[derive(Debug, Clone, FromRow)]
pub struct ProgramPointsRow {
    pub event_log_id: i64,
    /// FROM or TO for transfers; NULL for redemptions.
    pub side: Option<String>,
    pub program_id: i64,
    pub program_name: String,
    pub points: String,
}

pub async fn redemption_programs(db: &PgPool, org_ids: &[i64], event_log_ids: &[i64]) -> sqlx::Result<Vec<ProgramPointsRow>> {
    sqlx::query_as(
        "SELECT r.event_log_id, NULL::text AS side, r.program_id, p.name AS program_name, round(r.points, 3)::text AS points
         FROM points_redemption_programs r JOIN programs p ON p.program_id = r.program_id
         WHERE r.org_id = ANY($1) AND r.event_log_id = ANY($2) ORDER BY r.event_log_id, r.position, r.program_id",
    )
    .bind(org_ids)
    .bind(event_log_ids)
    .fetch_all(db)
    .await
}

#[derive(Debug, Clone, FromRow)]
pub struct TransferRow {
    pub event_log_id: i64,
    pub transfer_type: String,
    pub notes: Option<String>,
    pub from_customer_id: i64,
    pub from_first_name: Option<String>,
    pub from_last_name: Option<String>,
    pub to_customer_id: i64,
    pub to_first_name: Option<String>,
    pub to_last_name: Option<String>,
}

pub async fn transfers(db: &PgPool, org_ids: &[i64], event_log_ids: &[i64]) -> sqlx::Result<Vec<TransferRow>> {
    sqlx::query_as(
        "SELECT t.event_log_id, t.transfer_type, t.notes,
                t.from_customer_id, f.first_name AS from_first_name, f.last_name AS from_last_name,
                t.to_customer_id, r.first_name AS to_first_name, r.last_name AS to_last_name
         FROM points_transfers t
         JOIN customers f ON f.customer_id = t.from_customer_id
         JOIN customers r ON r.customer_id = t.to_customer_id
         WHERE t.org_id = ANY($1) AND t.event_log_id = ANY($2)",
    )
    .bind(org_ids)
    .bind(event_log_ids)
    .fetch_all(db)
    .await
}

pub async fn transfer_programs(db: &PgPool, org_ids: &[i64], event_log_ids: &[i64]) -> sqlx::Result<Vec<ProgramPointsRow>> {
    sqlx::query_as(
        "SELECT t.event_log_id, t.side, t.program_id, p.name AS program_name, round(t.points, 3)::text AS points
         FROM points_transfer_programs t JOIN programs p ON p.program_id = t.program_id
         WHERE t.org_id = ANY($1) AND t.event_log_id = ANY($2) ORDER BY t.event_log_id, t.side, t.position, t.program_id",
    )
    .bind(org_ids)
    .bind(event_log_ids)
    .fetch_all(db)
    .await
}
