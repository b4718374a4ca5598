//! Tenants: their rows in `public.emulator_tenants`, and the schemas that hold their universes.
//!
//! Every statement here names `public` explicitly: request connections run with the search path
//! of the tenant they serve.

use chrono::{DateTime, Utc};
use sqlx::{AssertSqlSafe, FromRow, PgConnection, PgExecutor};

/// The channel emulator processes tell each other of control-plane changes on.
pub const CHANGES_CHANNEL: &str = "emulator_changes";

#[derive(Debug, Clone, FromRow)]
pub struct TenantRow {
    pub id: String,
    pub schema_name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    pub shape_version: i64,
    pub bundle_clock: Option<DateTime<Utc>>,
    pub clock_mode: String,
    pub clock_frozen_at: Option<DateTime<Utc>>,
    pub clock_advanced_ms: i64,
}

const SELECT_TENANTS: &str = "SELECT id, schema_name, created_at, last_used_at, shape_version, bundle_clock, clock_mode,
        clock_frozen_at, clock_advanced_ms FROM public.emulator_tenants";

pub async fn all(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<TenantRow>> {
    sqlx::query_as(AssertSqlSafe(format!("{SELECT_TENANTS} ORDER BY created_at, id"))).fetch_all(db).await
}

pub async fn find(db: impl PgExecutor<'_>, id: &str) -> sqlx::Result<Option<TenantRow>> {
    sqlx::query_as(AssertSqlSafe(format!("{SELECT_TENANTS} WHERE id = $1"))).bind(id).fetch_optional(db).await
}

/// Tells every process (this one included) that control-plane state changed; delivered when the
/// transaction commits.
pub async fn notify_change(db: impl PgExecutor<'_>, what: &str) -> sqlx::Result<()> {
    sqlx::query("SELECT pg_notify($1, $2)").bind(CHANGES_CHANNEL).bind(what).execute(db).await.map(drop)
}

/// Registers a tenant; `false` when the id is taken.
pub async fn insert(db: impl PgExecutor<'_>, id: &str, schema_name: &str, shape_version: i64) -> sqlx::Result<bool> {
    let inserted =
        sqlx::query("INSERT INTO public.emulator_tenants (id, schema_name, shape_version) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(id)
            .bind(schema_name)
            .bind(shape_version)
            .execute(db)
            .await?;
    Ok(inserted.rows_affected() == 1)
}

pub async fn delete(db: impl PgExecutor<'_>, id: &str) -> sqlx::Result<bool> {
    let deleted = sqlx::query("DELETE FROM public.emulator_tenants WHERE id = $1").bind(id).execute(db).await?;
    Ok(deleted.rows_affected() == 1)
}

pub async fn set_shape_version(db: impl PgExecutor<'_>, id: &str, shape_version: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE public.emulator_tenants SET shape_version = $2 WHERE id = $1")
        .bind(id)
        .bind(shape_version)
        .execute(db)
        .await
        .map(drop)
}

pub async fn set_bundle_clock(db: impl PgExecutor<'_>, schema_name: &str, clock: Option<DateTime<Utc>>) -> sqlx::Result<()> {
    sqlx::query("UPDATE public.emulator_tenants SET bundle_clock = $2 WHERE schema_name = $1")
        .bind(schema_name)
        .bind(clock)
        .execute(db)
        .await
        .map(drop)
}

/// The clock the control plane set: `mode` with its instant, and how far it was advanced.
pub async fn set_clock(
    db: impl PgExecutor<'_>,
    id: &str,
    mode: &str,
    frozen_at: Option<DateTime<Utc>>,
    advanced_ms: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE public.emulator_tenants SET clock_mode = $2, clock_frozen_at = $3, clock_advanced_ms = $4 WHERE id = $1")
        .bind(id)
        .bind(mode)
        .bind(frozen_at)
        .bind(advanced_ms)
        .execute(db)
        .await
        .map(drop)
}

/// Moves the clock on by `by_ms`, atomically against other processes.
pub async fn advance_clock(db: impl PgExecutor<'_>, id: &str, by_ms: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE public.emulator_tenants SET clock_advanced_ms = clock_advanced_ms + $2 WHERE id = $1")
        .bind(id)
        .bind(by_ms)
        .execute(db)
        .await
        .map(drop)
}

pub async fn touch(db: impl PgExecutor<'_>, ids: &[String], at: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query("UPDATE public.emulator_tenants SET last_used_at = greatest(last_used_at, $2) WHERE id = ANY($1)")
        .bind(ids)
        .bind(at)
        .execute(db)
        .await
        .map(drop)
}

/// Tenants nobody has used since `before`.
pub async fn idle_since(db: impl PgExecutor<'_>, before: DateTime<Utc>) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("SELECT id FROM public.emulator_tenants WHERE id <> 'default' AND last_used_at < $1")
        .bind(before)
        .fetch_all(db)
        .await
}

fn quoted(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

/// Makes `schema_name` a copy of the universe's shape in `public`: every table (the universe's
/// and `emulator_bundle`, not the emulator's own) with its columns, defaults, checks, indexes and
/// identity sequences, then the foreign keys between them.
pub async fn create_schema(tx: &mut PgConnection, schema_name: &str) -> sqlx::Result<()> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
           AND table_name NOT LIKE '\\_sqlx%' AND table_name NOT IN ('emulator_meta', 'emulator_tenants')
         ORDER BY table_name",
    )
    .fetch_all(&mut *tx)
    .await?;
    // With `public` alone on the search path, the definitions name the tables they reference
    // without a schema, so they resolve within the new schema when run there.
    sqlx::query("SET LOCAL search_path = public").execute(&mut *tx).await?;
    let foreign_keys: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT cl.relname::text, c.conname::text, pg_get_constraintdef(c.oid)
         FROM pg_constraint c JOIN pg_class cl ON cl.oid = c.conrelid
         WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace AND cl.relname NOT LIKE 'emulator\\_%'",
    )
    .fetch_all(&mut *tx)
    .await?;
    let schema = quoted(schema_name);
    sqlx::query(AssertSqlSafe(format!("CREATE SCHEMA {schema}"))).execute(&mut *tx).await?;
    for table in &tables {
        let table = quoted(table);
        sqlx::query(AssertSqlSafe(format!("CREATE TABLE {schema}.{table} (LIKE public.{table} INCLUDING ALL)"))).execute(&mut *tx).await?;
    }
    sqlx::query(AssertSqlSafe(format!("SET LOCAL search_path = {schema}"))).execute(&mut *tx).await?;
    for (table, name, definition) in foreign_keys {
        let sql = format!("ALTER TABLE {} ADD CONSTRAINT {} {definition}", quoted(&table), quoted(&name));
        sqlx::query(AssertSqlSafe(sql)).execute(&mut *tx).await?;
    }
    sqlx::query("SET LOCAL search_path = public").execute(&mut *tx).await?;
    Ok(())
}

