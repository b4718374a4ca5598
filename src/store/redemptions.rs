//! What v1.1 points redemption reads and writes beside the engine's ledger: programs' regular
//! categories, customers' identifiers for the answer, validation codes, redemption records.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::{FromRow, PgExecutor};

/// The regular points category of the org's program (`None`: no such program).
pub async fn regular_category(db: impl PgExecutor<'_>, org_id: i64, program_id: i64) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "SELECT c.points_category_id FROM programs p JOIN points_categories c ON c.program_id = p.program_id
         WHERE p.org_id = $1 AND p.program_id = $2
         ORDER BY (c.category_type = 'REGULAR_POINTS') DESC, c.points_category_id LIMIT 1",
    )
    .bind(org_id)
    .bind(program_id)
    .fetch_optional(db)
    .await
}

/// A customer's mobile, email and external id as v1.1 answers print them ("" when none).
#[derive(Debug, Clone, Default, FromRow)]
pub struct Identifiers {
    pub mobile: String,
    pub email: String,
    pub external_id: String,
}

pub async fn identifiers(db: impl PgExecutor<'_>, org_id: i64, customer_id: i64) -> sqlx::Result<Identifiers> {
    sqlx::query_as(
        "SELECT coalesce(min(value) FILTER (WHERE lower(identifier_type) = 'mobile'), '') AS mobile,
                coalesce(min(value) FILTER (WHERE lower(identifier_type) = 'email'), '') AS email,
                coalesce(min(value) FILTER (WHERE lower(identifier_type) = 'externalid'), '') AS external_id
         FROM customer_identifiers WHERE org_id = $1 AND customer_id = $2",
    )
    .bind(org_id)
    .bind(customer_id)
    .fetch_one(db)
    .await
}

pub async fn issue_code(
    db: impl PgExecutor<'_>,
    org_id: i64,
    customer_id: i64,
    code: &str,
    points: Decimal,
    now: DateTime<Utc>,
    expires_on: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO points_validation_codes (org_id, customer_id, code, points, issued_on, expires_on) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(org_id)
    .bind(customer_id)
    .bind(code)
    .bind(points)
    .bind(now)
    .bind(expires_on)
    .execute(db)
    .await
    .map(drop)
}

/// The points an unused, unexpired code of the customer was issued for (`None`: no such code).
pub async fn valid_code(db: impl PgExecutor<'_>, customer_id: i64, code: &str, now: DateTime<Utc>) -> sqlx::Result<Option<Decimal>> {
    sqlx::query_scalar(
        "SELECT points FROM points_validation_codes
         WHERE customer_id = $1 AND upper(code) = upper($2) AND used_by_event_log_id IS NULL AND expires_on > $3 AND issued_on <= $3",
    )
    .bind(customer_id)
    .bind(code)
    .bind(now)
    .fetch_optional(db)
    .await
}

pub async fn use_code(db: impl PgExecutor<'_>, customer_id: i64, code: &str, event_log_id: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE points_validation_codes SET used_by_event_log_id = $3 WHERE customer_id = $1 AND upper(code) = upper($2)")
        .bind(customer_id)
        .bind(code)
        .bind(event_log_id)
        .execute(db)
        .await
        .map(drop)
}

/// The redemption an idempotency key was used for, if any.
pub async fn by_external_reference(db: impl PgExecutor<'_>, org_id: i64, reference: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT redemption_id FROM points_redemptions WHERE org_id = $1 AND external_reference_number = $2 LIMIT 1")
        .bind(org_id)
        .bind(reference)
        .fetch_optional(db)
        .await
}

/// A redemption's record (the explode's redemption details).
#[derive(Debug, Clone)]
pub struct Redemption<'a> {
    pub event_log_id: i64,
    pub org_id: i64,
    pub redemption_id: &'a str,
    pub points: Decimal,
    pub program_id: i64,
    pub transaction_number: Option<&'a str>,
    pub billing_time: DateTime<Utc>,
    pub external_reference_number: Option<&'a str>,
    pub notes: Option<&'a str>,
}

