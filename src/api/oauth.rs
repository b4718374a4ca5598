//! `POST /v3/oauth/token/generate`: an access token for a client key and secret.

use axum::{Json, Router, extract::State, routing::post};
use serde::{Deserialize, Serialize};

use crate::{
    auth,
    error::{ApiError, ApiResult},
    extract::ApiJson,
    state::AppState,
};

pub fn routes() -> Router<AppState> {
    Router::new().route("/v3/oauth/token/generate", post(generate_token))
}

#[derive(Debug, Deserialize)]
struct TokenRequest {
    key: Option<String>,
    secret: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct AccessToken {
    access_token: String,
    ttl_seconds: i32,
}

/// The success envelope as Capillary's sample prints it: no `warnings` key.
#[derive(Debug, Serialize)]
struct TokenResponse {
    data: AccessToken,
    errors: Option<()>,
}

async fn generate_token(State(state): State<AppState>, ApiJson(request): ApiJson<TokenRequest>) -> ApiResult<Json<TokenResponse>> {
    let key = request.key.filter(|key| !key.is_empty()).ok_or_else(|| ApiError::bad_parameter("key", "Field 'key' is required"))?;
    let secret = request
        .secret
        .filter(|secret| !secret.is_empty())
        .ok_or_else(|| ApiError::bad_parameter("secret", "Field 'secret' is required"))?;
    let client = auth::authenticate_client(&state, &key, &secret).await?;
    let access_token = auth::issue_token(&state.tokens, &client)?;
    Ok(Json(TokenResponse { data: AccessToken { access_token, ttl_seconds: client.ttl_seconds }, errors: None }))
}
