//! Which orgs a caller may read with the v2.1 connected-orgs headers.

use sqlx::PgPool;

/// Whether `org_id` may read `other_org_id` with `DATA-SCOPE: OTHER`: a connection from the
/// caller (the parent) to the other org. Connections are one-way.
pub async fn is_connected(db: &PgPool, org_id: i64, other_org_id: i64) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM org_connections WHERE org_id = $1 AND connected_org_id = $2)")
        .bind(org_id)
        .bind(other_org_id)
        .fetch_one(db)
        .await
}