pub async fn record(db: &mut sqlx::PgConnection, redemption: &Redemption<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO points_redemptions (event_log_id, org_id, redemption_id, points_redeemed, redemption_purpose, transaction_number,
                                         billing_time, external_reference_number, notes)
         VALUES ($1, $2, $3, $4, '', $5, $6, $7, $8)",
    )
    .bind(redemption.event_log_id)
    .bind(redemption.org_id)
    .bind(redemption.redemption_id)
    .bind(redemption.points)
    .bind(redemption.transaction_number)
    .bind(redemption.billing_time)
    .bind(redemption.external_reference_number)
    .bind(redemption.notes)
    .execute(&mut *db)
    .await?;
    sqlx::query("INSERT INTO points_redemption_programs (event_log_id, program_id, org_id, points) VALUES ($1, $2, $3, $4)")
        .bind(redemption.event_log_id)
        .bind(redemption.program_id)
        .bind(redemption.org_id)
        .bind(redemption.points)
        .execute(&mut *db)
        .await
        .map(drop)
}

/// A redemption as a reversal sees it: whose, how many points, the DEBIT that took them (with its
/// program and category), and how many points earlier reversals gave back.
#[derive(Debug, Clone, FromRow)]
pub struct Reversible {
    pub event_log_id: i64,
    pub customer_id: i64,
    pub redemption_id: String,
    pub points_redeemed: Decimal,
    pub debit_ledger_id: i64,
    pub program_id: i64,
    pub points_category_id: i64,
    pub reversed: Decimal,
}

/// The org's redemption `redemption_id` names (its 6-character id, or its
/// `points_redemption_summary_id`, the event id), with its DEBIT; `None`: no such redemption.
pub async fn reversible(db: impl PgExecutor<'_>, org_id: i64, redemption_id: &str) -> sqlx::Result<Option<Reversible>> {
    sqlx::query_as(
        "SELECT r.event_log_id, e.customer_id, coalesce(r.redemption_id, r.event_log_id::text) AS redemption_id, r.points_redeemed,
                l.points_ledger_id AS debit_ledger_id, l.program_id, l.points_category_id,
                coalesce((SELECT sum(v.points_to_be_reversed) FROM points_redemption_reversals v
                          WHERE v.redemption_event_log_id = r.event_log_id), 0) AS reversed
         FROM points_redemptions r
         JOIN event_logs e ON e.event_log_id = r.event_log_id
         JOIN points_ledger_entries l ON l.event_log_id = r.event_log_id AND l.ledger_entry_type = 'DEBIT' AND l.alternate_currency_id IS NULL
         WHERE r.org_id = $1 AND (r.redemption_id = $2 OR r.event_log_id::text = $2)
         ORDER BY (r.redemption_id = $2) DESC, l.points_ledger_id LIMIT 1",
    )
    .bind(org_id)
    .bind(redemption_id)
    .fetch_optional(db)
    .await
}

/// A reversal's record: what it was asked to give back, what it credited, what had expired.
#[derive(Debug, Clone, Copy)]
pub struct Reversal {
    pub event_log_id: i64,
    pub org_id: i64,
    pub redemption_event_log_id: i64,
    pub points_to_be_reversed: Decimal,
    pub points_available: Decimal,
    pub points_expired: Decimal,
}

pub async fn record_reversal(db: impl PgExecutor<'_>, reversal: &Reversal) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO points_redemption_reversals (event_log_id, org_id, redemption_event_log_id, points_to_be_reversed,
                                                  points_available, points_expired)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(reversal.event_log_id)
    .bind(reversal.org_id)
    .bind(reversal.redemption_event_log_id)
    .bind(reversal.points_to_be_reversed)
    .bind(reversal.points_available)
    .bind(reversal.points_expired)
    .execute(db)
    .await
    .map(drop)
}
