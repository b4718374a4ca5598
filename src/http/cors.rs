//! What browsers need from a sandbox on another origin: CORS with credentials, preflights the
//! browser may cache, timings its network panel may show, and a log line when an origin is refused.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
    time::Instant,
};

use axum::{
    extract::Request,
    http::{HeaderName, HeaderValue, request::Parts},
    middleware::Next,
    response::Response,
};
use tower_http::cors::{AllowHeaders, AllowMethods, AllowOrigin, CorsLayer};

use crate::platform::config::{CorsOrigins, RuntimeConfig};

const TIMING_ALLOW_ORIGIN: HeaderName = HeaderName::from_static("timing-allow-origin");
const SERVER_TIMING: HeaderName = HeaderName::from_static("server-timing");

/// Browsers may call from the configured origins, or from any origin (echoed back, since a
/// literal `*` cannot go with credentials) when none or `*` is configured; credentials are
/// allowed either way.
pub fn layer(config: &RuntimeConfig, expose: HeaderName) -> CorsLayer {
    let origins = match &config.cors_origins {
        CorsOrigins::Any => AllowOrigin::mirror_request(),
        CorsOrigins::List(list) => {
            let allowed: HashSet<HeaderValue> = list.iter().filter_map(|origin| HeaderValue::from_str(origin).ok()).collect();
            let refused = RefusedOrigins::default();
            AllowOrigin::predicate(move |origin: &HeaderValue, _: &Parts| {
                let ok = allowed.contains(origin);
                if !ok {
                    refused.log_once(origin);
                }
                ok
            })
        }
    };
    CorsLayer::new()
        .allow_origin(origins)
        .allow_credentials(true)
        .allow_methods(AllowMethods::mirror_request())
        .allow_headers(AllowHeaders::mirror_request())
        .max_age(config.cors_max_age)
        .expose_headers([expose, SERVER_TIMING])
}

/// Origins refused so far: each is logged once, at warn, so a developer can see why the browser
/// blocked a call without a line per request.
#[derive(Clone, Default)]
struct RefusedOrigins(Arc<Mutex<HashSet<HeaderValue>>>);

impl RefusedOrigins {
    fn log_once(&self, origin: &HeaderValue) {
        let first = self.0.lock().map(|mut seen| seen.insert(origin.clone())).unwrap_or(false);
        if first {
            tracing::warn!(
                origin = %String::from_utf8_lossy(origin.as_bytes()),
                "CORS: refused a browser's call from an origin not in EMULATOR_CORS_ORIGINS (logged once per origin)"
            );
        }
    }
}

/// `Server-Timing` with the time the service took, and `Timing-Allow-Origin` so that a page on
/// another origin sees real timings in the browser's network panel (timings are not secret).
pub async fn timings(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let mut response = next.run(request).await;
    let took = started.elapsed().as_secs_f64() * 1000.0;
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&format!("app;desc=\"emulator\";dur={took:.1}")) {
        headers.insert(SERVER_TIMING, value);
    }
    headers.insert(TIMING_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    response
}
