//! The HTTP surface: one module per endpoint family.

use axum::{
    Router,
    extract::State,
    http::{HeaderMap, Method, Uri},
};

use crate::{error::ApiError, error::ErrorCode, state::AppState};

pub mod admin;
pub mod das;
pub mod explode;
pub mod oauth;
pub mod target_groups;

/// Every route of the service.
pub fn routes() -> Router<AppState> {
    Router::new().merge(admin::routes()).merge(oauth::routes()).merge(das::routes()).merge(target_groups::routes()).merge(explode::routes())
}

/// Unknown paths; under `/__admin/` only for callers with the admin token, so the control plane
/// reveals nothing to others.
pub async fn not_found(State(state): State<AppState>, method: Method, uri: Uri, headers: HeaderMap) -> ApiError {
    if uri.path().starts_with("/__admin")
        && let Err(unauthorized) = admin::AdminAuth::check(&headers, &state)
    {
        return unauthorized;
    }
    ApiError::not_found(format!("No endpoint {method} {}", uri.path()))
}

pub async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::new(ErrorCode::MethodNotAllowed, format!("Method {method} is not allowed on {}", uri.path()))
}
