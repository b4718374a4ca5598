//! Fault rules in `public.emulator_faults`.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgExecutor};

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct FaultRow {
    pub id: i64,
    pub tenant: String,
    pub created_at: DateTime<Utc>,
    pub method: Option<String>,
    pub path: Option<String>,
    pub org_id: Option<i64>,
    pub delay_min_ms: Option<i32>,
    pub delay_max_ms: Option<i32>,
    pub error_code: Option<i64>,
    pub error_status: Option<i32>,
    pub drop_connection: bool,
    pub probability: f64,
    pub times_left: Option<i32>,
}

/// The rules still live, oldest first.
pub async fn all(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<FaultRow>> {
    sqlx::query_as(
        "SELECT id, tenant, created_at, method, path, org_id, delay_min_ms, delay_max_ms, error_code, error_status,
                drop_connection, probability, times_left
         FROM public.emulator_faults WHERE times_left IS NULL OR times_left > 0 ORDER BY id",
    )
    .fetch_all(db)
    .await
}

/// Stores a rule (its `id` and `created_at` are the database's) and returns its id.
pub async fn insert(db: impl PgExecutor<'_>, rule: &FaultRow) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO public.emulator_faults (tenant, method, path, org_id, delay_min_ms, delay_max_ms, error_code, error_status,
                                            drop_connection, probability, times_left)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(&rule.tenant)
    .bind(&rule.method)
    .bind(&rule.path)
    .bind(rule.org_id)
    .bind(rule.delay_min_ms)
    .bind(rule.delay_max_ms)
    .bind(rule.error_code)
    .bind(rule.error_status)
    .bind(rule.drop_connection)
    .bind(rule.probability)
    .bind(rule.times_left)
    .fetch_one(db)
    .await
}

/// Takes one firing of a counted rule; `false` when it is spent (another request, maybe in
/// another process, took the last one). The row lock makes concurrent takers count down in turn.
pub async fn take_one(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<bool> {
    let left: Option<i32> = sqlx::query_scalar(
        "UPDATE public.emulator_faults SET times_left = times_left - 1 WHERE id = $1 AND times_left > 0 RETURNING times_left",
    )
    .bind(id)
    .fetch_optional(db)
    .await?;
    Ok(left.is_some())
}

/// Deletes the spent rules.
pub async fn delete_spent(db: impl PgExecutor<'_>) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM public.emulator_faults WHERE times_left = 0").execute(db).await.map(drop)
}

pub async fn delete(db: impl PgExecutor<'_>, tenant: &str, id: i64) -> sqlx::Result<bool> {
    let deleted = sqlx::query("DELETE FROM public.emulator_faults WHERE tenant = $1 AND id = $2").bind(tenant).bind(id).execute(db).await?;
    Ok(deleted.rows_affected() == 1)
}

pub async fn delete_all(db: impl PgExecutor<'_>, tenant: &str) -> sqlx::Result<u64> {
    let deleted = sqlx::query("DELETE FROM public.emulator_faults WHERE tenant = $1").bind(tenant).execute(db).await?;
    Ok(deleted.rows_affected())
}
