//! The control plane under `/__admin/`: health and readiness without credentials; everything else
//! needs `Authorization: Bearer <EMULATOR_ADMIN_TOKEN>`.

use std::sync::Arc;

use axum::{
    Json,
    extract::{FromRequestParts, RawPathParams, State},
    http::{HeaderMap, header, request::Parts},
};
use serde::Serialize;
use subtle::ConstantTimeEq;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    http::{
        auth::{self, Caller},
        error::{ApiError, ApiResult, ErrorCode, codes},
        tenant::{find_tenant, selected_tenant_id},
    },
    platform::{db, state::AppState, tenants::Tenant},
    store,
};

mod clock;
mod faults;
mod journal;
pub(crate) mod tenants;
mod universe;

/// Every code a control-plane route that needs the admin token answers with.
pub const CODES: &[ErrorCode] = &[
    codes::BAD_PARAMETER,
    codes::UNAUTHORIZED,
    codes::NOT_FOUND,
    codes::UNSUPPORTED_MEDIA_TYPE,
    codes::PAYLOAD_TOO_LARGE,
    codes::INTERNAL,
    codes::UNAVAILABLE,
];
/// Creating a tenant: also a taken id.
pub const TENANT_CODES: &[ErrorCode] = &[
    codes::BAD_PARAMETER,
    codes::UNAUTHORIZED,
    tenants::TENANT_EXISTS,
    codes::UNSUPPORTED_MEDIA_TYPE,
    codes::PAYLOAD_TOO_LARGE,
    codes::INTERNAL,
    codes::UNAVAILABLE,
];
/// `whoami`: what an API credential can be refused with.
pub const WHOAMI_CODES: &[ErrorCode] = &[codes::UNAUTHORIZED, auth::TOKEN_EXPIRED, codes::INTERNAL, codes::UNAVAILABLE];

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health))
        .routes(routes!(ready))
        .routes(routes!(whoami))
        .merge(tenants::routes())
        // The selected tenant's (default, or by /t/{tenant}/ or X-Emulator-Tenant), and any
        // tenant's by id: the same shapes.
        .nest("/__admin", tenant_routes())
        .nest("/__admin/tenants/{tenant}", tenant_routes())
}

/// What the control plane does within one tenant.
fn tenant_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().merge(universe::routes()).merge(clock::routes()).merge(journal::routes()).merge(faults::routes())
}

/// The tenant a control-plane request is about: the one its path names
/// (`/__admin/tenants/{tenant}/…`), else the one the request selects.
pub struct AdminTenant(pub Arc<Tenant>);

impl FromRequestParts<AppState> for AdminTenant {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<AdminTenant> {
        AdminAuth::check(&parts.headers, state)?;
        let params =
            RawPathParams::from_request_parts(parts, state).await.map_err(|rejection| ApiError::internal(rejection.body_text()))?;
        let id = match params.iter().find(|(name, _)| *name == "tenant") {
            Some((_, id)) => id.to_owned(),
            None => selected_tenant_id(parts)?,
        };
        find_tenant(state, &id).map(AdminTenant)
    }
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
            // In constant time: how long a wrong guess takes says nothing about the token.
            Some(token) if bool::from(token.as_bytes().ct_eq(state.config.admin_token.expose().as_bytes())) => Ok(AdminAuth),
            _ => Err(ApiError::unauthorized("The control plane needs Authorization: Bearer <EMULATOR_ADMIN_TOKEN>")),
        }
    }
}

#[derive(Serialize)]
struct Health {
    status: &'static str,
}

#[utoipa::path(get, path = "/__admin/health", tag = "control plane", security(()),
    responses((status = 200, description = "`{\"status\":\"UP\"}` while the process runs", body = serde_json::Value)))]
async fn health() -> Json<Health> {
    Json(Health { status: "UP" })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Whoami {
    tenant: String,
    org_id: i64,
    org_name: String,
    time_zone: String,
}

#[utoipa::path(get, path = "/__admin/whoami", tag = "control plane",
    responses((status = 200, description = "The tenant and org the credential decides", body = serde_json::Value)))]
/// Which org an API credential (Basic or OAuth, not the admin token) decides.
async fn whoami(Caller { tenant, org, .. }: Caller) -> Json<Whoami> {
    Json(Whoami { tenant: tenant.id.clone(), org_id: org.org_id, org_name: org.name, time_zone: org.time_zone.name().to_owned() })
}

#[derive(Serialize)]
struct Readiness {
    status: &'static str,
    database: &'static str,
    migrations: usize,
    fixtures: String,
}

/// How long readiness waits for the database.
const READY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

#[utoipa::path(get, path = "/__admin/ready", tag = "control plane", security(()),
    responses((status = 200, description = "Ready: the database answers, migrations are applied, a bundle is loaded (else 503 saying what is missing)", body = serde_json::Value)))]
async fn ready(State(state): State<AppState>) -> ApiResult<Json<Readiness>> {
    if state.db_health.is_down() {
        return Err(ApiError::new(codes::UNAVAILABLE, "Not ready: the database is unavailable"));
    }
    // Answer within a health check's patience, whatever the pool's acquire timeout.
    match tokio::time::timeout(READY_TIMEOUT, store::meta::ping(&state.db)).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => {
            state.db_health.report(&error, &state.db);
            return Err(ApiError::new(codes::UNAVAILABLE, "Not ready: the database is unavailable").caused_by(error));
        }
        Err(_) => return Err(ApiError::new(codes::UNAVAILABLE, "Not ready: the database did not answer within 2 s")),
    }
    let applied = store::meta::applied_migrations(&state.db).await?;
    let expected: Vec<i64> = db::MIGRATOR.iter().map(|migration| migration.version).collect();
    if applied != expected {
        return Err(ApiError::new(codes::UNAVAILABLE, format!("Not ready: migrations applied {applied:?}, expected {expected:?}")));
    }
    let Some(source) = store::meta::default_bundle_source(&state.db).await? else {
        return Err(ApiError::new(codes::UNAVAILABLE, "Not ready: no fixture bundle is loaded"));
    };
    Ok(Json(Readiness { status: "READY", database: "UP", migrations: applied.len(), fixtures: source }))
}
