//! The emulator's own state: signing key, loaded bundle, readiness.

use serde_json::Value;
use sqlx::{PgConnection, PgExecutor};

pub async fn token_signing_key(db: impl PgExecutor<'_>) -> sqlx::Result<String> {
    sqlx::query_scalar("SELECT value FROM public.emulator_meta WHERE key = 'token_signing_key'").fetch_one(db).await
}

pub async fn ping(db: impl PgExecutor<'_>) -> sqlx::Result<()> {
    sqlx::query("SELECT 1").execute(db).await.map(drop)
}

/// Versions of the migrations applied successfully.
pub async fn applied_migrations(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar("SELECT version FROM public._sqlx_migrations WHERE success ORDER BY version").fetch_all(db).await
}

/// The bundle last loaded, as stored by [`store_loaded_bundle`]: `(source, bundle)`.
pub async fn loaded_bundle(db: impl PgExecutor<'_>) -> sqlx::Result<Option<(String, Value)>> {
    sqlx::query_as("SELECT source, bundle FROM emulator_bundle").fetch_optional(db).await
}

pub async fn store_loaded_bundle(tx: &mut PgConnection, source: &str, bundle: &Value) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO emulator_bundle (id, source, bundle, loaded_at) VALUES (true, $1, $2, now())
         ON CONFLICT (id) DO UPDATE SET source = EXCLUDED.source, bundle = EXCLUDED.bundle, loaded_at = now()",
    )
    .bind(source)
    .bind(bundle)
    .execute(tx)
    .await
    .map(drop)
}

/// Whether the default tenant's universe holds no data at all (no org, so nothing else either).
pub async fn default_universe_is_empty(db: impl PgExecutor<'_>) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT NOT EXISTS (SELECT 1 FROM public.orgs)").fetch_one(db).await
}

/// Where the default tenant's bundle came from, when one was loaded.
pub async fn default_bundle_source(db: impl PgExecutor<'_>) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT source FROM public.emulator_bundle").fetch_optional(db).await
}

/// Refreshes the planner's statistics of every universe table in `schema` (a tenant's): after a
/// bulk load the planner would otherwise guess from empty tables and pick the wrong indexes.
pub async fn analyze(db: impl PgExecutor<'_> + Copy, schema: &str) -> sqlx::Result<()> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables WHERE schemaname = $1 AND tablename NOT LIKE '\\_sqlx%' AND tablename NOT LIKE 'emulator\\_%'",
    )
    .bind(schema)
    .fetch_all(db)
    .await?;
    if tables.is_empty() {
        return Ok(());
    }
    sqlx::query(sqlx::AssertSqlSafe(format!("ANALYZE {}", tables.join(", ")))).execute(db).await.map(drop)
}
