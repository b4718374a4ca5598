//! Events and what getLedgerExplodeInfo reports about each kind: bills with line items, payment
//! modes and slabs, redemptions and transfers.
//!
//! Every query takes the orgs the request may read (`org_id = ANY($1)`).

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{FromRow, PgExecutor, Postgres, QueryBuilder};

use crate::model::{Decimal, EventKind, TransferSide};

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
    pub customer_id: Option<i64>,
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

impl EventRow {
    pub fn kind(&self) -> Option<EventKind> {
        EventKind::of(&self.event_name)
    }
}

/// `SELECT` of the event columns of `e`, with `owned`: whether the event is one of the owners'
/// (their own, a transfer they gave or received, or their group's).
fn select_events(owners: &Owners) -> QueryBuilder<Postgres> {
    let mut query = QueryBuilder::new(
        "SELECT e.event_log_id, e.org_id, e.customer_id, e.event_name, e.event_time, e.till_id, e.event_reference_id,
                e.unique_id, e.request_id, e.details, coalesce(e.customer_id = ANY(",
    );
    query.push_bind(&owners.customers);
    query.push(
        ") OR EXISTS (SELECT 1 FROM points_transfers t
                     WHERE t.event_log_id = e.event_log_id AND (t.from_customer_id = ANY(",
    );
    query.push_bind(&owners.customers).push(") OR t.to_customer_id = ANY(").push_bind(&owners.customers).push(")))");
    query.push(" OR (e.user_group_id = ANY(").push_bind(&owners.groups).push(") AND (NOT ").push_bind(owners.primary_member_only);
    query.push(
        " OR e.customer_id = (SELECT g.primary_customer_id FROM user_groups g WHERE g.group_id = e.user_group_id))),
         false) AS owned
         FROM event_logs e",
    );
    query
}

/// The events with these ids in the orgs, whoever they belong to (`owned` tells).
pub async fn events_by_ids(
    db: impl PgExecutor<'_>,
    org_ids: &[i64],
    owners: &Owners,
    event_log_ids: &[i64],
) -> sqlx::Result<Vec<EventRow>> {
    let mut query = select_events(owners);
    query.push(" WHERE e.org_id = ANY(").push_bind(org_ids).push(") AND e.event_log_id = ANY(").push_bind(event_log_ids);
    query.push(") ORDER BY e.event_log_id");
    query.build_query_as().fetch_all(db).await
}

/// The owners' events of this kind whose reference id is one of these.
pub async fn events_by_references(
    db: impl PgExecutor<'_>,
    org_ids: &[i64],
    owners: &Owners,
    kind: EventKind,
    references: &[String],
) -> sqlx::Result<Vec<EventRow>> {
    let mut query = select_events(owners);
    query.push(" WHERE e.org_id = ANY(").push_bind(org_ids).push(") AND e.event_name = ").push_bind(kind);
    query.push(" AND e.event_reference_id = ANY(").push_bind(references).push(") ORDER BY e.event_log_id");
    let rows: Vec<EventRow> = query.build_query_as().fetch_all(db).await?;
    Ok(rows.into_iter().filter(|row| row.owned).collect())
}

#[derive(Debug, Clone, FromRow)]
pub struct BillRow {
    pub event_log_id: i64,
    pub bill_type: Option<String>,
    pub bill_number: String,
    pub gross_amount: Option<Decimal>,
    pub discount: Option<Decimal>,
    pub bill_amount: Option<Decimal>,
    pub note: Option<String>,
    pub source: Option<String>,
    pub bill_date: Option<DateTime<Utc>>,
    pub return_bill_id: Option<i64>,
    pub return_type: Option<String>,
    pub return_date: Option<DateTime<Utc>>,
    pub return_amount: Option<Decimal>,
}

pub async fn bills(db: impl PgExecutor<'_>, org_ids: &[i64], event_log_ids: &[i64]) -> sqlx::Result<Vec<BillRow>> {
    sqlx::query_as(
        "SELECT event_log_id, bill_type, bill_number, gross_amount, discount, bill_amount, note, source, bill_date,
                return_bill_id, return_type, return_date, return_amount
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
    pub gross_amount: Option<Decimal>,
    pub discount: Option<Decimal>,
    pub amount: Option<Decimal>,
    pub rate: Option<Decimal>,
    pub qty: Option<Decimal>,
    pub return_amount: Option<Decimal>,
    pub return_rate: Option<Decimal>,
    pub return_qty: Option<Decimal>,
    pub return_value: Option<Decimal>,
}

pub async fn line_items(db: impl PgExecutor<'_>, org_ids: &[i64], event_log_ids: &[i64]) -> sqlx::Result<Vec<LineItemRow>> {
    sqlx::query_as(
        "SELECT event_log_id, line_item_id, item_code, source, serial_number, gross_amount, discount, amount, rate, qty,
                return_amount, return_rate, return_qty, return_value
         FROM bill_line_items WHERE org_id = ANY($1) AND event_log_id = ANY($2)
         ORDER BY event_log_id, position, line_item_id",
    )
    .bind(org_ids)
    .bind(event_log_ids)
    .fetch_all(db)
    .await
}

/// (event_log_id, mode) in the bill's order.
pub async fn payment_modes(db: impl PgExecutor<'_>, org_ids: &[i64], event_log_ids: &[i64]) -> sqlx::Result<Vec<(i64, String)>> {
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

pub async fn point_in_time_slabs(db: impl PgExecutor<'_>, org_ids: &[i64], event_log_ids: &[i64]) -> sqlx::Result<Vec<SlabRow>> {
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
pub struct RedemptionRow {
    pub event_log_id: i64,
    pub points_redeemed: Decimal,
    pub redemption_purpose: Option<String>,
    pub transaction_number: Option<String>,
    pub redemption_id: Option<String>,
    pub billing_time: Option<DateTime<Utc>>,
    pub external_reference_number: Option<String>,
    pub notes: Option<String>,
    pub group_redemption: bool,
}

/// The redemptions of PointsRedemption events, and of PointsRedemptionReversal events the
/// redemption each reversed (keyed by the reversal's event).
pub async fn redemptions(db: impl PgExecutor<'_>, org_ids: &[i64], event_log_ids: &[i64]) -> sqlx::Result<Vec<RedemptionRow>> {
    sqlx::query_as(
        "SELECT event_log_id, points_redeemed, redemption_purpose, transaction_number,
                redemption_id, billing_time, external_reference_number, notes, group_redemption
         FROM points_redemptions WHERE org_id = ANY($1) AND event_log_id = ANY($2)
         UNION ALL
         SELECT v.event_log_id, r.points_redeemed, r.redemption_purpose, r.transaction_number,
                r.redemption_id, r.billing_time, r.external_reference_number, r.notes, r.group_redemption
         FROM points_redemption_reversals v JOIN points_redemptions r ON r.event_log_id = v.redemption_event_log_id
         WHERE v.org_id = ANY($1) AND v.event_log_id = ANY($2)",
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
    /// The side of a transfer; `None` for redemptions.
    pub side: Option<TransferSide>,
    pub program_id: i64,
    pub program_name: String,
    pub points: Decimal,
}

pub async fn redemption_programs(db: impl PgExecutor<'_>, org_ids: &[i64], event_log_ids: &[i64]) -> sqlx::Result<Vec<ProgramPointsRow>> {
    sqlx::query_as(
        "SELECT r.event_log_id, NULL::text AS side, r.program_id, p.name AS program_name, r.points
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

pub async fn transfers(db: impl PgExecutor<'_>, org_ids: &[i64], event_log_ids: &[i64]) -> sqlx::Result<Vec<TransferRow>> {
    sqlx::query_as(
        "SELECT t.event_log_id, t.transfer_type, t.notes,
                t.from_customer_id, coalesce(t.from_first_name, f.first_name) AS from_first_name,
                coalesce(t.from_last_name, f.last_name) AS from_last_name,
                t.to_customer_id, coalesce(t.to_first_name, r.first_name) AS to_first_name,
                coalesce(t.to_last_name, r.last_name) AS to_last_name
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

pub async fn transfer_programs(db: impl PgExecutor<'_>, org_ids: &[i64], event_log_ids: &[i64]) -> sqlx::Result<Vec<ProgramPointsRow>> {
    sqlx::query_as(
        "SELECT t.event_log_id, t.side, t.program_id, p.name AS program_name, t.points
         FROM points_transfer_programs t JOIN programs p ON p.program_id = t.program_id
         WHERE t.org_id = ANY($1) AND t.event_log_id = ANY($2) ORDER BY t.event_log_id, t.side, t.position, t.program_id",
    )
    .bind(org_ids)
    .bind(event_log_ids)
    .fetch_all(db)
    .await
}
