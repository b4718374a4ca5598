//! Who is calling: Basic auth as Capillary does it (`base64(tillCode:md5hex(password))`) or an
//! OAuth token in `X-CAP-API-OAUTH-TOKEN`. The credential decides the caller's org.

use axum::{
    extract::FromRequestParts,
    http::{HeaderMap, header, request::Parts},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use serde::{Deserialize, Serialize};

use crate::{
    error::{ApiError, ApiResult, ErrorCode},
    repo::{
        self,
        orgs::{OAuthClient, Org},
    },
    state::AppState,
    timestamps,
};

pub const OAUTH_TOKEN_HEADER: &str = "X-CAP-API-OAUTH-TOKEN";

/// The org a request acts for, decided by its credential.
#[derive(Debug, Clone)]
pub struct CallerOrg(pub Org);

impl FromRequestParts<AppState> for CallerOrg {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<CallerOrg> {
        let org = match Credential::from_headers(&parts.headers)? {
            Some(Credential::Token(token)) => org_for_token(state, &token).await?,
            Some(Credential::Basic { till_code, password_md5 }) => repo::orgs::org_for_till(&state.db, &till_code, &password_md5)
                .await?
                .ok_or_else(|| ApiError::unauthorized("Invalid till code or password"))?,
            None if !state.config.auth_enabled => repo::orgs::default_org(&state.db)
                .await?
                .ok_or_else(|| ApiError::unauthorized("Auth is off but no org is loaded to act as"))?,
            None => {
                return Err(ApiError::unauthorized(format!(
                    "Credentials required: Basic auth (till code and md5 of the password) or an {OAUTH_TOKEN_HEADER} header"
                )));
            }
        };
        Ok(CallerOrg(org))
    }
}

enum Credential {
    Basic { till_code: String, password_md5: String },
    Token(String),
}

impl Credential {
    fn from_headers(headers: &HeaderMap) -> ApiResult<Option<Credential>> {
        if let Some(token) = headers.get(OAUTH_TOKEN_HEADER) {
            let token = token.to_str().map_err(|_| ApiError::unauthorized("Invalid OAuth token"))?;
            return Ok(Some(Credential::Token(token.trim().trim_matches('"').to_owned())));
        }
        let Some(authorization) = headers.get(header::AUTHORIZATION) else { return Ok(None) };
        let malformed = || ApiError::unauthorized("The Authorization header must be Basic base64(tillCode:md5(password))");
        let authorization = authorization.to_str().map_err(|_| malformed())?.trim();
        let (scheme, encoded) = authorization.split_once(' ').ok_or_else(malformed)?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return Err(malformed());
        }
        let decoded = STANDARD.decode(encoded.trim()).map_err(|_| malformed())?;
        let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
        let (till_code, password_md5) = decoded.split_once(':').ok_or_else(malformed)?;
        Ok(Some(Credential::Basic { till_code: till_code.to_owned(), password_md5: password_md5.to_owned() }))
    }
}

/// The keys that sign and check OAuth tokens (HS256, with a secret kept in the database so that
/// tokens survive a restart).
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl TokenKeys {
    pub fn new(secret: &str) -> Result<TokenKeys, jsonwebtoken::errors::Error> {
        Ok(TokenKeys { encoding: EncodingKey::from_secret(secret.as_bytes())?, decoding: DecodingKey::from_secret(secret.as_bytes())? })
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    iss: String,
    sub: String,
    client_id: String,
    org_id: i64,
    iat: i64,
    exp: i64,
    jti: String,
    token_use: String,
}

/// An access token for `client`, valid for its `ttl_seconds` of real time.
pub fn issue_token(keys: &TokenKeys, client: &OAuthClient) -> ApiResult<String> {
    let now = Utc::now().timestamp();
    let claims = Claims {
        iss: "Capillary".to_owned(),
        sub: client.client_key.clone(),
        client_id: client.client_key.clone(),
        org_id: client.org_id,
        iat: now,
        exp: now + i64::from(client.ttl_seconds),
        jti: uuid::Uuid::new_v4().to_string(),
        token_use: "token_access".to_owned(),
    };
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &keys.encoding).map_err(ApiError::internal)
}

async fn org_for_token(state: &AppState, token: &str) -> ApiResult<Org> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 0;
    validation.set_issuer(&["Capillary"]);
    let claims = match jsonwebtoken::decode::<Claims>(token, &state.tokens.decoding, &validation) {
        Ok(data) => data.claims,
        Err(error) if matches!(error.kind(), ErrorKind::ExpiredSignature) => {
            return Err(expired_token_error(state, token).await);
        }
        Err(_) => return Err(ApiError::unauthorized("Invalid OAuth token")),
    };
    // A token outlives neither its client nor the client's move to another org.
    let client = repo::orgs::active_oauth_client(&state.db, &claims.client_id).await?;
    if client.is_none_or(|client| client.org_id != claims.org_id) {
        return Err(ApiError::unauthorized("Invalid OAuth token: its client no longer exists"));
    }
    repo::orgs::find_org(&state.db, claims.org_id).await?.ok_or_else(|| ApiError::unauthorized("Invalid OAuth token"))
}

/// "Token expired at 2019-12-02T12:31:15.000+0530", in the org's time zone as Capillary writes it.
async fn expired_token_error(state: &AppState, token: &str) -> ApiError {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.validate_exp = false;
    let Ok(data) = jsonwebtoken::decode::<Claims>(token, &state.tokens.decoding, &validation) else {
        return ApiError::unauthorized("Invalid OAuth token");
    };
    let expired_at = Utc.timestamp_opt(data.claims.exp, 0).single().unwrap_or(DateTime::UNIX_EPOCH);
    let zone = repo::orgs::find_org(&state.db, data.claims.org_id).await.ok().flatten().map_or(Tz::UTC, |org| org.time_zone);
    ApiError::new(ErrorCode::TokenExpired, format!("Token expired at {}", timestamps::with_offset(expired_at, zone)))
}

/// The client whose key and secret these are.
pub async fn authenticate_client(state: &AppState, key: &str, secret: &str) -> ApiResult<OAuthClient> {
    match repo::orgs::active_oauth_client(&state.db, key).await? {
        Some(client) if client.client_secret == secret => Ok(client),
        _ => Err(ApiError::of(ErrorCode::InvalidClientCredentials)),
    }
}
