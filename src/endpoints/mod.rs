//! Capillary's endpoints, one folder per family: routes and handlers, request parsing, the
//! family's error codes, its own SQL and its wire types.

use axum::{
    extract::State,
    http::{HeaderMap, Method, Uri},
};

use utoipa_axum::router::OpenApiRouter;

use crate::{
    admin::AdminAuth,
    http::error::{ApiError, ErrorCode, codes},
    platform::state::AppState,
};

pub mod behavioural_events;
pub mod das;
pub mod explode;
pub mod manual_allocation;
pub mod oauth;
pub mod points;
pub mod target_enrolment;
pub mod target_groups;
pub mod write;

/// Every Capillary route of the service.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(oauth::routes())
        .merge(das::routes())
        .merge(target_groups::routes())
        .merge(target_enrolment::routes())
        .merge(behavioural_events::routes())
        .merge(explode::routes())
        .merge(write::routes())
        .merge(points::routes())
        .merge(manual_allocation::routes())
}

/// The operations Capillary marks deprecated (README, "Deprecations"); still served in full.
pub const DEPRECATED: &[&str] = &["/das/getLedgerEntriesWithEventId", "/v3/users/{userId}/targetGroups"];

/// Each endpoint's path (`*` for a path parameter) and the codes it answers with.
const ENDPOINT_CODES: &[(&str, &[ErrorCode])] = &[
    ("/das/getLedgerEntriesWithEventId", das::codes::CODES),
    ("/das/getTargetCompletedExplodeLedger", das::codes::CODES),
    ("/v2/pointsLedger/getLedgerExplodeInfo", explode::codes::CODES),
    ("/v2.1/pointsLedger/getLedgerExplodeInfo", explode::codes::CODES),
    ("/v3/users/*/targetGroups", target_groups::codes::CODES),
    ("/v3/oauth/token/generate", oauth::CODES),
    ("/v2/events", behavioural_events::codes::DEFINITION_CODES),
    ("/v2/events/webhook", behavioural_events::codes::WEBHOOK_CODES),
    ("/webhooks/*", behavioural_events::codes::INGESTION_CODES),
    ("/v3/targetGroups/*/targets/*/enroll", target_enrolment::codes::CODES),
    ("/v3/targetGroups/*/targets/*/unEnroll", target_enrolment::codes::CODES),
    ("/v1.1/points/isredeemable", points::codes::CODES),
    ("/v1.1/points/validationcode", points::codes::CODES),
    ("/v1.1/points/redeem", points::codes::CODES),
    ("/v1.1/request/add", points::codes::CODES),
    ("/v1.1/request/approve", points::codes::CODES),
    ("/v2/points/reverse", points::codes::REVERSE_CODES),
    ("/v2/customers/bulk/manualCurrencyAllocate", manual_allocation::CODES),
    ("/v2/customers", write::codes::CODES),
    ("/v2/customers/lookup", write::codes::CODES),
    ("/v2/customers/*", write::codes::CODES),
    ("/v2/customers/*/points/balance", write::codes::CODES),
    ("/v2/customers/lookup/points/balance", write::codes::CODES),
    ("/v2/transactions", write::codes::CODES),
    ("/v2/transactions/bulk", write::codes::CODES),
];

/// The codes the endpoint at `path` answers with; `None` where no endpoint is. `path` may hold
/// `*` for any one segment.
pub fn codes_at(path: &str) -> Option<&'static [ErrorCode]> {
    ENDPOINT_CODES.iter().find(|(pattern, _)| path_matches(pattern, path)).map(|(_, codes)| *codes)
}

/// Whether two paths are the same but where either has `*` for a segment.
pub fn path_matches(pattern: &str, path: &str) -> bool {
    let (mut pattern, mut path) = (pattern.split('/'), path.split('/'));
    loop {
        match (pattern.next(), path.next()) {
            (None, None) => return true,
            (Some(a), Some(b)) if a == b || a == "*" || b == "*" => continue,
            _ => return false,
        }
    }
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
