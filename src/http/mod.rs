//! What every endpoint family shares on the HTTP side: error envelopes, extractors, pagination,
//! auth, and the middleware stack.

use axum::{
    Router,
    body::Body,
    extract::{MatchedPath, Request, State},
    http::{HeaderName, StatusCode},
    middleware::{self, Next},
    response::Response,
};
use tower::{Layer, ServiceBuilder, ServiceExt};
use tower_http::{
    catch_panic::CatchPanicLayer,
    compression::CompressionLayer,
    limit::RequestBodyLimitLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    timeout::TimeoutLayer,
    trace::{DefaultOnResponse, TraceLayer},
};
use tracing::Level;

use crate::platform::config::RuntimeConfig;

pub mod auth;
pub mod cors;
pub mod error;
pub mod extract;
pub mod faults;
pub mod journal;
pub mod pagination;
pub mod response_cache;
pub mod server;
pub mod tenant;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Wraps routes in the service's middleware: request id, tracing, timings, CORS, gzip, error envelopes,
/// panic catching, request timeout and body limit.
pub fn with_middleware(routes: Router, config: &RuntimeConfig) -> Router {
    let middleware = ServiceBuilder::new()
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(TraceLayer::new_for_http().make_span_with(request_span).on_response(DefaultOnResponse::new().level(Level::INFO)))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(middleware::from_fn(cors::timings))
        .layer(cors::layer(config, REQUEST_ID))
        .layer(CompressionLayer::new())
        .layer(middleware::from_fn(error::render_errors))
        .layer(CatchPanicLayer::custom(error::panic_response))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, config.request_timeout))
        .layer(middleware::from_fn_with_state(config.body_limit, limit_body));
    routes.layer(middleware)
}

/// How large a control-plane request may be whatever `EMULATOR_BODY_LIMIT` says: it carries
/// bundles (tenant creation, imports).
pub const BUNDLE_BODY_LIMIT: usize = 64 * 1024 * 1024;

/// The body limit: `EMULATOR_BODY_LIMIT` for the API, at least [`BUNDLE_BODY_LIMIT`] for the
/// control plane.
async fn limit_body(State(limit): State<usize>, request: Request, next: Next) -> Response {
    let limit = if request.uri().path().starts_with("/__admin/") { limit.max(BUNDLE_BODY_LIMIT) } else { limit };
    let next = next.map_request(|request: Request<_>| request.map(Body::new));
    match RequestBodyLimitLayer::new(limit).layer(next).oneshot(request).await {
        Ok(response) => response.map(Body::new),
        Err(never) => match never {},
    }
}

fn request_span(request: &Request) -> tracing::Span {
    let route = request.extensions().get::<MatchedPath>().map(MatchedPath::as_str).unwrap_or("unmatched");
    let request_id = request.headers().get(REQUEST_ID).and_then(|value| value.to_str().ok()).unwrap_or("-");
    tracing::info_span!("request", request_id, method = %request.method(), route, path = %request.uri().path())
}
