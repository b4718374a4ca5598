//! A customer's profile as the v3 APIs print it: names, communication channels, loyalty info.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{FromRow, PgPool};

#[derive(Debug, Clone, FromRow)]
pub struct CustomerProfile {
    pub customer_id: i64,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub source: String,
    pub account_id: String,
    pub org_source_id: i64,
    pub loyalty_type: String,
    pub lifetime_purchases: f64,
    pub created_on: DateTime<Utc>,
    pub last_updated_on: Option<DateTime<Utc>>,
    pub created_by: Option<Value>,
    pub last_updated_by: Option<Value>,
    pub custom_fields: Value,
}

#[derive(Debug, Clone, FromRow)]
pub struct CommChannel {
    pub identifier_type: String,
    pub value: String,
    pub account_id: Option<String>,
    pub is_primary: bool,
    pub verified: bool,
    pub subscribed: Option<bool>,
    pub attributes: Option<Value>,
}

/// Identifier types that are ways of reaching the customer; ids such as externalId or a card
/// number are identifiers but not channels.
const COMM_CHANNEL_TYPES: &[&str] = &["mobile", "email", "wechat", "android", "ios", "line", "whatsapp"];

pub async fn find_customer(db: &PgPool, org_id: i64, customer_id: i64) -> sqlx::Result<Option<CustomerProfile>> {
    sqlx::query_as::<_, CustomerProfile>(
        "SELECT customer_id, first_name, last_name, source, account_id, org_source_id, loyalty_type,
                lifetime_purchases::float8 AS lifetime_purchases, created_on, last_updated_on,
                created_by, last_updated_by, custom_fields
         FROM customers WHERE org_id = $1 AND customer_id = $2",
    )
    .bind(org_id)
    .bind(customer_id)
    .fetch_optional(db)
    .await
}

/// The customer's communication channels in profile order.
pub async fn comm_channels(db: &PgPool, org_id: i64, customer_id: i64) -> sqlx::Result<Vec<CommChannel>> {
    sqlx::query_as::<_, CommChannel>(
        "SELECT identifier_type, value, account_id, is_primary, verified, subscribed, attributes
         FROM customer_identifiers
         WHERE org_id = $1 AND customer_id = $2 AND lower(identifier_type) = ANY($3)
         ORDER BY position, identifier_type, value",
    )
    .bind(org_id)
    .bind(customer_id)
    .bind(COMM_CHANNEL_TYPES)
    .fetch_all(db)
    .await
}
