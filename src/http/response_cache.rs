//! Answers to repeated reads served from memory, byte for byte what the handler answered.
//!
//! Middleware inside the fault and journal layers (they see every request, cached or not). A GET
//! of a read endpoint is answered from memory when this process holds an answer for exactly that
//! request: the tenant, the org the credential decides (known without the database, see
//! `auth::remembered_org`), the path, the parameters as the endpoint reads them (sorted, the last
//! of a repeated one) and the headers that change the answer (`DATA-SCOPE*`). Only 200 answers are
//! kept. Nothing is served or kept while the org's clock runs (real time: the answer may change
//! by itself), while the database is known to be down, or while the process does not follow
//! announced changes; every announced change drops everything (`platform::cache`), and a request
//! whose handler wrote drops this process's caches before its answer leaves.

use std::borrow::Cow;

use axum::{
    body::{Body, HttpBody as _},
    extract::{Request, State},
    http::{Method, StatusCode},
    middleware::Next,
    response::Response,
};

use crate::{
    http::{
        auth::{DecidedOrg, remembered_org},
        tenant::tenant_id_of,
    },
    platform::{
        cache::{CachedResponse, MAX_CACHED_BODY, ResponseKey, dropping_after_changes},
        state::AppState,
    },
};

/// The read endpoints whose answers depend only on the request and the universe's data.
const CACHEABLE: &[&str] = &[
    "/das/getLedgerEntriesWithEventId",
    "/das/getTargetCompletedExplodeLedger",
    "/v2/pointsLedger/getLedgerExplodeInfo",
    "/v2.1/pointsLedger/getLedgerExplodeInfo",
    "/v3/users/*/targetGroups",
];

pub async fn serve(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(key) = cache_key(&state, &request) else {
        return dropping_after_changes(&state.tenants.caches, next.run(request)).await;
    };
    let caches = &state.tenants.caches;
    if let Some(decided) = request.extensions().get::<DecidedOrg>() {
        let _ = decided.0.set(key.org_id);
    }
    if let Some(cached) = caches.response(&key) {
        return replay(cached);
    }
    let since = caches.generation();
    let response = next.run(request).await;
    let fits = response.body().size_hint().exact().is_some_and(|size| size <= MAX_CACHED_BODY as u64);
    if response.status() != StatusCode::OK || !fits {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_CACHED_BODY).await else {
        return Response::from_parts(parts, Body::empty());
    };
    caches.keep_response(key, CachedResponse { headers: parts.headers.clone(), body: body.clone() }, since);
    Response::from_parts(parts, Body::from(body))
}

/// The request's key, when it may be answered from memory.
fn cache_key(state: &AppState, request: &Request) -> Option<ResponseKey> {
    let path = request.uri().path();
    if request.method() != Method::GET
        || !state.config.response_cache
        || !state.tenants.caches.is_on()
        || state.db_health.is_down()
        || !CACHEABLE.iter().any(|pattern| crate::endpoints::path_matches(pattern, path))
    {
        return None;
    }
    let tenant = state.tenants.get(&tenant_id_of(request.extensions(), request.headers()).ok()?)?;
    let org = remembered_org(request.headers(), state, &tenant)?;
    if !tenant.clock.is_frozen_for(&org) {
        return None;
    }
    let mut params: Vec<(Cow<str>, Cow<str>)> = form_urlencoded::parse(request.uri().query().unwrap_or("").as_bytes()).collect();
    // A repeated parameter counts with its last value, as the endpoints read it: reversed, a stable
    // sort puts it first among its name's, and only the first is kept.
    params.reverse();
    params.sort_by(|(a, _), (b, _)| a.cmp(b));
    params.dedup_by(|(later, _), (first, _)| later == first);
    let query = form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish();
    let mut headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .filter(|(name, _)| name.as_str().starts_with("data-scope"))
        .map(|(name, value)| (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
        .collect();
    headers.sort();
    Some(ResponseKey { tenant: tenant.id.clone(), org_id: org.org_id, path: path.to_owned(), query, headers })
}

fn replay(cached: CachedResponse) -> Response {
    let mut response = Response::new(Body::from(cached.body));
    *response.headers_mut() = cached.headers;
    response
}
