//! What the emulator says about itself to people and tools: a landing page at `/`.

use axum::{Router, response::Html, routing::get};

use crate::platform::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/", get(landing))
}

/// Paths that describe the emulator rather than emulate Capillary: not journaled.
pub fn is_docs_path(path: &str) -> bool {
    path == "/"
}

async fn landing() -> Html<&'static str> {
    Html(include_str!("landing.html"))
}
