//! Tenants through the control plane: create one from a bundle, list them, delete one.

use axum::{
    Json,
    extract::{DefaultBodyLimit, Path, State},
    http::{HeaderMap, StatusCode, header},
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{AdminAuth, universe::BUNDLE_BODY_LIMIT, universe::fixture_error};
use crate::{
    http::{
        error::{ApiError, ApiResult, ErrorCode},
        extract::ApiJson,
        tenant::find_tenant,
    },
    platform::{
        db,
        fixtures::{self, Bundle},
        state::AppState,
        tenants::{self, DEFAULT_TENANT, check_id, schema_for},
    },
    store::{self, orgs::Credentials},
};

/// A tenant id that is taken.
pub const TENANT_EXISTS: ErrorCode = ErrorCode::new(409, StatusCode::CONFLICT, "Tenant exists");

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(OpenApiRouter::new().routes(routes!(list_tenants, create_tenant)).layer(DefaultBodyLimit::max(BUNDLE_BODY_LIMIT)))
        .routes(routes!(delete_tenant))
}

/// `{"id"?, "bundle"?}`: no `id`, one is made; no `bundle`, `EMULATOR_FIXTURES`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewTenant {
    id: Option<String>,
    bundle: Option<Value>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CreatedTenant {
    id: String,
    base_url: String,
    created: String,
    source: String,
    records: usize,
    credentials: Credentials,
}

#[utoipa::path(post, path = "/__admin/tenants", tag = "tenants", security(("admin" = [])), request_body = NewTenant,
    responses((status = 201, description = "Created: `id`, `baseUrl`, `records` and the `credentials` its bundle holds", body = serde_json::Value)))]
/// Creates a tenant from the bundle in the body (or the default fixtures), all or nothing.
async fn create_tenant(
    _: AdminAuth,
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(request): ApiJson<NewTenant>,
) -> ApiResult<(StatusCode, Json<CreatedTenant>)> {
    let id = request.id.unwrap_or_else(|| format!("tenant-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]));
    check_id(&id).map_err(|message| ApiError::bad_parameter("id", format!("Field 'id': {message}")))?;
    let (bundle, source) = match request.bundle {
        Some(body) => (Bundle::from_object("bundle", body).map_err(fixture_error)?, "control-plane import".to_owned()),
        None => match &state.config.tenant_fixtures {
            Some(dir) => (Bundle::read_dir(dir).map_err(fixture_error)?, dir.display().to_string()),
            None => (Bundle::default(), "none".to_owned()),
        },
    };
    let schema = schema_for(&id);
    let taken = || {
        ApiError::new(TENANT_EXISTS, format!("Tenant '{id}' exists (ids differing only in case or in '-' and '_' are one tenant)")).at("id")
    };
    if id == DEFAULT_TENANT {
        return Err(taken());
    }
    let mut tx = state.db.begin().await?;
    if !store::tenants::insert(&mut *tx, &id, &schema, db::latest_migration()).await? {
        return Err(taken());
    }
    store::tenants::create_schema(&mut tx, &schema).await?;
    let summary = fixtures::load_in(&mut tx, &schema, &bundle, &source).await.map_err(fixture_error)?;
    let credentials = store::orgs::credentials(&mut tx).await?;
    store::tenants::notify_change(&mut *tx, "tenants").await?;
    tx.commit().await?;
    store::meta::analyze(&state.db, &schema).await?;
    state.tenants.refresh(&state.db).await?;
    let created = find_tenant(&state, &id)?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedTenant {
            base_url: base_url(&headers, &id),
            created: created.created_at.to_rfc3339(),
            id,
            source,
            records: summary.records,
            credentials,
        }),
    ))
}

/// Where a client reaches the tenant: this emulator's address as the request named it, then
/// `/t/{id}` (nothing for the default tenant).
pub(crate) fn base_url(headers: &HeaderMap, id: &str) -> String {
    let host = headers.get(header::HOST).and_then(|value| value.to_str().ok()).unwrap_or("127.0.0.1:8080");
    let scheme = headers.get("x-forwarded-proto").and_then(|value| value.to_str().ok()).unwrap_or("http");
    if id == DEFAULT_TENANT { format!("{scheme}://{host}") } else { format!("{scheme}://{host}/t/{id}") }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TenantSummary {
    id: String,
    base_url: String,
    created: String,
    last_used: String,
    records: RecordCounts,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RecordCounts {
    orgs: i64,
    customers: i64,
    events: i64,
    ledger_entries: i64,
}

#[utoipa::path(get, path = "/__admin/tenants", tag = "tenants", security(("admin" = [])),
    responses((status = 200, description = "Every tenant with its base URL, times and record counts", body = serde_json::Value)))]
async fn list_tenants(_: AdminAuth, State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Json<Vec<TenantSummary>>> {
    state.tenants.flush_used(&state.db).await?;
    let mut summaries = Vec::new();
    for tenant in store::tenants::all(&state.db).await? {
        let (orgs, customers, events, ledger_entries) = store::tenants::record_counts(&state.db, &tenant.schema_name).await?;
        summaries.push(TenantSummary {
            base_url: base_url(&headers, &tenant.id),
            id: tenant.id,
            created: tenant.created_at.to_rfc3339(),
            last_used: tenant.last_used_at.to_rfc3339(),
            records: RecordCounts { orgs, customers, events, ledger_entries },
        });
    }
    Ok(Json(summaries))
}

#[derive(Serialize)]
struct Deleted {
    status: &'static str,
    id: String,
}

#[utoipa::path(delete, path = "/__admin/tenants/{tenant}", tag = "tenants", security(("admin" = [])), params(("tenant" = String, Path, description = "The tenant id")),
    responses((status = 200, description = "Deleted (not `default`)", body = serde_json::Value)))]
/// Removes the tenant and everything in it.
async fn delete_tenant(_: AdminAuth, State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Deleted>> {
    if id == DEFAULT_TENANT {
        return Err(ApiError::bad_parameter("tenant", "The default tenant cannot be deleted; reset it or import a bundle instead"));
    }
    if !tenants::remove(&state.db, &id).await? {
        return Err(ApiError::not_found(format!("No tenant '{id}'")).at("tenant"));
    }
    state.tenants.refresh(&state.db).await?;
    Ok(Json(Deleted { status: "DELETED", id }))
}
