//! Capillary's endpoints, one folder per family: routes and handlers, request parsing, the
//! family's error codes, its own SQL and its wire types.

use axum::{
    Router,
    extract::State,
    http::{HeaderMap, Method, Uri},
};

use crate::{
    admin::AdminAuth,
    http::error::{ApiError, codes},
    platform::state::AppState,
};

pub mod das;
pub mod explode;
pub mod oauth;
pub mod target_groups;

/// Every Capillary route of the service.
pub fn routes() -> Router<AppState> {
    Router::new().merge(oauth::routes()).merge(das::routes()).merge(target_groups::routes()).merge(explode::routes())
}

/// Unknown paths; under `/__admin/` only for callers with the admin token, so the control plane
/// reveals nothing to others.
pub async fn not_found(State(state): State<AppState>, method: Method, uri: Uri, headers: HeaderMap) -> ApiError {
    if uri.path().starts_with("/__admin")
        && let Err(unauthorized) = AdminAuth::check(&headers, &state)
    {
        return unauthorized;
    }
    ApiError::not_found(format!("No endpoint {method} {}", uri.path()))
}

pub async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::new(codes::METHOD_NOT_ALLOWED, format!("Method {method} is not allowed on {}", uri.path()))
}
