//! A tenant's request journal through the control plane: list, count by pattern, clear.

use axum::{Json, extract::State};
use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::AdminTenant;
use crate::{
    http::{
        error::{ApiError, ApiResult},
        extract::{ApiJson, Params},
    },
    platform::state::AppState,
    store::{
        self,
        journal::{JournalFilter, JournalRow},
    },
};

const DEFAULT_LIMIT: i64 = 100;
const MAX_LIMIT: i64 = 10_000;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_requests, clear_requests)).routes(routes!(count_requests))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RecordedRequest {
    id: i64,
    time: String,
    method: String,
    path: String,
    query: String,
    headers: Value,
    org: Option<i64>,
    status: i32,
    code: Option<i64>,
    latency_ms: f64,
    request_id: Option<String>,
}

impl From<JournalRow> for RecordedRequest {
    fn from(row: JournalRow) -> RecordedRequest {
        let entry = row.entry;
        RecordedRequest {
            id: row.seq,
            time: entry.received_at.to_rfc3339(),
            method: entry.method,
            path: entry.path,
            query: entry.query,
            headers: entry.headers,
            org: entry.org_id,
            status: entry.status,
            code: entry.code,
            latency_ms: entry.latency_ms,
            request_id: entry.request_id,
        }
    }
}

/// Newest first; `path`, `method`, `org`, `status`, `since` (RFC 3339) filter, `limit` cuts.
#[utoipa::path(get, path = "/requests", tag = "tenant journal", security(("admin" = [])), params(
        ("path" = Option<String>, Query, description = "Only requests to this path"),
        ("method" = Option<String>, Query, description = "Only requests with this method"),
        ("org" = Option<i64>, Query, description = "Only requests the credential decided for this org"),
        ("status" = Option<i32>, Query, description = "Only answers with this HTTP status"),
        ("since" = Option<String>, Query, format = DateTime, description = "Only requests received at or after this instant (RFC 3339)"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 10000, description = "At most this many (default 100)")),
    responses((status = 200, description = "The journal, newest first", body = serde_json::Value)))]
async fn list_requests(
    AdminTenant(tenant): AdminTenant,
    State(state): State<AppState>,
    params: Params,
) -> ApiResult<Json<Vec<RecordedRequest>>> {
    let since = match params.text("since") {
        None => None,
        Some(text) => Some(
            DateTime::<FixedOffset>::parse_from_rfc3339(text)
                .map(|at| at.with_timezone(&Utc))
                .map_err(|_| ApiError::bad_parameter("since", format!("Parameter 'since' must be an RFC 3339 instant, got '{text}'")))?,
        ),
    };
    let filter = JournalFilter {
        method: params.optional("method")?,
        path: params.optional("path")?,
        org_id: params.optional("org")?,
        status: params.optional("status")?,
        since,
        ..JournalFilter::default()
    };
    let limit = params.optional::<i64>("limit")?.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad_parameter("limit", format!("Parameter 'limit' must be between 1 and {MAX_LIMIT}, got {limit}")));
    }
    state.journal.flush().await;
    let rows = store::journal::list(&state.db, &tenant.id, &filter, limit).await?;
    Ok(Json(rows.into_iter().map(RecordedRequest::from).collect()))
}

#[derive(Serialize)]
struct Cleared {
    status: &'static str,
    removed: u64,
}

#[utoipa::path(delete, path = "/requests", tag = "tenant journal", security(("admin" = [])),
    responses((status = 200, description = "Cleared", body = serde_json::Value)))]
async fn clear_requests(AdminTenant(tenant): AdminTenant, State(state): State<AppState>) -> ApiResult<Json<Cleared>> {
    state.journal.flush().await;
    let removed = store::journal::clear(&state.db, &tenant.id).await?;
    Ok(Json(Cleared { status: "CLEARED", removed }))
}

/// Every field given must match: `method` and `path` exactly, `query` and `headers` as objects
/// whose values the request had exactly (header names in any case), `org` the org decided.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RequestPattern {
    method: Option<String>,
    path: Option<String>,
    #[schema(value_type = Option<Object>)]
    query: Option<Map<String, Value>>,
    #[schema(value_type = Option<Object>)]
    headers: Option<Map<String, Value>>,
    org: Option<i64>,
}

#[derive(Serialize)]
struct Count {
    count: i64,
}

#[utoipa::path(post, path = "/requests/count", tag = "tenant journal", security(("admin" = [])), request_body = RequestPattern,
    responses((status = 200, description = "`{\"count\": n}`: requests matching every field given", body = serde_json::Value)))]
async fn count_requests(
    AdminTenant(tenant): AdminTenant,
    State(state): State<AppState>,
    ApiJson(pattern): ApiJson<RequestPattern>,
) -> ApiResult<Json<Count>> {
    let strings = |name: &str, object: Map<String, Value>, lower_keys: bool| -> ApiResult<Value> {
        let mut out = Map::new();
        for (key, value) in object {
            let Value::String(text) = value else {
                return Err(ApiError::bad_parameter(name, format!("Field '{name}' must map names to strings; '{key}' is {value}")));
            };
            out.insert(if lower_keys { key.to_ascii_lowercase() } else { key }, Value::String(text));
        }
        Ok(Value::Object(out))
    };
    let filter = JournalFilter {
        method: pattern.method,
        path: pattern.path,
        org_id: pattern.org,
        query_params: pattern.query.map(|query| strings("query", query, false)).transpose()?,
        headers: pattern.headers.map(|headers| strings("headers", headers, true)).transpose()?,
        ..JournalFilter::default()
    };
    state.journal.flush().await;
    let count = store::journal::count(&state.db, &tenant.id, &filter).await?;
    Ok(Json(Count { count }))
}