pub async fn drop_schema(tx: &mut PgConnection, schema_name: &str) -> sqlx::Result<()> {
    sqlx::query(AssertSqlSafe(format!("DROP SCHEMA IF EXISTS {} CASCADE", quoted(schema_name)))).execute(&mut *tx).await.map(drop)
}

/// Makes `schema_name` the schema unqualified names resolve in on this connection.
pub async fn use_schema(db: impl PgExecutor<'_>, schema_name: &str) -> sqlx::Result<()> {
    sqlx::query("SELECT set_config('search_path', $1, false)").bind(quoted(schema_name)).execute(db).await.map(drop)
}

/// [`use_schema`] until the current transaction ends.
pub async fn use_schema_in_transaction(db: impl PgExecutor<'_>, schema_name: &str) -> sqlx::Result<()> {
    sqlx::query("SELECT set_config('search_path', $1, true)").bind(quoted(schema_name)).execute(db).await.map(drop)
}

/// How many orgs, customers, events and ledger entries the tenant's universe holds.
pub async fn record_counts(db: impl PgExecutor<'_>, schema_name: &str) -> sqlx::Result<(i64, i64, i64, i64)> {
    let schema = quoted(schema_name);
    let sql = format!(
        "SELECT (SELECT count(*) FROM {schema}.orgs), (SELECT count(*) FROM {schema}.customers),
                (SELECT count(*) FROM {schema}.event_logs), (SELECT count(*) FROM {schema}.points_ledger_entries)"
    );
    sqlx::query_as(AssertSqlSafe(sql)).fetch_one(db).await
}
