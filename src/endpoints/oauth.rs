//! `POST /v3/oauth/token/generate`: an access token for a client key and secret.

use axum::{Json, extract::State, http::StatusCode};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    http::{
        error::{ApiError, ApiResult, ErrorCode, codes},
        extract::ApiJson,
        tenant::TenantDb,
    },
    platform::state::AppState,
    store::{self, orgs::OAuthClient},
};

/// A wrong key or secret: Capillary's 320001, answered with HTTP 401.
pub const INVALID_CLIENT_CREDENTIALS: ErrorCode = ErrorCode::new(320001, StatusCode::UNAUTHORIZED, "Invalid client key and secret");

/// Every code the token endpoint answers with.
pub const CODES: &[ErrorCode] =
    &[INVALID_CLIENT_CREDENTIALS, codes::BAD_PARAMETER, codes::UNSUPPORTED_MEDIA_TYPE, codes::INTERNAL, codes::UNAVAILABLE];

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(generate_token))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct TokenRequest {
    #[schema(required = true, nullable = false, example = "demo-key")]
    key: Option<String>,
    #[schema(required = true, nullable = false, example = "demo-secret")]
    secret: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct AccessToken {
    access_token: String,
    ttl_seconds: i32,
}

/// The success envelope as Capillary's sample prints it: no `warnings` key.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct TokenResponse {
    data: AccessToken,
    #[schema(value_type = Option<String>, nullable)]
    errors: Option<()>,
}

/// An access token for a client key and secret; send it as `X-CAP-API-OAUTH-TOKEN`.
#[utoipa::path(post, path = "/v3/oauth/token/generate", tag = "OAuth", security(()), request_body = TokenRequest,
    responses((status = 200, description = "The token and how long it lives", body = TokenResponse)))]
async fn generate_token(
    State(state): State<AppState>,
    TenantDb { tenant, mut db }: TenantDb,
    ApiJson(request): ApiJson<TokenRequest>,
) -> ApiResult<Json<TokenResponse>> {
    let key = request.key.filter(|key| !key.is_empty()).ok_or_else(|| ApiError::bad_parameter("key", "Field 'key' is required"))?;
    let secret = request
        .secret
        .filter(|secret| !secret.is_empty())
        .ok_or_else(|| ApiError::bad_parameter("secret", "Field 'secret' is required"))?;
    let client = authenticate_client(&mut db, &key, &secret).await?;
    let access_token = state.tokens.issue(&tenant.id, &client.client_key, client.org_id, client.ttl_seconds).map_err(ApiError::internal)?;
    Ok(Json(TokenResponse { data: AccessToken { access_token, ttl_seconds: client.ttl_seconds }, errors: None }))
}

/// The client whose key and secret these are.
async fn authenticate_client(db: &mut PgConnection, key: &str, secret: &str) -> ApiResult<OAuthClient> {
    match store::orgs::active_oauth_client(db, key).await? {
        Some(client) if client.client_secret == secret => Ok(client),
        _ => Err(ApiError::of(INVALID_CLIENT_CREDENTIALS)),
    }
}
