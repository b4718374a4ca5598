//! Behavioural events: the org's event definitions, its ingestion webhooks, and what each
//! ingested event carried.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{FromRow, PgExecutor};

#[derive(Debug, Clone, FromRow)]
pub struct EventDefinition {
    pub event_name: String,
    pub description: Option<String>,
    pub actions: Value,
    pub fields: Value,
}

/// Defines the event; `false` when the org has one of that name (in any case) already.
pub async fn define(db: impl PgExecutor<'_>, org_id: i64, definition: &EventDefinition, now: DateTime<Utc>) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO event_definitions (org_id, event_name, description, actions, fields, created_on)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
    )
    .bind(org_id)
    .bind(&definition.event_name)
    .bind(&definition.description)
    .bind(&definition.actions)
    .bind(&definition.fields)
    .bind(now)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The org's event of that name, in any case.
pub async fn definition(db: impl PgExecutor<'_>, org_id: i64, event_name: &str) -> sqlx::Result<Option<EventDefinition>> {
    sqlx::query_as::<_, EventDefinition>(
        "SELECT event_name, description, actions, fields FROM event_definitions WHERE org_id = $1 AND lower(event_name) = lower($2)",
    )
    .bind(org_id)
    .bind(event_name)
    .fetch_optional(db)
    .await
}

#[derive(Debug, Clone, FromRow)]
pub struct Webhook {
    pub webhook_id: String,
    pub org_id: i64,
    pub till_code: String,
    pub transformer_type: String,
    pub auth_enabled: bool,
    pub auth_mechanism: Option<String>,
    pub uniqueness_check_enabled: bool,
}

pub async fn create_webhook(db: impl PgExecutor<'_>, webhook: &Webhook, now: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO event_webhooks (webhook_id, org_id, till_code, transformer_type, auth_enabled, auth_mechanism, uniqueness_check_enabled, created_on)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&webhook.webhook_id)
    .bind(webhook.org_id)
    .bind(&webhook.till_code)
    .bind(&webhook.transformer_type)
    .bind(webhook.auth_enabled)
    .bind(&webhook.auth_mechanism)
    .bind(webhook.uniqueness_check_enabled)
    .bind(now)
    .execute(db)
    .await
    .map(drop)
}

pub async fn webhook(db: impl PgExecutor<'_>, webhook_id: &str) -> sqlx::Result<Option<Webhook>> {
    sqlx::query_as::<_, Webhook>(
        "SELECT webhook_id, org_id, till_code, transformer_type, auth_enabled, auth_mechanism, uniqueness_check_enabled
         FROM event_webhooks WHERE webhook_id = $1",
    )
    .bind(webhook_id)
    .fetch_optional(db)
    .await
}

/// The id of the org's till with this code.
pub async fn till_id(db: impl PgExecutor<'_>, org_id: i64, till_code: &str) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar("SELECT till_id FROM tills WHERE org_id = $1 AND code = $2").bind(org_id).bind(till_code).fetch_optional(db).await
}

/// What an ingested event carried.
#[derive(Debug, Clone)]
pub struct BehaviouralEvent<'a> {
    pub event_log_id: i64,
    pub org_id: i64,
    pub webhook_id: &'a str,
    pub event_name: &'a str,
    pub attributes: &'a Value,
    pub unique_key: Option<&'a str>,
    pub is_duplicate: bool,
}

pub async fn record(db: impl PgExecutor<'_>, event: &BehaviouralEvent<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO behavioural_events (event_log_id, org_id, webhook_id, event_name, attributes, unique_key, is_duplicate)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(event.event_log_id)
    .bind(event.org_id)
    .bind(event.webhook_id)
    .bind(event.event_name)
    .bind(event.attributes)
    .bind(event.unique_key)
    .bind(event.is_duplicate)
    .execute(db)
    .await
    .map(drop)
}

/// Whether an earlier event of the org had this unique key.
pub async fn seen_unique_key(db: impl PgExecutor<'_>, org_id: i64, unique_key: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM behavioural_events WHERE org_id = $1 AND unique_key = $2)")
        .bind(org_id)
        .bind(unique_key)
        .fetch_one(db)
        .await
}
