//! Capillary's v2 write APIs on the loyalty engine (`crate::engine`): registering and looking up
//! customers, their points balance, and adding and returning transactions. Each write runs in one
//! database transaction and answers with what it did (`sideEffects`, `rawSideEffects`).

pub mod balance;
pub mod body;
pub mod codes;
pub mod customers;
pub mod side_effects;
pub mod transactions;

use std::sync::Arc;

use axum::{extract::FromRequestParts, http::request::Parts};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    http::{
        auth::{self, Caller},
        error::{ApiError, ApiResult},
    },
    model::Org,
    platform::db::reuse::RequestConnection,
    platform::{state::AppState, tenants::Tenant},
    store::customers::{CustomerKey, SourceFilter},
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(customers::add_customer))
        .routes(routes!(customers::lookup_customer))
        .routes(routes!(customers::customer_details))
        .routes(routes!(balance::balance_by_id))
        .routes(routes!(balance::balance_by_lookup))
        .routes(routes!(transactions::add_transaction))
        .routes(routes!(transactions::add_transactions_bulk))
}

/// Who writes: the caller's org and tenant, the till the write is attributed to, and the
/// tenant's clock for that org.
pub struct Writer {
    pub tenant: Arc<Tenant>,
    pub org: Org,
    pub db: RequestConnection,
    /// The till signed in with Basic auth, or the OAuth client's default till (`None`: neither).
    pub till_id: Option<i64>,
    pub now: DateTime<Utc>,
}

/// `X-CAP-API-ATTRIBUTION-ENTITY-CODE`: the till code an OAuth write is attributed to.
const ATTRIBUTION_HEADER: &str = "X-CAP-API-ATTRIBUTION-ENTITY-CODE";

impl FromRequestParts<AppState> for Writer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Writer> {
        let Caller { tenant, org, mut db } = Caller::from_request_parts(parts, state).await?;
        let attributed = parts.headers.get(ATTRIBUTION_HEADER).and_then(|value| value.to_str().ok()).map(str::trim);
        let till_id: Option<i64> = match (auth::basic_till_code(&parts.headers), attributed) {
            (_, Some(code)) if !code.is_empty() => {
                sqlx::query_scalar("SELECT till_id FROM tills WHERE org_id = $1 AND code = $2")
                    .bind(org.org_id)
                    .bind(code)
                    .fetch_optional(&mut *db)
                    .await?
            }
            (Some(code), _) => {
                sqlx::query_scalar("SELECT till_id FROM tills WHERE org_id = $1 AND code = $2")
                    .bind(org.org_id)
                    .bind(code)
                    .fetch_optional(&mut *db)
                    .await?
            }
            (None, _) => None,
        };
        // A token's writes go to its client's default till.
        let till_id = match till_id {
            Some(till_id) => Some(till_id),
            None => match parts.headers.get(auth::OAUTH_TOKEN_HEADER).and_then(|value| value.to_str().ok()) {
                Some(token) => match state.tokens.verify(token.trim().trim_matches('"')) {
                    Ok(claims) => sqlx::query_scalar("SELECT default_till_id FROM oauth_clients WHERE client_key = $1")
                        .bind(&claims.client_id)
                        .fetch_optional(&mut *db)
                        .await?
                        .flatten(),
                    Err(_) => None,
                },
                None => None,
            },
        };
        let now = tenant.clock.now_for(Some(&org));
        Ok(Writer { tenant, org, db, till_id, now })
    }
}

/// The identifier names a customer is found by.
pub const IDENTIFIER_NAMES: &str = "mobile, email, externalId, id, cardnumber, wechat, martjackId, fbId";

/// The customer `identifierName` / `identifierValue` / `source` / `accountId` name, or the
/// documented code: 8154 for a non-numeric id, 8013 for an unknown name, 8015 when none matches.
/// `names` holds the parameter names as the request spells them.
pub async fn find_customer(
    db: &mut PgConnection,
    org_id: i64,
    (name_param, name): (&str, Option<&str>),
    (value_param, value): (&str, Option<&str>),
    source: Option<&str>,
    account_id: Option<&str>,
) -> ApiResult<i64> {
    let name = name.ok_or_else(|| ApiError::detailed(codes::IDENTIFIER_INVALID, format!(": '{name_param}' is required")).at(name_param))?;
    let value =
        value.ok_or_else(|| ApiError::detailed(codes::CUSTOMER_NOT_FOUND, format!(": '{value_param}' is required")).at(value_param))?;
    let kind = identifier_kind(name).ok_or_else(|| {
        ApiError::detailed(codes::IDENTIFIER_INVALID, format!(": '{name_param}' {name}; one of {IDENTIFIER_NAMES}")).at(name_param)
    })?;
    let key = if kind == "id" {
        let id = value.parse::<i64>().map_err(|_| {
            ApiError::detailed(
                codes::IDENTIFIER_VALUE_INVALID,
                format!(": '{value_param}' must be a numeric id with identifierName id, got '{value}'"),
            )
            .at(value_param)
        })?;
        CustomerKey::Id(id)
    } else {
        CustomerKey::Identifier { kind, value }
    };
    let source = source.filter(|source| !source.eq_ignore_ascii_case("ALL"));
    crate::store::customers::reachable_customer(&mut *db, org_id, key, SourceFilter { source, account_id })
        .await?
        .ok_or_else(|| ApiError::detailed(codes::CUSTOMER_NOT_FOUND, format!(" ({name} {value})")).at(value_param))
}

/// The stored spelling of an identifier name (`mobile`, `externalId`, ...), or `None`.
pub fn identifier_kind(name: &str) -> Option<&'static str> {
    const KINDS: &[&str] =
        &["mobile", "email", "externalId", "id", "cardnumber", "cardExternalId", "wechat", "martjackId", "fbId", "line", "cuid", "unionId"];
    KINDS.iter().copied().find(|kind| kind.eq_ignore_ascii_case(name))
}

/// The sources a profile, lookup or transaction may name.
pub const SOURCES: &[&str] = &[
    "INSTORE",
    "FACEBOOK",
    "WEB_ENGAGE",
    "WECHAT",
    "MARTJACK",
    "TMALL",
    "TAOBAO",
    "JD",
    "ECOMMERCE",
    "WEBSITE",
    "LINE",
    "MOBILE_APP",
    "OTHERS",
];

pub fn known_source(source: &str) -> Option<&'static str> {
    SOURCES.iter().copied().find(|known| known.eq_ignore_ascii_case(source))
}

/// 3217 for a source that is none of [`SOURCES`], naming the field.
pub fn source_invalid(field: &str, source: &str) -> ApiError {
    ApiError::detailed(codes::SOURCE_INVALID, format!(": '{field}' {source}; one of {}", SOURCES.join(", "))).at(field)
}
