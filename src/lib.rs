//! A local, stateful emulator of Capillary's loyalty APIs. The README's code map says which folder
//! holds what.

use std::future::Future;

use axum::Router;
use tokio::net::TcpListener;

pub mod admin;
pub mod endpoints;
pub mod http;
pub mod model;
pub mod platform;
pub mod store;

pub use platform::{config, db, fixtures, state::AppState};

/// The whole service as a router. Does no I/O.
pub fn app(state: AppState) -> Router {
    let config = state.config.clone();
    let routes = Router::new()
        .merge(admin::routes())
        .merge(endpoints::routes())
        .fallback(endpoints::not_found)
        .method_not_allowed_fallback(endpoints::method_not_allowed)
        .with_state(state);
    http::with_middleware(routes, &config)
}

/// Serves `state` on `listener` until `shutdown` completes, then lets in-flight requests finish.
pub async fn serve(listener: TcpListener, state: AppState, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
    axum::serve(listener, app(state)).with_graceful_shutdown(shutdown).await
}
