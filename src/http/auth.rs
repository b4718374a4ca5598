//! Who is calling: Basic auth as Capillary does it (`base64(tillCode:md5hex(password))`) or an
//! OAuth token in `X-CAP-API-OAUTH-TOKEN`. The credential decides the caller's org.

use std::sync::Arc;

use axum::{
    extract::FromRequestParts,
    http::{HeaderMap, StatusCode, header, request::Parts},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use chrono_tz::Tz;
use sqlx::PgConnection;

use crate::{
    http::{
        error::{ApiError, ApiResult, ErrorCode},
        tenant::TenantDb,
    },
    model::{Org, time},
    platform::{
        cache::CredentialKey,
        db::reuse::RequestConnection,
        state::AppState,
        tenants::Tenant,
        tokens::{Claims, TokenError},
    },
    store,
};

pub const OAUTH_TOKEN_HEADER: &str = "X-CAP-API-OAUTH-TOKEN";

/// Where the org a credential decided is left for the request journal (see `http::journal`).
#[derive(Debug, Clone, Default)]
pub struct DecidedOrg(pub Arc<std::sync::OnceLock<i64>>);

/// Who is calling: the tenant the request is for, the org its credential decides there, and a
/// connection to that tenant's universe for the handler's statements.
pub struct Caller {
    pub tenant: Arc<Tenant>,
    pub org: Org,
    pub db: RequestConnection,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    #[tracing::instrument(name = "auth", skip_all)]
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Caller> {
        let TenantDb { tenant, mut db } = TenantDb::from_request_parts(parts, state).await?;
        let decided = decide_org(&parts.headers, state, &tenant, &mut db).await;
        if let Err(refused) = &decided {
            tracing::debug!(reason = %refused.message, "credential refused");
        }
        let org = decided?;
        if let Some(slot) = parts.extensions.get::<DecidedOrg>() {
            let _ = slot.0.set(org.org_id);
        }
        Ok(Caller { org, tenant, db })
    }
}

/// The org the request's credential decides in the tenant, or why it decides none. What the
/// database said is kept in memory (`platform::cache`) until the next announced change.
pub(crate) async fn decide_org(headers: &HeaderMap, state: &AppState, tenant: &Tenant, db: &mut PgConnection) -> ApiResult<Org> {
    let caches = &state.tenants.caches;
    let since = caches.generation();
    let (credential, key) = match Credential::from_headers(headers)? {
        Some(Credential::Token(token)) => {
            let claims = verified_claims(state, tenant, db, &token).await?;
            let key = CredentialKey::Client { tenant: tenant.id.clone(), client_key: claims.client_id.clone(), org_id: claims.org_id };
            (Lookup::Client(claims), key)
        }
        Some(Credential::Basic { till_code, password_md5 }) => {
            let key = CredentialKey::Till { tenant: tenant.id.clone(), code: till_code.clone(), password_md5: password_md5.clone() };
            (Lookup::Till { till_code, password_md5 }, key)
        }
        None => (Lookup::Anonymous, CredentialKey::Default { tenant: tenant.id.clone() }),
    };
    if let Some(org) = caches.org(&key) {
        return Ok(org);
    }
    let org = match credential {
        Lookup::Client(claims) => org_for_client(db, &claims).await?,
        Lookup::Till { till_code, password_md5 } => store::orgs::org_for_till(db, &till_code, &password_md5)
            .await?
            .ok_or_else(|| ApiError::unauthorized("Invalid till code or password"))?,
        Lookup::Anonymous if !state.config.auth_enabled => {
            store::orgs::default_org(db).await?.ok_or_else(|| ApiError::unauthorized("Auth is off but no org is loaded to act as"))?
        }
        Lookup::Anonymous => {
            return Err(ApiError::unauthorized(format!(
                "Credentials required: Basic auth (till code and md5 of the password) or an {OAUTH_TOKEN_HEADER} header"
            )));
        }
    };
    caches.keep_org(key, org.clone(), since);
    Ok(org)
}

/// The org the request's credential decides, if this process has it in memory: no database
/// round trip, and `None` whenever it would need one (an unknown or refused credential).
pub(crate) fn remembered_org(headers: &HeaderMap, state: &AppState, tenant: &Tenant) -> Option<Org> {
    let key = match Credential::from_headers(headers).ok()? {
        Some(Credential::Token(token)) => {
            let claims = state.tokens.verify(&token).ok().filter(|claims| claims.tenant == tenant.id)?;
            CredentialKey::Client { tenant: tenant.id.clone(), client_key: claims.client_id, org_id: claims.org_id }
        }
        Some(Credential::Basic { till_code, password_md5 }) => {
            CredentialKey::Till { tenant: tenant.id.clone(), code: till_code, password_md5 }
        }
        None if !state.config.auth_enabled => CredentialKey::Default { tenant: tenant.id.clone() },
        None => return None,
    };
    state.tenants.caches.org(&key)
}

enum Credential {
    Basic { till_code: String, password_md5: String },
    Token(String),
}

/// What decides the org once a credential is checked: a token's client, a till, or neither.
enum Lookup {
    Client(Claims),
    Till { till_code: String, password_md5: String },
    Anonymous,
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

/// Token expired: Capillary's code 498, answered with HTTP 401.
pub const TOKEN_EXPIRED: ErrorCode = ErrorCode::new(498, StatusCode::UNAUTHORIZED, "Token expired");

/// A token's claims, once its signature, expiry and tenant are checked.
async fn verified_claims(state: &AppState, tenant: &Tenant, db: &mut PgConnection, token: &str) -> ApiResult<Claims> {
    match state.tokens.verify(token) {
        Ok(claims) if claims.tenant == tenant.id => Ok(claims),
        Ok(_) => Err(ApiError::unauthorized("Invalid OAuth token: it was issued for another tenant")),
        Err(TokenError::Expired(claims)) => Err(expired_token_error(db, &claims).await),
        Err(TokenError::Invalid) => Err(ApiError::unauthorized("Invalid OAuth token")),
    }
}

async fn org_for_client(db: &mut PgConnection, claims: &Claims) -> ApiResult<Org> {
    // A token outlives neither its client nor the client's move to another org.
    let client = store::orgs::active_oauth_client(&mut *db, &claims.client_id).await?;
    if client.is_none_or(|client| client.org_id != claims.org_id) {
        return Err(ApiError::unauthorized("Invalid OAuth token: its client no longer exists"));
    }
    store::orgs::find_org(db, claims.org_id).await?.ok_or_else(|| ApiError::unauthorized("Invalid OAuth token"))
}

/// "Token expired at 2019-12-02T12:31:15.000+0530", in the org's time zone as Capillary writes it.
async fn expired_token_error(db: &mut PgConnection, claims: &Claims) -> ApiError {
    let zone = store::orgs::find_org(db, claims.org_id).await.ok().flatten().map_or(Tz::UTC, |org| org.time_zone);
    ApiError::new(TOKEN_EXPIRED, format!("Token expired at {}", time::with_offset(claims.expires_at(), zone)))
}

/// The till code a Basic credential signs in with (`None` for a token or no credential): the till
/// a write is attributed to.
pub fn basic_till_code(headers: &HeaderMap) -> Option<String> {
    match Credential::from_headers(headers) {
        Ok(Some(Credential::Basic { till_code, .. })) => Some(till_code),
        _ => None,
    }
}
