//! Goodwill points requests: filed, then approved (which allocates the points).

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::{FromRow, PgExecutor};

#[derive(Debug, Clone, FromRow)]
pub struct GoodwillRequest {
    pub request_id: i64,
    pub customer_id: i64,
    pub points: Decimal,
    pub reason: String,
    pub comments: String,
    pub status: String,
    pub requested_on: DateTime<Utc>,
    pub approved_on: Option<DateTime<Utc>>,
    pub updated_comments: Option<String>,
}

macro_rules! columns {
    () => {
        "request_id, customer_id, points, reason, comments, status, requested_on, approved_on, updated_comments"
    };
}

pub async fn file(
    db: impl PgExecutor<'_>,
    org_id: i64,
    customer_id: i64,
    points: Decimal,
    reason: &str,
    comments: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<GoodwillRequest> {
    sqlx::query_as(concat!(
        "INSERT INTO goodwill_requests (org_id, customer_id, points, reason, comments, requested_on) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ",
        columns!()
    ))
    .bind(org_id)
    .bind(customer_id)
    .bind(points)
    .bind(reason)
    .bind(comments)
    .bind(now)
    .fetch_one(db)
    .await
}

/// The org's request, locked until the transaction ends (two approvals of one request queue).
pub async fn lock(db: impl PgExecutor<'_>, org_id: i64, request_id: i64) -> sqlx::Result<Option<GoodwillRequest>> {
    sqlx::query_as(concat!("SELECT ", columns!(), " FROM goodwill_requests WHERE org_id = $1 AND request_id = $2 FOR UPDATE"))
        .bind(org_id)
        .bind(request_id)
        .fetch_optional(db)
        .await
}

pub async fn approve(
    db: impl PgExecutor<'_>,
    request_id: i64,
    points: Decimal,
    updated_comments: Option<&str>,
    event_log_id: i64,
    now: DateTime<Utc>,
) -> sqlx::Result<GoodwillRequest> {
    sqlx::query_as(concat!(
        "UPDATE goodwill_requests SET status = 'APPROVED', points = $2, updated_comments = $3, event_log_id = $4, approved_on = $5
         WHERE request_id = $1 RETURNING ",
        columns!()
    ))
    .bind(request_id)
    .bind(points)
    .bind(updated_comments)
    .bind(event_log_id)
    .bind(now)
    .fetch_one(db)
    .await
}
