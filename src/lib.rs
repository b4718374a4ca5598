//! A local, stateful emulator of Capillary's loyalty APIs.

use std::future::Future;

use axum::{
    Router,
    body::Body,
    extract::{MatchedPath, Request, State},
    http::{HeaderName, HeaderValue},
    middleware::{self, Next},
    response::Response,
};
use tokio::net::TcpListener;
use tower::{Layer, ServiceBuilder, ServiceExt};
use tower_http::{
    catch_panic::CatchPanicLayer,
    compression::CompressionLayer,
    cors::{AllowHeaders, AllowMethods, AllowOrigin, CorsLayer},
    limit::RequestBodyLimitLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    timeout::TimeoutLayer,
    trace::{DefaultOnResponse, TraceLayer},
};
use tracing::Level;

pub mod api;
pub mod auth;
pub mod clock;
pub mod config;
pub mod db;
pub mod error;
pub mod extract;
pub mod fixtures;
pub mod pagination;
pub mod repo;
pub mod state;
pub mod timestamps;

use config::RuntimeConfig;
pub use state::AppState;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Bundle imports (`POST /__admin/fixtures`) may be this large, whatever the API requests' limit.
const BUNDLE_IMPORT_PATH: &str = "/__admin/fixtures";
const BUNDLE_BODY_LIMIT: usize = 64 * 1024 * 1024;

/// The whole service as a router. Does no I/O.
pub fn app(state: AppState) -> Router {
    let config = state.config.clone();
    let routes = api::routes().fallback(api::not_found).method_not_allowed_fallback(api::method_not_allowed).with_state(state);
    with_middleware(routes, &config)
}

/// Wraps routes in the service's middleware: request id, tracing, CORS, gzip, error envelopes,
/// panic catching, request timeout and body limit.
pub fn with_middleware(routes: Router, config: &RuntimeConfig) -> Router {
    let middleware = ServiceBuilder::new()
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(TraceLayer::new_for_http().make_span_with(request_span).on_response(DefaultOnResponse::new().level(Level::INFO)))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(cors(config))
        .layer(CompressionLayer::new())
        .layer(middleware::from_fn(error::render_errors))
        .layer(CatchPanicLayer::custom(error::panic_response))
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, config.request_timeout))
        .layer(middleware::from_fn_with_state(config.body_limit, limit_body));
    routes.layer(middleware)
}

/// The body limit: `EMULATOR_BODY_LIMIT`, except for bundle imports.
async fn limit_body(State(limit): State<usize>, request: Request, next: Next) -> Response {
    let limit = if request.uri().path() == BUNDLE_IMPORT_PATH { limit.max(BUNDLE_BODY_LIMIT) } else { limit };
    let next = next.map_request(|request: axum::http::Request<_>| request.map(Body::new));
    match RequestBodyLimitLayer::new(limit).layer(next).oneshot(request).await {
        Ok(response) => response.map(Body::new),
        Err(never) => match never {},
    }
}

/// Serves `state` on `listener` until `shutdown` completes, then lets in-flight requests finish.
pub async fn serve(listener: TcpListener, state: AppState, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
    axum::serve(listener, app(state)).with_graceful_shutdown(shutdown).await
}

fn request_span(request: &Request) -> tracing::Span {
    let route = request.extensions().get::<MatchedPath>().map(MatchedPath::as_str).unwrap_or("unmatched");
    let request_id = request.headers().get(REQUEST_ID).and_then(|value| value.to_str().ok()).unwrap_or("-");
    tracing::info_span!("request", request_id, method = %request.method(), route, path = %request.uri().path())
}

/// Browsers may call from the configured origins, or from any origin (echoed back) when none is
/// configured; credentials are allowed either way.
fn cors(config: &RuntimeConfig) -> CorsLayer {
    let origins = if config.cors_origins.is_empty() {
        AllowOrigin::mirror_request()
    } else {
        AllowOrigin::list(config.cors_origins.iter().filter_map(|origin| HeaderValue::from_str(origin.trim()).ok()))
    };
    CorsLayer::new()
        .allow_origin(origins)
        .allow_credentials(true)
        .allow_methods(AllowMethods::mirror_request())
        .allow_headers(AllowHeaders::mirror_request())
        .expose_headers([REQUEST_ID])
}
