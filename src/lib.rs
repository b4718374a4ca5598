//! A local, stateful emulator of Capillary's loyalty APIs. The README's code map says which folder
//! holds what.

use std::{future::Future, time::Duration};

use axum::Router;
use tokio::net::TcpListener;

pub mod admin;
pub mod docs;
pub mod endpoints;
pub mod engine;
pub mod http;
pub mod model;
pub mod platform;
pub mod store;

pub use platform::{config, db, fixtures, state::AppState};

/// The whole service as a router. Does no I/O.
pub fn app(state: AppState) -> Router {
    let config = state.config.clone();
    let journal = axum::middleware::from_fn_with_state(state.clone(), http::journal::record);
    let (routes, _) = routes().split_for_parts();
    let routes = routes
        .fallback(endpoints::not_found)
        .method_not_allowed_fallback(endpoints::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(state.clone(), http::response_cache::serve))
        .layer(axum::middleware::from_fn_with_state(state.clone(), http::faults::apply))
        .with_state(state);
    // `/t/{tenant}/…` must become `/…` before the routes are matched, so it wraps the router.
    let tenant_prefix = axum::middleware::map_request(http::tenant::strip_tenant_prefix);
    let service = tower::ServiceBuilder::new().layer(tenant_prefix).layer(journal).service(http::with_middleware(routes, &config));
    Router::new().fallback_service(service)
}

/// Every route with its OpenAPI description: the router and the document come from this one
/// list, so neither can have what the other lacks.
pub fn routes() -> utoipa_axum::router::OpenApiRouter<AppState> {
    utoipa_axum::router::OpenApiRouter::with_openapi(docs::openapi::base())
        .merge(admin::routes())
        .merge(docs::routes())
        .merge(endpoints::routes())
}

/// How often a process reads the control plane again even if no change was announced.
const CONTROL_PLANE_RESYNC: Duration = Duration::from_secs(5);

/// Serves `state` on `listener` until `shutdown` completes, then lets in-flight requests finish.
/// Meanwhile it follows control-plane changes made by any process and removes idle tenants; at the
/// end it writes what the journal still holds.
pub async fn serve(listener: TcpListener, state: AppState, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
    let follower = tokio::spawn(platform::tenants::listen_for_changes(state.db.clone(), state.tenants.clone(), CONTROL_PLANE_RESYNC));
    let sweeper =
        state.config.tenant_ttl.map(|ttl| tokio::spawn(platform::tenants::remove_idle(state.db.clone(), state.tenants.clone(), ttl)));
    let (journal, tenants, db, tenant_db) = (state.journal.clone(), state.tenants.clone(), state.db.clone(), state.tenant_db.clone());
    let served = http::server::serve(listener, app(state), shutdown).await;
    follower.abort();
    if let Some(sweeper) = sweeper {
        sweeper.abort();
    }
    // What the last requests recorded is written before the database is let go.
    journal.flush().await;
    if let Err(error) = tenants.flush_used(&db).await {
        tracing::warn!(%error, "could not record when tenants were last used");
    }
    tenant_db.close().await;
    served
}
