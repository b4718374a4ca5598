//! The control plane under `/__admin/`: health and readiness without credentials; everything else
//! needs `Authorization: Bearer <EMULATOR_ADMIN_TOKEN>`.

use axum::{
    Json, Router,
    extract::{DefaultBodyLimit, FromRequestParts, State},
    http::{HeaderMap, header, request::Parts},
    routing::{get, post},
};
use serde::Serialize;
use serde_json::Value;

use crate::{
    http::{
        auth::CallerOrg,
        error::{ApiError, ApiResult, codes},
        extract::ApiJson,
    },
    platform::{
        db,
        fixtures::{self, Bundle, FixtureError, LoadSummary},
        state::AppState,
    },
    store,
};

/// Bundles are larger than API requests.
const BUNDLE_BODY_LIMIT: usize = 64 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/__admin/health", get(health))
        .route("/__admin/ready", get(ready))
        .route("/__admin/whoami", get(whoami))
        .route("/__admin/reset", post(reset))
        .route("/__admin/fixtures", get(export_fixtures).post(import_fixtures).layer(DefaultBodyLimit::max(BUNDLE_BODY_LIMIT)))
}

/// Proof that the request carries the admin bearer token; protected handlers take it first.
pub struct AdminAuth;

impl FromRequestParts<AppState> for AdminAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<AdminAuth> {
        AdminAuth::check(&parts.headers, state)
    }
}

impl AdminAuth {
    pub fn check(headers: &HeaderMap, state: &AppState) -> ApiResult<AdminAuth> {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim());
        match given {
            Some(token) if token == state.config.admin_token.expose() => Ok(AdminAuth),
            _ => Err(ApiError::unauthorized("The control plane needs Authorization: Bearer <EMULATOR_ADMIN_TOKEN>")),
        }
    }
}

#[derive(Serialize)]
struct Health {
    status: &'static str,
}

async fn health() -> Json<Health> {
    Json(Health { status: "UP" })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Caller {
    org_id: i64,
    org_name: String,
    time_zone: String,
}

/// Which org an API credential (Basic or OAuth, not the admin token) decides.
async fn whoami(CallerOrg(org): CallerOrg) -> Json<Caller> {
    Json(Caller { org_id: org.org_id, org_name: org.name, time_zone: org.time_zone.name().to_owned() })
}

#[derive(Serialize)]
struct Readiness {
    status: &'static str,
    database: &'static str,
    migrations: usize,
    fixtures: String,
}

async fn ready(State(state): State<AppState>) -> ApiResult<Json<Readiness>> {
    store::meta::ping(&state.db).await.map_err(|error| ApiError::of(codes::UNAVAILABLE).caused_by(error))?;
    let applied = store::meta::applied_migrations(&state.db).await?;
    let expected: Vec<i64> = db::MIGRATOR.iter().map(|migration| migration.version).collect();
    if applied != expected {
        return Err(ApiError::new(codes::UNAVAILABLE, format!("Not ready: migrations applied {applied:?}, expected {expected:?}")));
    }
    let Some((source, _)) = store::meta::loaded_bundle(&state.db).await? else {
        return Err(ApiError::new(codes::UNAVAILABLE, "Not ready: no fixture bundle is loaded"));
    };
    Ok(Json(Readiness { status: "READY", database: "UP", migrations: applied.len(), fixtures: source }))
}

#[derive(Serialize)]
struct Loaded {
    status: &'static str,
    source: String,
    records: usize,
    clock: Option<String>,
}

async fn reset(_: AdminAuth, State(state): State<AppState>) -> ApiResult<Json<Loaded>> {
    let (source, summary) = fixtures::reset(&state.db)
        .await
        .map_err(fixture_error)?
        .ok_or_else(|| ApiError::new(codes::BAD_PARAMETER, "No bundle has been loaded, so there is nothing to reset to"))?;
    Ok(Json(loaded(&state, "RESET", source, summary)))
}

async fn export_fixtures(_: AdminAuth, State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let bundle = fixtures::export(&state.db).await.map_err(fixture_error)?;
    Ok(Json(bundle.merged()))
}

/// Replaces all data with the bundle in the body (one object of entity arrays) and makes it the
/// bundle that reset restores.
async fn import_fixtures(_: AdminAuth, State(state): State<AppState>, ApiJson(body): ApiJson<Value>) -> ApiResult<Json<Loaded>> {
    let source = "control-plane import";
    let bundle = Bundle::from_object("request body", body).map_err(fixture_error)?;
    let summary = fixtures::load(&state.db, &bundle, source).await.map_err(fixture_error)?;
    Ok(Json(loaded(&state, "LOADED", source.to_owned(), summary)))
}

fn loaded(state: &AppState, status: &'static str, source: String, summary: LoadSummary) -> Loaded {
    state.clock.set_bundle_instant(summary.clock);
    Loaded { status, source, records: summary.records, clock: summary.clock.map(|clock| clock.to_rfc3339()) }
}

fn fixture_error(error: FixtureError) -> ApiError {
    match error {
        FixtureError::Database(error) => ApiError::from(error),
        other => ApiError::new(codes::BAD_PARAMETER, other.to_string()),
    }
}
