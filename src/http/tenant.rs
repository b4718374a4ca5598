//! Which tenant a request is for, and a connection to its universe.
//!
//! A client selects a tenant by base URL (`/t/{tenant}/…` before any path) or with the
//! `X-Emulator-Tenant` header; without either, the request is for the tenant `default`.

use std::sync::Arc;

use axum::{
    extract::{FromRequestParts, Request},
    http::{Extensions, HeaderMap, Uri, request::Parts},
};

use crate::{
    http::error::{ApiError, ApiResult, codes},
    platform::{
        db::reuse::RequestConnection,
        state::AppState,
        tenants::{DEFAULT_TENANT, Tenant},
    },
    store,
};

pub const TENANT_HEADER: &str = "X-Emulator-Tenant";

/// The tenant the path named (`/t/{tenant}/…`), and the path as the client sent it, kept when the
/// prefix is cut off.
#[derive(Debug, Clone)]
pub struct TenantPrefix {
    pub tenant: String,
    pub original_path: String,
}

/// Middleware run before routing: `/t/{tenant}/rest` is routed as `/rest`, for that tenant.
pub async fn strip_tenant_prefix(mut request: Request) -> Request {
    let Some(rest) = request.uri().path().strip_prefix("/t/") else { return request };
    let (tenant, path) = match rest.split_once('/') {
        Some((tenant, path)) => (tenant.to_owned(), format!("/{path}")),
        None => (rest.to_owned(), "/".to_owned()),
    };
    let path_and_query = match request.uri().query() {
        Some(query) => format!("{path}?{query}"),
        None => path,
    };
    let mut parts = request.uri().clone().into_parts();
    let Ok(path_and_query) = path_and_query.parse() else { return request };
    parts.path_and_query = Some(path_and_query);
    if let Ok(uri) = Uri::from_parts(parts) {
        let original_path = request.uri().path().to_owned();
        *request.uri_mut() = uri;
        request.extensions_mut().insert(TenantPrefix { tenant, original_path });
    }
    request
}

/// The id of the tenant the request selects; a prefix and a header that disagree are an error.
pub fn selected_tenant_id(parts: &Parts) -> ApiResult<String> {
    tenant_id_of(&parts.extensions, &parts.headers)
}

/// [`selected_tenant_id`] from a request's extensions and headers.
pub fn tenant_id_of(extensions: &Extensions, headers: &HeaderMap) -> ApiResult<String> {
    let prefix = extensions.get::<TenantPrefix>().map(|prefix| prefix.tenant.clone());
    let header = match headers.get(TENANT_HEADER) {
        Some(value) => Some(
            value
                .to_str()
                .map(|text| text.trim().to_owned())
                .map_err(|_| ApiError::bad_parameter(TENANT_HEADER, format!("Header {TENANT_HEADER} must be plain text")))?,
        ),
        None => None,
    };
    match (prefix, header) {
        (Some(prefix), Some(header)) if prefix != header => Err(ApiError::bad_parameter(
            TENANT_HEADER,
            format!("Header {TENANT_HEADER} names tenant '{header}' but the path names '{prefix}'"),
        )),
        (Some(tenant), _) | (None, Some(tenant)) => Ok(tenant),
        (None, None) => Ok(DEFAULT_TENANT.to_owned()),
    }
}

/// A known tenant, or the 404 an unknown one gets.
pub fn find_tenant(state: &AppState, id: &str) -> ApiResult<Arc<Tenant>> {
    state.tenants.get(id).ok_or_else(|| ApiError::not_found(format!("No tenant '{id}'")).at("tenant"))
}

/// The selected tenant and a connection whose unqualified names resolve in its universe.
pub struct TenantDb {
    pub tenant: Arc<Tenant>,
    pub db: RequestConnection,
}

impl TenantDb {
    pub async fn open(state: &AppState, tenant: Arc<Tenant>) -> ApiResult<TenantDb> {
        if state.db_health.is_down() {
            return Err(ApiError::of(codes::UNAVAILABLE));
        }
        let noted = |error: sqlx::Error| {
            state.db_health.report(&error, &state.db);
            ApiError::from(error)
        };
        let db = if tenant.id == DEFAULT_TENANT {
            state.requests.acquire().await.map_err(noted)?
        } else {
            let mut db = state.tenant_requests.acquire().await.map_err(noted)?;
            store::tenants::use_schema(&mut *db, &tenant.schema).await.map_err(noted)?;
            db
        };
        state.tenants.mark_used(&tenant.id);
        Ok(TenantDb { tenant, db })
    }
}

impl FromRequestParts<AppState> for TenantDb {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<TenantDb> {
        let tenant = find_tenant(state, &selected_tenant_id(parts)?)?;
        TenantDb::open(state, tenant).await
    }
}
