//! The request journal's rows in `public.emulator_requests`.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{FromRow, PgExecutor, Postgres, QueryBuilder};

/// One request as the journal keeps it.
#[derive(Debug, Clone, FromRow)]
pub struct JournalEntry {
    pub tenant: String,
    pub received_at: DateTime<Utc>,
    pub method: String,
    pub path: String,
    pub query: String,
    pub query_params: Value,
    pub headers: Value,
    pub org_id: Option<i64>,
    pub status: i32,
    pub code: Option<i64>,
    pub latency_ms: f64,
    pub request_id: Option<String>,
}

/// Inserts the entries of tenants that still exist, in one statement.
pub async fn insert(db: impl PgExecutor<'_>, entries: &[JournalEntry]) -> sqlx::Result<()> {
    let column = |get: fn(&JournalEntry) -> Value| entries.iter().map(get).collect::<Vec<Value>>();
    sqlx::query(
        "INSERT INTO public.emulator_requests
             (tenant, received_at, method, path, query, query_params, headers, org_id, status, code, latency_ms, request_id)
         SELECT u.tenant, u.received_at, u.method, u.path, u.query, u.query_params, u.headers, u.org_id, u.status, u.code,
                u.latency_ms, u.request_id
         FROM UNNEST($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::jsonb[], $7::jsonb[],
                     $8::int8[], $9::int4[], $10::int8[], $11::float8[], $12::text[]) WITH ORDINALITY
              AS u(tenant, received_at, method, path, query, query_params, headers, org_id, status, code, latency_ms, request_id, n)
         WHERE EXISTS (SELECT 1 FROM public.emulator_tenants t WHERE t.id = u.tenant)
         -- Ids follow the order requests were recorded in, which the listing shows.
         ORDER BY u.n",
    )
    .bind(entries.iter().map(|entry| entry.tenant.as_str()).collect::<Vec<_>>())
    .bind(entries.iter().map(|entry| entry.received_at).collect::<Vec<_>>())
    .bind(entries.iter().map(|entry| entry.method.as_str()).collect::<Vec<_>>())
    .bind(entries.iter().map(|entry| entry.path.as_str()).collect::<Vec<_>>())
    .bind(entries.iter().map(|entry| entry.query.as_str()).collect::<Vec<_>>())
    .bind(column(|entry| entry.query_params.clone()))
    .bind(column(|entry| entry.headers.clone()))
    .bind(entries.iter().map(|entry| entry.org_id).collect::<Vec<_>>())
    .bind(entries.iter().map(|entry| entry.status).collect::<Vec<_>>())
    .bind(entries.iter().map(|entry| entry.code).collect::<Vec<_>>())
    .bind(entries.iter().map(|entry| entry.latency_ms).collect::<Vec<_>>())
    .bind(entries.iter().map(|entry| entry.request_id.as_deref()).collect::<Vec<_>>())
    .execute(db)
    .await
    .map(drop)
}

/// Keeps the newest `keep` entries of each of these tenants; says how many it deleted.
pub async fn prune(db: impl PgExecutor<'_>, tenants: &[String], keep: i64) -> sqlx::Result<u64> {
    sqlx::query(
        "DELETE FROM public.emulator_requests r
         USING (SELECT t.tenant, (SELECT x.seq FROM public.emulator_requests x WHERE x.tenant = t.tenant
                                  ORDER BY x.seq DESC OFFSET $2 LIMIT 1) AS cutoff
                FROM unnest($1::text[]) AS t(tenant)) c
         WHERE r.tenant = c.tenant AND r.seq <= c.cutoff",
    )
    .bind(tenants)
    .bind(keep)
    .execute(db)
    .await
    .map(|deleted| deleted.rows_affected())
}

/// Makes the space of deleted entries reusable. Autovacuum visits a table at most once a minute,
/// while a busy journal deletes thousands of entries a second: without this the table and its
/// index grow without end, and every cut reads through the dead entries.
pub async fn vacuum(db: impl PgExecutor<'_>) -> sqlx::Result<()> {
    sqlx::query("VACUUM (SKIP_LOCKED) public.emulator_requests").execute(db).await.map(drop)
}

/// What a journal listing selects; every filter given must match.
#[derive(Debug, Clone, Default)]
pub struct JournalFilter {
    pub method: Option<String>,
    pub path: Option<String>,
    pub org_id: Option<i64>,
    pub status: Option<i32>,
    pub since: Option<DateTime<Utc>>,
    /// Parameters the query must hold with exactly these values.
    pub query_params: Option<Value>,
    /// Headers (lower-case names) the request must have had with exactly these values.
    pub headers: Option<Value>,
}

#[derive(Debug, Clone, FromRow)]
pub struct JournalRow {
    pub seq: i64,
    #[sqlx(flatten)]
    pub entry: JournalEntry,
}

fn push_filter(query: &mut QueryBuilder<Postgres>, tenant: &str, filter: &JournalFilter) {
    query.push(" WHERE tenant = ").push_bind(tenant.to_owned());
    if let Some(method) = &filter.method {
        query.push(" AND method = upper(").push_bind(method.clone()).push(")");
    }
    if let Some(path) = &filter.path {
        query.push(" AND path = ").push_bind(path.clone());
    }
    if let Some(org_id) = filter.org_id {
        query.push(" AND org_id = ").push_bind(org_id);
    }
    if let Some(status) = filter.status {
        query.push(" AND status = ").push_bind(status);
    }
    if let Some(since) = filter.since {
        query.push(" AND received_at >= ").push_bind(since);
    }
    if let Some(params) = &filter.query_params {
        query.push(" AND query_params @> ").push_bind(params.clone());
    }
    if let Some(headers) = &filter.headers {
        query.push(" AND headers @> ").push_bind(headers.clone());
    }
}

/// The tenant's entries matching `filter`, newest first.
pub async fn list(db: impl PgExecutor<'_>, tenant: &str, filter: &JournalFilter, limit: i64) -> sqlx::Result<Vec<JournalRow>> {
    let mut query = QueryBuilder::new(
        "SELECT seq, tenant, received_at, method, path, query, query_params, headers, org_id, status, code, latency_ms, request_id
         FROM public.emulator_requests",
    );
    push_filter(&mut query, tenant, filter);
    query.push(" ORDER BY seq DESC LIMIT ").push_bind(limit);
    query.build_query_as().fetch_all(db).await
}

pub async fn count(db: impl PgExecutor<'_>, tenant: &str, filter: &JournalFilter) -> sqlx::Result<i64> {
    let mut query = QueryBuilder::new("SELECT count(*) FROM public.emulator_requests");
    push_filter(&mut query, tenant, filter);
    query.build_query_scalar().fetch_one(db).await
}

pub async fn clear(db: impl PgExecutor<'_>, tenant: &str) -> sqlx::Result<u64> {
    let cleared = sqlx::query("DELETE FROM public.emulator_requests WHERE tenant = $1").bind(tenant).execute(db).await?;
    Ok(cleared.rows_affected())
}
