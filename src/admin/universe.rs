//! A tenant's universe through the control plane: reset, export and import of bundles.

use axum::{
    Json,
    extract::{DefaultBodyLimit, State},
};
use serde::Serialize;
use serde_json::Value;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::AdminTenant;
use crate::{
    http::{
        error::{ApiError, ApiResult, codes},
        extract::ApiJson,
    },
    platform::{
        fixtures::{self, Bundle, FixtureError, LoadSummary},
        state::AppState,
    },
};

pub use crate::http::BUNDLE_BODY_LIMIT;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(reset))
        .merge(OpenApiRouter::new().routes(routes!(export_fixtures, import_fixtures)).layer(DefaultBodyLimit::max(BUNDLE_BODY_LIMIT)))
}

#[derive(Serialize)]
pub struct Loaded {
    pub status: &'static str,
    pub source: String,
    pub records: usize,
    pub clock: Option<String>,
}

impl Loaded {
    pub fn new(status: &'static str, source: String, summary: LoadSummary) -> Loaded {
        Loaded { status, source, records: summary.records, clock: summary.clock.map(|clock| clock.to_rfc3339()) }
    }
}

#[utoipa::path(post, path = "/reset", tag = "tenant universe", security(("admin" = [])),
    responses((status = 200, description = "The bundle loaded last, restored", body = serde_json::Value)))]
async fn reset(AdminTenant(tenant): AdminTenant, State(state): State<AppState>) -> ApiResult<Json<Loaded>> {
    let (source, summary) = fixtures::reset(&state.db, &tenant.schema)
        .await
        .map_err(fixture_error)?
        .ok_or_else(|| ApiError::new(codes::BAD_PARAMETER, "No bundle has been loaded, so there is nothing to reset to"))?;
    state.tenants.refresh(&state.db).await?;
    Ok(Json(Loaded::new("RESET", source, summary)))
}

#[utoipa::path(get, path = "/fixtures", tag = "tenant universe", security(("admin" = [])),
    responses((status = 200, description = "All data as one bundle object", body = serde_json::Value)))]
async fn export_fixtures(AdminTenant(tenant): AdminTenant, State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let bundle = fixtures::export(&state.db, &tenant.schema).await.map_err(fixture_error)?;
    Ok(Json(bundle.merged()))
}

#[utoipa::path(post, path = "/fixtures", tag = "tenant universe", security(("admin" = [])), request_body = serde_json::Value,
    responses((status = 200, description = "Loaded; reset restores this bundle from now on", body = serde_json::Value)))]
/// Replaces all of the tenant's data with the bundle in the body (one object of entity arrays)
/// and makes it the bundle that reset restores.
async fn import_fixtures(
    AdminTenant(tenant): AdminTenant,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<Loaded>> {
    let source = "control-plane import";
    let bundle = Bundle::from_object("request body", body).map_err(fixture_error)?;
    let summary = fixtures::load_into(&state.db, &tenant.schema, &bundle, source).await.map_err(fixture_error)?;
    state.tenants.refresh(&state.db).await?;
    Ok(Json(Loaded::new("LOADED", source.to_owned(), summary)))
}

/// A bundle's mistake is the client's (400, naming file, record and field); the database's is ours.
pub fn fixture_error(error: FixtureError) -> ApiError {
    match error {
        FixtureError::Database(error) => ApiError::from(error),
        other => ApiError::new(codes::BAD_PARAMETER, other.to_string()),
    }
}
