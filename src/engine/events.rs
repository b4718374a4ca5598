//! The event log: every write records the event it is, as the read endpoints report it.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgConnection;

/// Capillary's event type ids, by event name (as the universe's events carry them).
pub fn event_type_id(event_name: &str) -> i32 {
    match event_name {
        "PointsRedemption" => 3,
        // No document gives it; the emulator's choice (docs/points-and-events.md).
        "PointsRedemptionReversal" => 4,
        "AllocateGoodwillPoints" => 9,
        "PointsTransfer" => 12,
        "TransactionAdd" => 15,
        "GroupTransactionAdd" => 16,
        "CustomerRegistration" => 1,
        "CustomerUpdate" => 2,
        "ReturnBill" => 5,
        "TargetCompleted" => 25,
        "CustomerPromotionImport" => 30,
        "ManualPointsAdjustment" => 31,
        "LineItemsPointsPromotionImport" => 32,
        "BillPointsPromotionImport" => 33,
        "VoucherRedemption" => 34,
        // GenericEvent and behavioural events.
        _ => 23,
    }
}

/// An event to record. `event_type_id` follows from the name ([`event_type_id`]).
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub org_id: i64,
    pub customer_id: i64,
    /// TransactionAdd, ReturnBill, GenericEvent, PointsRedemption, TargetCompleted, ...
    pub event_name: String,
    /// When it happened (a bill's billing date); decides target periods.
    pub event_time: DateTime<Utc>,
    /// When the emulator processed it: the tenant's clock.
    pub processing_time: DateTime<Utc>,
    pub till_id: Option<i64>,
    /// The transaction id for bills; the request id for GenericEvent; see `event_logs`.
    pub event_reference_id: Option<String>,
    /// `None`: a random 10-character id, as Capillary's look.
    pub unique_id: Option<String>,
    /// `None`: a random 32-hex id.
    pub request_id: Option<String>,
    pub generic_event_id: Option<String>,
    /// The kind's details (fixtures/README.md lists the keys per kind).
    pub details: Value,
}

/// Records the event; returns its `event_log_id` (from the id sequence).
pub async fn record_event(tx: &mut PgConnection, event: &NewEvent) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO event_logs (org_id, customer_id, event_name, event_type_id, event_time, processing_time, till_id,
                                 event_reference_id, unique_id, request_id, generic_event_id, details)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         RETURNING event_log_id",
    )
    .bind(event.org_id)
    .bind(event.customer_id)
    .bind(&event.event_name)
    .bind(event_type_id(&event.event_name))
    .bind(event.event_time)
    .bind(event.processing_time)
    .bind(event.till_id)
    .bind(&event.event_reference_id)
    .bind(event.unique_id.clone().unwrap_or_else(|| random_id(10)))
    .bind(event.request_id.clone().unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string()))
    .bind(&event.generic_event_id)
    .bind(&event.details)
    .fetch_one(&mut *tx)
    .await
}

/// Sets an event's reference id once its id is known (a transaction's id is its event's id).
pub async fn set_reference_id(tx: &mut PgConnection, event_log_id: i64, reference_id: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE event_logs SET event_reference_id = $2 WHERE event_log_id = $1")
        .bind(event_log_id)
        .bind(reference_id)
        .execute(&mut *tx)
        .await
        .map(drop)
}

/// `len` random letters and digits.
pub fn random_id(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let uuid = uuid::Uuid::new_v4();
    let mut bytes = uuid.as_bytes().iter().cycle();
    (0..len).map(|_| ALPHABET[usize::from(*bytes.next().unwrap_or(&0)) % ALPHABET.len()] as char).collect()
}

/// 40 random hex digits (a TargetCompleted event's unique id).
pub fn random_hex40() -> String {
    format!("{}{}", uuid::Uuid::new_v4().simple(), &uuid::Uuid::new_v4().simple().to_string()[..8])
}
