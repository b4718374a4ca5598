//! What every endpoint family shares on the HTTP side: error envelopes, extractors, pagination,
//! auth, and the middleware stack.

use axum::{
    Router,
    extract::{MatchedPath, Request},
    http::{HeaderName, StatusCode},
    middleware,
};
use tower::ServiceBuilder;
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
        .layer(RequestBodyLimitLayer::new(config.body_limit));
    routes.layer(middleware)
}

fn request_span(request: &Request) -> tracing::Span {
    let route = request.extensions().get::<MatchedPath>().map(MatchedPath::as_str).unwrap_or("unmatched");
    let request_id = request.headers().get(REQUEST_ID).and_then(|value| value.to_str().ok()).unwrap_or("-");
    tracing::info_span!("request", request_id, method = %request.method(), route, path = %request.uri().path())
}
