//! The loyalty engine: what a write means. Rules come from the bundle (`earning_rules`,
//! `redemption_settings`, `target_rules` with `target_rewards`, milestones and streaks); a write
//! records its event, posts what it earns to the ledger (credit + award, with expiry) and moves
//! the customer's targets, completing them with their own `TargetCompleted` events.
//!
//! Every function takes the caller's connection inside one transaction (`&mut PgConnection` from
//! `tx.begin()`), so a write is all or nothing. A write starts with [`lock_customer`], which
//! serializes writes for one customer (balances and target progress never lose an update), and
//! ends with [`changed`] before it commits.

pub mod earn;
pub mod events;
pub mod ledger;
pub mod rules;
pub mod targets;

use sqlx::PgConnection;

/// Amounts the engine computes with (points, bill amounts, target values).
pub type Amount = rust_decimal::Decimal;

/// Locks the customer's row until the transaction ends; `false` when the org has no such
/// customer. Two writes for one customer run one after the other from here.
pub async fn lock_customer(tx: &mut PgConnection, org_id: i64, customer_id: i64) -> sqlx::Result<bool> {
    let found: Option<i64> = sqlx::query_scalar("SELECT customer_id FROM customers WHERE org_id = $1 AND customer_id = $2 FOR UPDATE")
        .bind(org_id)
        .bind(customer_id)
        .fetch_optional(&mut *tx)
        .await?;
    Ok(found.is_some())
}

/// Serializes writes that share a business key beyond one customer (a till's bill number, a
/// request id) until the transaction ends.
pub async fn lock_key(tx: &mut PgConnection, key: &str) -> sqlx::Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || '/' || $1, 0))")
        .bind(key)
        .execute(&mut *tx)
        .await
        .map(drop)
}

/// Every successful write calls this once, inside its transaction, before committing: the
/// notification tells every process that the tenant's data changed (each drops what it cached
/// when it commits), and this process drops its caches before the write's answer leaves
/// (`platform::cache::note_change`). Every process drops everything, so the tenant is not named.
pub async fn changed(tx: &mut PgConnection) -> sqlx::Result<()> {
    crate::platform::cache::note_change();
    crate::store::tenants::notify_change(&mut *tx, "data").await
}
